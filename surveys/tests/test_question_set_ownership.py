"""Question sets have an owner (issue 9, point 1).

The library (the built-in default) and a programme's sets are changed only by staff; a cohort's own
sets only by that cohort's facilitators (and staff). A facilitator who edits a set she may not change
gets a copy for her cohort, and only her cohort follows it. Another cohort's sets do not exist for her.
"""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort, Membership
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from modules.tests.factories import ModuleFactory
from surveys.models import CohortSurveySettings, ProgrammeSurveyDefaults, QuestionSet, Survey
from surveys.services import (
    invitation_issue_token,
    question_create,
    question_set_copy,
    question_set_default,
    question_set_for_editing,
    response_submit,
    survey_get_or_create_draft,
    survey_open_for_module,
)
from surveys.tests.factories import ANSWERS, QuestionSetFactory, SurveyFactory

pytestmark = pytest.mark.django_db

HER_QUESTION = {"text": "Her question?", "kind": "short_text", "code": "hers", "required": ""}


def _url(name, cohort, **kwargs):
    return reverse(f"surveys:{name}", kwargs={"cohort_pk": cohort.pk, **kwargs})


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


def _facilitator_of(cohort):
    return MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR, person__user=UserFactory()).person.user


def _snapshot(question_set):
    return list(question_set.questions.order_by("order", "id").values_list("code", "text", "order"))


def _codes(survey):
    survey.refresh_from_db()
    return set(survey.question_set.questions.values_list("code", flat=True))


@pytest.fixture
def other_cohort(cohort):
    """Another cohort of the same programme: the programme's sets are shared, nothing else is."""
    return CohortFactory(programme=cohort.programme, name="Brackenmoor Cohort 1")


@pytest.fixture
def other_client(other_cohort):
    return _client_for(_facilitator_of(other_cohort))


@pytest.fixture
def staff_client(staff_user):
    return _client_for(staff_user)


@pytest.fixture
def tamar_set(facilitator_client, cohort):
    """A set Tamar Vale's facilitator made on her cohort's pages, with two questions."""
    response = facilitator_client.post(_url("question_set_list", cohort), {"name": "Tamar private pulse"})
    assert response.status_code == 302
    question_set = QuestionSet.objects.get(name="Tamar private pulse")
    detail = _url("question_set_detail", cohort, pk=question_set.pk)
    for code in ("first", "second"):
        data = {"text": f"{code}?", "kind": "short_text", "code": code, "required": ""}
        assert facilitator_client.post(detail, data).status_code == 302
    return question_set


@pytest.fixture
def programme_set(cohort):
    """The programme's default set: a copy of the built-in one that the programme owns."""
    question_set = question_set_copy(
        question_set=question_set_default(), name="Programme feedback", programme=cohort.programme
    )
    ProgrammeSurveyDefaults.objects.create(programme=cohort.programme, question_set=question_set)
    return question_set


# --- another cohort's facilitator ------------------------------------------------------------


def test_question_set_list_hides_another_cohorts_sets(
    facilitator_client, other_client, cohort, other_cohort, tamar_set
):
    assert "Tamar private pulse" in facilitator_client.get(_url("question_set_list", cohort)).content.decode()
    theirs = other_client.get(_url("question_set_list", other_cohort)).content.decode()
    assert "Tamar private pulse" not in theirs
    assert question_set_default().name in theirs  # the library stays visible to everyone


@pytest.mark.parametrize(
    ("method", "name", "on_question", "data"),
    [
        ("get", "question_set_detail", False, {}),
        ("post", "question_set_detail", False, HER_QUESTION),
        ("post", "question_set_copy", False, {"name": "Taken"}),
        ("get", "question_update", True, {}),
        ("post", "question_update", True, {"text": "Changed?", "kind": "short_text", "code": "first"}),
        ("post", "question_update", True, {"delete": "1"}),
        ("post", "question_update", True, {"move": "down"}),
    ],
)
def test_another_cohorts_facilitator_gets_404_on_tamars_set(
    other_client, other_cohort, tamar_set, method, name, on_question, data
):
    before, sets_before = _snapshot(tamar_set), QuestionSet.objects.count()
    kwargs = {"pk": tamar_set.pk}
    if on_question:
        kwargs["question_pk"] = tamar_set.questions.get(code="first").pk
    response = getattr(other_client, method)(_url(name, other_cohort, **kwargs), data)
    assert response.status_code == 404
    assert _snapshot(tamar_set) == before
    assert QuestionSet.objects.count() == sets_before


