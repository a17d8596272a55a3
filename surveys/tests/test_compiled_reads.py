"""The survey pages' reads compiled once per process (common.compiled, issue 14) give what the
querysets they replace gave: the same rows, the same related objects loaded, the same rules."""

import datetime

import pytest
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone, translation

from cohorts.models import Membership
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from modules.models import Module
from modules.selectors import module_list_for_cohort
from modules.tests.factories import ActItemFactory, ModuleFactory, PDSACycleFactory
from surveys import disclosure, selectors, services
from surveys.forms import CohortSurveySettingsForm, SurveySettingsForm
from surveys.models import CohortSurveySettings, Invitation, ProgrammeSurveyDefaults, QuestionSet, Survey
from surveys.selectors.figures import invitation_counts
from surveys.selectors.pdsa import pdsa_entry_for_module, pdsa_timeline_for_cohort
from surveys.tests.factories import (
    CohortSurveyFactory,
    InvitationFactory,
    QuestionFactory,
    QuestionSetFactory,
    SurveyFactory,
    responses_bulk_create,
)
from surveys.views.base import module_and_survey, survey_of_kind, survey_of_module

pytestmark = pytest.mark.django_db


def _request(cohort):
    request = RequestFactory().get("/")
    request.cohort = cohort
    return request


def test_survey_of_module_gives_the_survey_with_its_module_cohort_and_set_loaded(cohort, django_assert_num_queries):
    survey = SurveyFactory(module=ModuleFactory(cohort=cohort, number=3))
    SurveyFactory(module=ModuleFactory(cohort=CohortFactory(), number=3))  # another cohort's module 3
    with django_assert_num_queries(1):
        found = survey_of_module(_request(cohort), 3)
    expected = Survey.objects.select_related("module__cohort", "question_set").get(pk=survey.pk)
    with django_assert_num_queries(0):
        assert found == expected
        assert found.module == expected.module
        assert found.module.number == 3
        assert found.module.cohort == cohort
        assert found.module.cohort.name == cohort.name
        assert found.question_set == expected.question_set
        assert found.question_set.name == expected.question_set.name
        assert found.module.survey is found
    assert [getattr(found, f.attname) for f in Survey._meta.concrete_fields] == [
        getattr(expected, f.attname) for f in Survey._meta.concrete_fields
    ]


@pytest.mark.parametrize("number", [2, 6, 99999])
def test_survey_of_module_is_a_404_without_a_survey_or_for_a_module_without_one(cohort, number):
    ModuleFactory(cohort=cohort, number=2)
    ModuleFactory(cohort=cohort, number=6)
    SurveyFactory(module=ModuleFactory(cohort=cohort, number=1))  # module 1 only has one
    with pytest.raises(Http404):
        survey_of_module(_request(cohort), number)


def test_survey_of_module_never_finds_another_cohorts_survey(cohort):
    SurveyFactory(module=ModuleFactory(cohort=CohortFactory(), number=2))
    with pytest.raises(Http404):
        survey_of_module(_request(cohort), 2)


def test_survey_of_kind_gives_the_cohorts_survey_of_that_kind_with_its_set(cohort, django_assert_num_queries):
    survey = CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.SELF_PRE)
    CohortSurveyFactory(kind=Survey.Kind.SELF_PRE)  # another cohort's
    with django_assert_num_queries(1):
        found = survey_of_kind(_request(cohort), Survey.Kind.SELF_PRE)
    with django_assert_num_queries(0):
        assert found == survey
        assert found.question_set.name == survey.question_set.name
    for kind in (Survey.Kind.SELF_POST, Survey.Kind.MODULE, "nonsense"):
        with pytest.raises(Http404):
            survey_of_kind(_request(cohort), kind)


def test_module_and_survey_gives_the_module_and_its_survey_or_none(cohort, django_assert_num_queries):
    with_survey = SurveyFactory(module=ModuleFactory(cohort=cohort, number=2))
    without = ModuleFactory(cohort=cohort, number=3)
    ModuleFactory(cohort=cohort, number=6)
    with django_assert_num_queries(1):
        module, survey = module_and_survey(_request(cohort), 2)
    with django_assert_num_queries(0):
        assert module == with_survey.module
        assert survey == with_survey
        assert survey.module is module
        assert survey.cohort is cohort
        assert module.cohort is cohort
        assert survey.question_set.name == with_survey.question_set.name
    module, survey = module_and_survey(_request(cohort), 3)
    assert module == without
    assert survey is None
    for number in (6, 4):
        with pytest.raises(Http404):
            module_and_survey(_request(cohort), number)


