import datetime

import pytest
from django.db import IntegrityError
from django.utils import timezone

from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from evaluation.models import CohortEvaluation
from evaluation.scheduling import evaluation_question_set_for_cohort
from evaluation.services import evaluation_question_sets_ensure, evaluation_surveys_open_due
from modules.services import module_mark_delivered
from modules.tests.factories import ModuleFactory
from surveys.models import Invitation, QuestionSet, Response, Survey
from surveys.services import question_set_for_editing
from surveys.tests.factories import CohortSurveyFactory

pytestmark = pytest.mark.django_db


def _at(day: datetime.date, hour=9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_evaluation_question_sets_ensure_builds_library_sets_once_with_then_only_after():
    sets = evaluation_question_sets_ensure()
    again = evaluation_question_sets_ensure()
    assert {k: s.pk for k, s in sets.items()} == {k: s.pk for k, s in again.items()}
    pre, post = sets[Survey.Kind.SELF_PRE], sets[Survey.Kind.SELF_POST]
    assert pre.owner_kind == QuestionSet.Owner.LIBRARY
    assert not pre.questions.filter(asks_then=True).exists()
    assert post.questions.filter(asks_then=True).count() == post.questions.count() > 10
    assert set(pre.questions.values_list("code", flat=True)) == set(post.questions.values_list("code", flat=True))
    assert QuestionSet.objects.filter(slug="programme-evaluation").count() == 1


def test_evaluation_surveys_open_due_opens_pre_on_start_date_once():
    cohort = CohortFactory(start_date=datetime.date(2026, 3, 2))
    MembershipFactory.create_batch(3, cohort=cohort)
    ModuleFactory(cohort=cohort, number=1, starts_at=_at(datetime.date(2026, 3, 9)))
    assert evaluation_surveys_open_due(now=_at(datetime.date(2026, 3, 1))) == []
    opened = evaluation_surveys_open_due(now=_at(datetime.date(2026, 3, 2)))
    survey = Survey.objects.get(pk__in=opened)
    assert survey.kind == Survey.Kind.SELF_PRE
    assert survey.module is None
    assert survey.privacy == Survey.Privacy.PSEUDONYMOUS
    assert survey.status == Survey.Status.OPEN
    assert survey.closes_at == _at(datetime.date(2026, 3, 9))
    assert survey.invitations.count() == 3
    assert evaluation_surveys_open_due(now=_at(datetime.date(2026, 3, 3))) == []
    assert Survey.objects.filter(cohort=cohort).count() == 1


def test_module_6_delivered_opens_post_and_evaluation_and_sets_follow_up_date(django_capture_on_commit_callbacks):
    cohort = CohortFactory()
    MembershipFactory.create_batch(2, cohort=cohort)
    module = ModuleFactory(cohort=cohort, number=6, starts_at=_at(datetime.date(2026, 6, 30)))
    with django_capture_on_commit_callbacks(execute=True):
        module_mark_delivered(module=module)
    surveys = {s.kind: s for s in Survey.objects.filter(cohort=cohort)}
    assert set(surveys) == {Survey.Kind.SELF_POST, Survey.Kind.EVALUATION}
    assert surveys[Survey.Kind.SELF_POST].privacy == Survey.Privacy.PSEUDONYMOUS
    assert surveys[Survey.Kind.SELF_POST].question_set.questions.filter(asks_then=True).exists()
    assert Invitation.objects.filter(survey__cohort=cohort).count() == 4
    assert CohortEvaluation.objects.get(cohort=cohort).follow_up_on == datetime.date(2026, 9, 30)
    module_mark_delivered(module=module)
    assert Survey.objects.filter(cohort=cohort).count() == 2


def test_module_5_delivered_opens_no_evaluation_survey():
    module = ModuleFactory(number=5)
    module_mark_delivered(module=module)
    assert not Survey.objects.filter(cohort=module.cohort).exclude(kind=Survey.Kind.MODULE).exists()


def test_evaluation_surveys_open_due_opens_follow_up_on_its_date_once():
    cohort = CohortFactory(start_date=datetime.date(2025, 1, 6))
    MembershipFactory(cohort=cohort)
    CohortEvaluation.objects.create(cohort=cohort, follow_up_on=datetime.date(2026, 9, 30))
    assert evaluation_surveys_open_due(now=_at(datetime.date(2026, 9, 29))) == []
    opened = evaluation_surveys_open_due(now=_at(datetime.date(2026, 9, 30)))
    assert Survey.objects.get(pk__in=opened).kind == Survey.Kind.FOLLOW_UP
    assert evaluation_surveys_open_due(now=_at(datetime.date(2026, 10, 1))) == []


def test_survey_one_per_cohort_and_kind_and_module_only_for_module_kind():
    survey = CohortSurveyFactory()
    with pytest.raises(IntegrityError):
        CohortSurveyFactory(cohort=survey.cohort, question_set=survey.question_set)


def test_survey_of_module_kind_needs_a_module():
    with pytest.raises(IntegrityError):
        CohortSurveyFactory(kind=Survey.Kind.MODULE)


def test_a_cohorts_own_copy_of_an_evaluation_set_is_asked_there_and_nowhere_else():
    """Facilitators edit the library self-assessment from their cohort's pages (copy-on-write gives
    the cohort its own copy): that cohort's survey asks the copy; another cohort keeps the library set."""
    library = evaluation_question_sets_ensure()[Survey.Kind.SELF_PRE]
    cohort = CohortFactory(start_date=datetime.date(2026, 3, 2))
    other = CohortFactory(start_date=datetime.date(2026, 3, 2))
    facilitator = MembershipFactory(cohort=cohort, role="facilitator", person__user=UserFactory()).person.user
    for each in (cohort, other):
        MembershipFactory.create_batch(3, cohort=each)
    copy = question_set_for_editing(question_set=library, user=facilitator, cohort=cohort)
    assert copy.pk != library.pk
    assert copy.cohort == cohort
    question = copy.questions.order_by("order").first()
    question.text = "In my own team, I set a shared purpose."
    question.save()

    opened = Survey.objects.filter(pk__in=evaluation_surveys_open_due(now=_at(datetime.date(2026, 3, 2))))
    by_cohort = {survey.cohort_id: survey for survey in opened}
    assert by_cohort[cohort.pk].question_set == copy
    assert by_cohort[other.pk].question_set == library
    assert set(copy.questions.values_list("code", flat=True)) == set(library.questions.values_list("code", flat=True))


def test_a_frozen_cohort_copy_hands_its_origin_to_the_next_version():
    library = evaluation_question_sets_ensure()[Survey.Kind.SELF_POST]
    cohort = CohortFactory()
    facilitator = MembershipFactory(cohort=cohort, role="facilitator", person__user=UserFactory()).person.user
    copy = question_set_for_editing(question_set=library, user=facilitator, cohort=cohort)
    survey = CohortSurveyFactory(cohort=cohort, question_set=copy)
    member = MembershipFactory(cohort=cohort)
    Response.objects.create(survey=survey, membership=member, submitted_at=timezone.now(), updated_at=timezone.now())
    next_version = question_set_for_editing(question_set=copy, user=facilitator, cohort=cohort)
    assert next_version.version == copy.version + 1
    assert next_version.copied_from_slug == library.slug
    assert evaluation_question_set_for_cohort(cohort=cohort, kind=Survey.Kind.SELF_POST) == next_version
    assert evaluation_question_set_for_cohort(cohort=CohortFactory(), kind=Survey.Kind.SELF_POST) == library