def test_another_programmes_set_is_404(facilitator_client, cohort):
    elsewhere = QuestionSetFactory(programme=CohortFactory().programme)
    assert facilitator_client.get(_url("question_set_detail", cohort, pk=elsewhere.pk)).status_code == 404
    assert elsewhere.name not in facilitator_client.get(_url("question_set_list", cohort)).content.decode()


def test_survey_settings_forms_refuse_another_cohorts_set(facilitator_client, other_client, cohort, other_cohort):
    other_client.post(_url("question_set_list", other_cohort), {"name": "Brackenmoor own"})
    theirs = QuestionSet.objects.get(name="Brackenmoor own")
    page = facilitator_client.get(_url("survey_list", cohort)).content.decode()
    assert "Brackenmoor own" not in page
    response = facilitator_client.post(_url("survey_list", cohort), {"question_set": theirs.pk, "privacy": ""})
    assert response.status_code == 400
    assert not CohortSurveySettings.objects.filter(cohort=cohort).exists()
    survey = survey_get_or_create_draft(module=ModuleFactory(cohort=cohort, number=1))
    data = {"question_set": theirs.pk, "privacy": "named", "reminder_after_days": "3", "max_reminders": "2"}
    assert facilitator_client.post(_url("survey_detail", cohort, number=1), data).status_code == 400
    survey.refresh_from_db()
    assert survey.question_set_id == question_set_default().pk


# --- a facilitator edits a set she does not own: her cohort gets a copy ----------------------


def test_facilitator_edit_of_shared_set_leaves_other_cohorts_next_survey_alone(
    facilitator_client, other_client, cohort, other_cohort, linked
):
    """The reproduction of the review: one POST by the other facilitator changed Tamar's next survey."""
    default = question_set_default()
    tamar_answered = linked[0][0].survey
    response_submit(invitation=linked[0][0], token=linked[0][1], raw_answers=ANSWERS)
    tamar_open = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=2))
    her_open = survey_open_for_module(module=ModuleFactory(cohort=other_cohort, number=1))
    assert tamar_open.question_set_id == her_open.question_set_id == default.pk

    response = other_client.post(_url("question_set_detail", other_cohort, pk=default.pk), HER_QUESTION)

    assert response.status_code == 302
    default.refresh_from_db()
    assert default.is_current
    assert "hers" not in set(default.questions.values_list("code", flat=True))
    assert QuestionSet.objects.filter(slug=default.slug).count() == 1  # no new version of the shared set
    assert "hers" not in _codes(tamar_open)
    assert "hers" not in _codes(tamar_answered)
    tamar_next = survey_get_or_create_draft(module=ModuleFactory(cohort=cohort, number=3))
    assert "hers" not in _codes(tamar_next)
    assert not CohortSurveySettings.objects.filter(cohort=cohort).exists()
    copy = QuestionSet.objects.get(cohort=other_cohort)
    assert response["Location"] == _url("question_set_detail", other_cohort, pk=copy.pk)
    assert _codes(her_open) == {*default.questions.values_list("code", flat=True), "hers"}
    assert her_open.question_set_id == copy.pk
    assert CohortSurveySettings.objects.get(cohort=other_cohort).question_set == copy
    her_next = survey_get_or_create_draft(module=ModuleFactory(cohort=other_cohort, number=2))
    assert her_next.question_set_id == copy.pk


def test_facilitator_edit_of_programme_set_makes_cohort_copy(facilitator_client, cohort, other_cohort, programme_set):
    before = _snapshot(programme_set)
    question = programme_set.questions.get(code="went_well")
    url = _url("question_update", cohort, pk=programme_set.pk, question_pk=question.pk)
    data = {"text": "What worked?", "kind": "long_text", "code": "went_well", "required": ""}
    assert facilitator_client.post(url, data).status_code == 302
    assert _snapshot(programme_set) == before
    assert ProgrammeSurveyDefaults.objects.get(programme=cohort.programme).question_set == programme_set
    copy = CohortSurveySettings.objects.get(cohort=cohort).question_set
    assert (copy.cohort, copy.programme) == (cohort, None)
    assert copy.questions.get(code="went_well").text == "What worked?"
    other_next = survey_get_or_create_draft(module=ModuleFactory(cohort=other_cohort, number=1))
    assert other_next.question_set == programme_set
    # Her further edits change her copy in place: no second copy.
    facilitator_client.post(_url("question_set_detail", cohort, pk=copy.pk), HER_QUESTION)
    assert QuestionSet.objects.filter(cohort=cohort).count() == 1
    assert copy.questions.filter(code="hers").exists()


def test_facilitator_edit_that_fails_validation_makes_no_copy(facilitator_client, cohort, programme_set):
    data = {**HER_QUESTION, "condition_code": "usefulness", "condition_value": "9"}
    response = facilitator_client.post(_url("question_set_detail", cohort, pk=programme_set.pk), data)
    assert response.status_code == 400
    assert not QuestionSet.objects.filter(cohort=cohort).exists()
    assert not CohortSurveySettings.objects.filter(cohort=cohort).exists()