def _delivery_as_the_orm_counts(survey):
    return Invitation.objects.filter(survey=survey).aggregate(
        invited=Count("pk"),
        queued=Count("pk", filter=Q(status=Invitation.Status.QUEUED)),
        sending=Count("pk", filter=Q(status=Invitation.Status.SENDING)),
        sent=Count("pk", filter=Q(status=Invitation.Status.SENT)),
        failed=Count("pk", filter=Q(status=Invitation.Status.FAILED)),
        responded=Count("pk", filter=Q(responded_at__isnull=False)),
        reminders=Coalesce(Sum("reminders_sent"), 0),
    )


@pytest.mark.parametrize("privacy", [Survey.Privacy.NAMED, Survey.Privacy.ANONYMOUS])
def test_invitation_delivery_rows_and_totals_are_those_of_the_invitations(cohort, privacy, django_assert_num_queries):
    survey = SurveyFactory(module=ModuleFactory(cohort=cohort, number=2), privacy=privacy)
    now = timezone.now()
    InvitationFactory(survey=survey, membership__cohort=cohort, membership__person__full_name="Bea Queued")
    InvitationFactory(
        survey=survey,
        membership__cohort=cohort,
        membership__person__full_name="Ann Sent",
        status=Invitation.Status.SENT,
        sent_at=now,
        responded_at=now,
        reminders_sent=2,
        last_reminder_at=now,
    )
    InvitationFactory(
        survey=survey,
        membership__cohort=cohort,
        membership__person__full_name="Cal Failed",
        status=Invitation.Status.FAILED,
        last_error="550 no such user",
        attempts=3,
    )
    InvitationFactory(survey=survey, membership__cohort=cohort, status=Invitation.Status.SENDING)
    withdrawn = InvitationFactory(survey=survey, membership__cohort=cohort, membership__person__full_name="Dee Gone")
    Membership.objects.filter(pk=withdrawn.membership_id).update(
        status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 2, 1)
    )
    InvitationFactory(status=Invitation.Status.SENT)  # another survey's

    with django_assert_num_queries(1):
        rows, counts = selectors.invitation_delivery_for_survey(survey=survey)
    assert counts == selectors.DeliveryCounts(**_delivery_as_the_orm_counts(survey))

    shown = selectors.invitation_rows(rows, survey=survey, can_send=True, resend=lambda pk: f"/resend/{pk}/")
    expected = []
    for invitation in (
        Invitation.objects.filter(survey=survey)
        .select_related("membership__person", "survey")
        .order_by("membership__person__full_name", "pk")
    ):
        may_resend = (
            invitation.membership.is_active
            and invitation.status != Invitation.Status.SENDING
            and not invitation.answer_is_final
        )
        expected.append(
            {
                "pk": invitation.pk,
                "name": invitation.membership.person.full_name,
                "email": invitation.membership.person.email,
                "active": invitation.membership.is_active,
                "status": invitation.status,
                "status_label": invitation.get_status_display(),
                "sent_at": invitation.sent_at,
                "attempts": invitation.attempts,
                "last_error": invitation.last_error,
                "responded": invitation.responded_at is not None,
                "reminders_sent": invitation.reminders_sent,
                "last_reminder_at": invitation.last_reminder_at,
                "resend_url": f"/resend/{invitation.pk}/" if may_resend else "",
            }
        )
    assert shown == expected
    answered = next(row for row in shown if row["name"] == "Ann Sent")
    assert bool(answered["resend_url"]) is (privacy == Survey.Privacy.NAMED)
    closed = selectors.invitation_rows(rows, survey=survey, can_send=False, resend=lambda pk: "x")
    assert all(row["resend_url"] == "" for row in closed)


def test_invitation_list_for_survey_is_the_invitations_by_name(open_survey, django_assert_num_queries):
    open_survey.invitations.filter(pk=open_survey.invitations.first().pk).update(responded_at=timezone.now())
    with django_assert_num_queries(1):
        table = selectors.invitation_list_for_survey(survey=open_survey, cohort_pk=open_survey.cohort_id)
    expected = [
        (i.pk, i.membership.person.full_name, i.get_status_display(), i.last_error, i.responded_at is not None)
        for i in open_survey.invitations.select_related("membership__person").order_by(
            "membership__person__full_name", "pk"
        )
    ]
    shown = [(r["pk"], r["name"], r["status_label"], r["last_error"], r["responded"]) for r in table["invitations"]]
    assert shown == expected
    assert any(r["responded"] for r in table["invitations"])


def test_survey_results_reads_the_survey_with_its_module_cohort_and_set(open_survey, django_assert_num_queries):
    expected = Survey.objects.select_related("module", "cohort", "question_set").get(pk=open_survey.pk)
    results = selectors.survey_results(survey=Survey.objects.get(pk=open_survey.pk))
    with django_assert_num_queries(0):
        assert results.survey.module.number == expected.module.number
        assert results.survey.cohort.name == expected.cohort.name
        assert results.survey.question_set.updated_at == expected.question_set.updated_at


