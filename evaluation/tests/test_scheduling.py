import datetime

import pytest
from django.db import IntegrityError
from django.utils import timezone

from cohorts.tests.factories import CohortFactory, MembershipFactory
from evaluation.models import CohortEvaluation
from evaluation.services import evaluation_question_sets_ensure, evaluation_surveys_open_due
from modules.services import module_mark_delivered
from modules.tests.factories import ModuleFactory
from surveys.models import Invitation, QuestionSet, Survey
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