def test_editing_a_set_the_cohort_does_not_use_does_not_change_its_settings(facilitator_client, cohort, programme_set):
    cohort_set = question_set_copy(question_set=programme_set, name="Ours", cohort=cohort)
    CohortSurveySettings.objects.create(cohort=cohort, question_set=cohort_set)
    facilitator_client.post(_url("question_set_detail", cohort, pk=question_set_default().pk), HER_QUESTION)
    assert QuestionSet.objects.filter(cohort=cohort).count() == 2
    assert CohortSurveySettings.objects.get(cohort=cohort).question_set == cohort_set


# --- versions of owned sets ------------------------------------------------------------------


def test_version_of_cohort_set_moves_only_that_cohorts_surveys(facilitator_client, cohort, other_cohort, participants):
    own = question_set_copy(question_set=question_set_default(), name="Ours", cohort=cohort)
    CohortSurveySettings.objects.create(cohort=cohort, question_set=own)
    answered = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=1))
    invitation = answered.invitations.first()
    response_submit(invitation=invitation, token=invitation_issue_token(invitation=invitation), raw_answers=ANSWERS)
    unanswered = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=2))
    closed = SurveyFactory(
        module=ModuleFactory(cohort=cohort, number=3), question_set=own, status="closed", closed_at=timezone.now()
    )
    # A row from before owners existed: another cohort's survey on this set must not follow the edit.
    stray = SurveyFactory(module=ModuleFactory(cohort=other_cohort, number=1), question_set=own)

    assert facilitator_client.post(_url("question_set_detail", cohort, pk=own.pk), HER_QUESTION).status_code == 302

    new = QuestionSet.objects.get(slug=own.slug, is_current=True)
    assert (new.version, new.cohort, new.previous_version) == (2, cohort, own)
    assert CohortSurveySettings.objects.get(cohort=cohort).question_set == new
    for survey, expected in [(answered, own), (unanswered, new), (closed, own), (stray, own)]:
        survey.refresh_from_db()
        assert survey.question_set == expected, survey


def test_staff_edits_programme_set_in_place(staff_client, cohort, programme_set):
    response = staff_client.post(_url("question_set_detail", cohort, pk=programme_set.pk), HER_QUESTION)
    assert response.status_code == 302
    assert programme_set.questions.filter(code="hers").exists()
    assert not QuestionSet.objects.filter(cohort=cohort).exists()
    assert ProgrammeSurveyDefaults.objects.get(programme=cohort.programme).question_set == programme_set


def test_staff_version_of_programme_set_moves_the_programme_only(
    staff_client, cohort, other_cohort, programme_set, participants
):
    answered = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=1))
    invitation = answered.invitations.first()
    response_submit(invitation=invitation, token=invitation_issue_token(invitation=invitation), raw_answers=ANSWERS)
    follower = survey_open_for_module(module=ModuleFactory(cohort=other_cohort, number=1))
    CohortSurveySettings.objects.create(cohort=other_cohort, question_set=programme_set)
    elsewhere = SurveyFactory(module=ModuleFactory(cohort=CohortFactory(), number=1), question_set=programme_set)

    assert staff_client.post(_url("question_set_detail", cohort, pk=programme_set.pk), HER_QUESTION).status_code == 302

    new = QuestionSet.objects.get(slug=programme_set.slug, is_current=True)
    assert (new.version, new.programme, new.cohort) == (2, cohort.programme, None)
    assert ProgrammeSurveyDefaults.objects.get(programme=cohort.programme).question_set == new
    assert CohortSurveySettings.objects.get(cohort=other_cohort).question_set == new
    for survey, expected in [(answered, programme_set), (follower, new), (elsewhere, programme_set)]:
        survey.refresh_from_db()
        assert survey.question_set == expected


def test_question_set_for_editing_refuses_a_set_the_cohort_cannot_see(cohort, facilitator):
    hidden = QuestionSetFactory(cohort=CohortFactory(programme=cohort.programme))
    with pytest.raises(PermissionDenied):
        question_set_for_editing(question_set=hidden, user=facilitator, cohort=cohort)
    with pytest.raises(PermissionDenied):
        question_create(question_set=question_set_default(), user=facilitator, kind="short_text", text="From admin?")


# --- the rule in one place -------------------------------------------------------------------