def test_survey_results_of_a_survey_without_module_has_none(cohort):
    survey = CohortSurveyFactory(cohort=cohort)
    results = selectors.survey_results(survey=survey)
    assert results.survey.module is None
    assert results.survey.cohort == cohort


def test_question_set_visible_and_editable_follow_the_querysets(cohort, facilitator, staff_user):
    library = QuestionSetFactory()
    programmes = QuestionSetFactory(programme=cohort.programme)
    own = QuestionSetFactory(cohort=cohort)
    others = QuestionSetFactory(cohort=CohortFactory())
    other_programmes = QuestionSetFactory(programme=CohortFactory().programme)
    participant = MembershipFactory(cohort=cohort, person__user=UserFactory()).person.user
    for question_set in (library, programmes, own, others, other_programmes):
        visible = QuestionSet.objects.visible_to_cohort(cohort).filter(pk=question_set.pk).exists()
        found = selectors.question_set_visible(cohort=cohort, pk=question_set.pk)
        assert (found is not None) is visible
        if found is not None:
            assert found.programme == question_set.programme
            assert found.cohort == question_set.cohort
        for user in (facilitator, staff_user, participant):
            editable = QuestionSet.objects.editable_by(user, cohort).filter(pk=question_set.pk).exists()
            assert selectors.question_set_editable(user=user, cohort=cohort, question_set=question_set) is editable
    assert selectors.question_set_editable(user=facilitator, cohort=cohort, question_set=own)
    assert not selectors.question_set_editable(user=facilitator, cohort=cohort, question_set=library)


def test_question_set_is_locked_once_answered(open_survey, survey_answers):
    question_set = open_survey.question_set
    unanswered = QuestionSetFactory()
    assert not services.question_set_is_locked(question_set=unanswered)
    assert not services.question_set_is_locked(question_set=question_set)
    responses_bulk_create(open_survey, 1)
    assert services.question_set_is_locked(question_set=question_set)


def test_question_set_questions_follow_an_edit(cohort):
    question_set = QuestionSetFactory(cohort=cohort)
    QuestionFactory(question_set=question_set, text="First?")
    found = selectors.question_set_visible(cohort=cohort, pk=question_set.pk)
    assert [q.text for q in selectors.question_set_questions(question_set=found)] == ["First?"]
    QuestionFactory(question_set=question_set, text="Second?")
    found = selectors.question_set_visible(cohort=cohort, pk=question_set.pk)
    assert [q.text for q in selectors.question_set_questions(question_set=found)] == ["First?", "Second?"]


def test_survey_settings_and_defaults_follow_override_then_programme(cohort):
    assert services.survey_settings_for_cohort(cohort=cohort) == (None, None)
    default_set, privacy = services.survey_defaults_for_cohort(cohort=cohort)
    assert default_set == services.question_set_default()
    assert privacy == Survey.Privacy.PSEUDONYMOUS
    programme_set = QuestionSetFactory(programme=cohort.programme)
    ProgrammeSurveyDefaults.objects.create(
        programme=cohort.programme, question_set=programme_set, privacy=Survey.Privacy.NAMED
    )
    assert services.survey_defaults_for_cohort(cohort=cohort) == (programme_set, Survey.Privacy.NAMED)
    CohortSurveySettings.objects.create(cohort=cohort, question_set=None, privacy=Survey.Privacy.ANONYMOUS)
    override, programme = services.survey_settings_for_cohort(cohort=cohort)
    assert override.question_set is None
    assert programme.question_set == programme_set
    assert services.survey_defaults_for_cohort(cohort=cohort) == (programme_set, Survey.Privacy.ANONYMOUS)
    own = QuestionSetFactory(cohort=cohort, slug="own-set")
    CohortSurveySettings.objects.filter(cohort=cohort).update(question_set=own)
    assert services.survey_defaults_for_cohort(cohort=cohort) == (own, Survey.Privacy.ANONYMOUS)
    QuestionSet.objects.filter(pk=own.pk).update(is_current=False)
    newer = QuestionSetFactory(cohort=cohort, slug="own-set", version=2)
    assert services.question_set_for_cohort(cohort=cohort) == newer


def test_survey_list_gives_each_module_its_survey_and_counts(cohort, modules, django_assert_num_queries):
    first = SurveyFactory(module=modules[0])
    third = SurveyFactory(module=modules[2])
    InvitationFactory.create_batch(3, survey=first, membership__cohort=cohort)
    InvitationFactory(survey=third, membership__cohort=cohort, responded_at=timezone.now())
    InvitationFactory()  # another cohort's
    with django_assert_num_queries(2):
        rows = selectors.survey_list_for_cohort(cohort=cohort)
    counts = invitation_counts([first, third])
    assert [row["module"].number for row in rows] == [1, 2, 3, 4, 5]
    assert [row["survey"] for row in rows] == [first, None, third, None, None]
    assert [(row["invited"], row["responded"]) for row in rows] == [
        counts[first.pk],
        (0, 0),
        counts[third.pk],
        (0, 0),
        (0, 0),
    ]
    with django_assert_num_queries(0):
        assert rows[0]["survey"].question_set.name == first.question_set.name


def test_pdsa_cycle_page_reads_the_modules_as_module_list_for_cohort(cohort, modules, django_assert_num_queries):
    editor = UserFactory(first_name="Pat", last_name="Editor")
    cycle = PDSACycleFactory(module=modules[1], updated_by=editor, plan_intent="Try pairs")
    PDSACycleFactory(module=modules[2])
    done = ActItemFactory(cycle=cycle, done=True, done_at=timezone.now(), done_by=editor)
    ActItemFactory(cycle=PDSACycleFactory(module=modules[0]), text="Earlier")
    ActItemFactory(cycle=PDSACycleFactory(module=ModuleFactory(number=2)))  # another cohort's
    entry, listed = pdsa_entry_for_module(cohort=cohort, number=2)
    expected = module_list_for_cohort(cohort=cohort)
    with django_assert_num_queries(0):
        assert listed == expected
        assert [getattr(m, "pdsa_cycle", None) for m in listed] == [getattr(m, "pdsa_cycle", None) for m in expected]
        assert [getattr(getattr(m, "pdsa_cycle", None), "updated_by", None) for m in listed] == [
            getattr(getattr(m, "pdsa_cycle", None), "updated_by", None) for m in expected
        ]
        assert entry.cycle.plan_intent == "Try pairs"
        assert entry.cycle.updated_by.get_full_name() == "Pat Editor"
        assert [i.pk for i in entry.act_items] == [done.pk]
        assert entry.act_items[0].done_by == editor
        assert [i.text for i in entry.planned_from_previous] == ["Earlier"]
    assert pdsa_entry_for_module(cohort=cohort, number=6)[0] is None


def test_pdsa_timeline_reads_modules_cycles_and_items(cohort, modules, fill_cohort):
    fill_cohort(cohort, modules, 5)
    entries = pdsa_timeline_for_cohort(cohort=cohort)
    assert [e.module.number for e in entries] == list(Module.SURVEY_NUMBERS)
    for entry in entries:
        cycle = getattr(Module.objects.get(pk=entry.module.pk), "pdsa_cycle", None)
        assert entry.cycle == cycle
        expected = list(cycle.act_items.order_by("created_at", "pk")) if cycle else []
        assert entry.act_items == expected
        present = entry.module.attendances.filter(status="present").count()
        assert entry.figures.present == present
    assert entries[1].figures.present == 5
    assert entries[3].cycle is None


def test_group_labels_are_those_of_the_active_language():
    with translation.override("en"):
        pooled = disclosure.group_label(disclosure.POOLED)
        assert pooled == str(disclosure.POOLED_LABEL)
        code, label = next(iter(disclosure.PROFESSION_LABELS.items()))
        assert disclosure.group_label(code) == str(label)
    assert disclosure.group_label(disclosure.HIDDEN) == ""
    assert disclosure.group_label("unknown-code") == "unknown-code"


def _options(field):
    return [(str(value), str(label)) for value, label in field.choices]


def test_survey_settings_forms_offer_what_their_querysets_hold(cohort):
    old = QuestionSetFactory(cohort=cohort, name="Alpha", slug="alpha", is_current=False)
    QuestionSetFactory(cohort=cohort, name="Alpha", slug="alpha", version=2)
    QuestionSetFactory(programme=cohort.programme, name="Beta")
    QuestionSetFactory(name="Library")
    QuestionSetFactory(cohort=CohortFactory(), name="Another cohort's")
    survey = SurveyFactory(module=ModuleFactory(cohort=cohort, number=1), question_set=old)
    form = SurveySettingsForm(survey=survey)
    expected = [("", "---------")] + [(str(qs.pk), str(qs)) for qs in form.fields["question_set"].queryset]
    assert _options(form.fields["question_set"]) == expected
    assert (str(old.pk), "Alpha (v1)") in expected
    assert "Another cohort's (v1)" not in [label for _value, label in expected]
    cohort_form = CohortSurveySettingsForm(cohort=cohort)
    field = cohort_form.fields["question_set"]
    assert _options(field) == [("", str(field.empty_label))] + [(str(qs.pk), str(qs)) for qs in field.queryset]
    assert str(old.pk) not in [value for value, _label in _options(field)]
    refused = CohortSurveySettingsForm(data={"question_set": str(old.pk), "privacy": ""}, cohort=cohort)
    assert not refused.is_valid()