def test_visible_and_editable_querysets(cohort, other_cohort, facilitator, staff_user, programme_set):
    library = question_set_default()
    own = QuestionSetFactory(cohort=cohort)
    theirs = QuestionSetFactory(cohort=other_cohort)
    elsewhere = QuestionSetFactory(programme=CohortFactory().programme)
    visible = set(QuestionSet.objects.visible_to_cohort(cohort))
    assert {library, programme_set, own} <= visible
    assert not {theirs, elsewhere} & visible
    assert set(QuestionSet.objects.editable_by(facilitator, cohort)) == {own}
    assert set(QuestionSet.objects.editable_by(staff_user, cohort)) == visible
    participant = MembershipFactory(cohort=cohort, person__user=UserFactory()).person.user
    assert not QuestionSet.objects.editable_by(participant, cohort).exists()
    withdrawn = _facilitator_of(cohort)
    Membership.objects.filter(person__user=withdrawn).update(status="withdrawn", withdrawn_on="2026-02-01")
    assert not QuestionSet.objects.editable_by(withdrawn, cohort).exists()


def test_a_set_has_at_most_one_owner(cohort):
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionSetFactory(cohort=cohort, programme=cohort.programme)


def test_deleting_a_cohort_deletes_its_own_answered_sets(cohort, linked):
    own = question_set_copy(question_set=question_set_default(), name="Ours", cohort=cohort)
    survey = linked[0][0].survey
    Survey.objects.filter(pk=survey.pk).update(question_set=own)
    survey.refresh_from_db()
    response_submit(invitation=linked[0][0], token=linked[0][1], raw_answers=ANSWERS)
    CohortSurveySettings.objects.create(cohort=cohort, question_set=own)
    Cohort.objects.filter(pk=cohort.pk).delete()
    assert not QuestionSet.objects.filter(pk=own.pk).exists()
    assert QuestionSet.objects.filter(pk=question_set_default().pk).exists()


def test_admin_shows_and_filters_owner(staff_client, cohort, programme_set):
    own = QuestionSetFactory(cohort=cohort, name="Cohort-owned pulse")
    changelist = reverse("admin:surveys_questionset_changelist")
    page = staff_client.get(changelist).content.decode()
    assert cohort.name in page
    assert cohort.programme.name in page
    only_cohorts = staff_client.get(changelist, {"owner": "cohort"}).content.decode()
    assert own.name in only_cohorts
    assert programme_set.name not in only_cohorts
    assert question_set_default().name not in only_cohorts
    library = staff_client.get(changelist, {"owner": "library"}).content.decode()
    assert question_set_default().name in library
    assert own.name not in library


# --- existing rows get an owner --------------------------------------------------------------


def test_migration_gives_existing_sets_an_owner(cohort, other_cohort):
    migration = importlib.import_module("surveys.migrations.0003_questionset_owner")
    default = question_set_default()
    by_programme = QuestionSetFactory(name="P", slug="by-programme", is_current=False)
    by_programme_v2 = QuestionSetFactory(name="P", slug="by-programme", version=2, previous_version=by_programme)
    ProgrammeSurveyDefaults.objects.create(programme=cohort.programme, question_set=by_programme)
    by_cohort = QuestionSetFactory(slug="by-cohort")
    CohortSurveySettings.objects.create(cohort=cohort, question_set=by_cohort)
    by_two_cohorts = QuestionSetFactory(slug="two-cohorts")
    CohortSurveySettings.objects.create(cohort=other_cohort, question_set=by_two_cohorts)
    SurveyFactory(module=ModuleFactory(cohort=cohort), question_set=by_two_cohorts)
    across_programmes = QuestionSetFactory(slug="across")
    SurveyFactory(module=ModuleFactory(cohort=CohortFactory()), question_set=across_programmes)
    SurveyFactory(module=ModuleFactory(cohort=other_cohort, number=2), question_set=across_programmes)
    unused = QuestionSetFactory(slug="unused")
    # The default set stays in the library even when a programme names it as its default.
    ProgrammeSurveyDefaults.objects.create(programme=CohortFactory().programme, question_set=default)

    migration.assign_owners(django_apps, None)

    def owner(question_set):
        question_set.refresh_from_db()
        return question_set.programme, question_set.cohort

    assert owner(by_programme) == owner(by_programme_v2) == (cohort.programme, None)
    assert owner(by_cohort) == (None, cohort)
    assert owner(by_two_cohorts) == (cohort.programme, None)
    assert owner(across_programmes) == (None, None)
    assert owner(unused) == (None, None)
    assert owner(default) == (None, None)


def test_facilitator_sees_who_owns_a_set_and_what_an_edit_does(facilitator_client, cohort, programme_set):
    page = facilitator_client.get(_url("question_set_detail", cohort, pk=programme_set.pk)).content.decode()
    assert "copy for this cohort" in page
    assert cohort.programme.name in page
