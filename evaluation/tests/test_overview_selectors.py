"""The evaluation overview's reads (statements compiled once per process) give what the querysets
they replace gave."""

import datetime

import pytest
from django.utils import timezone
from django.utils.translation import override

from cohorts.models import Membership
from cohorts.tests.factories import CohortFactory
from evaluation.models import CohortEvaluation
from evaluation.result_selectors import evaluation_survey_figures, evaluation_surveys
from evaluation.selectors import cohort_evaluation_dates, follow_up_default, practice_totals
from modules.tests.factories import ModuleFactory
from surveys.models import Response, Survey
from surveys.tests.factories import CohortSurveyFactory, SurveyFactory

from .factories import PracticeMomentFactory, participant

pytestmark = pytest.mark.django_db


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


def test_practice_totals_count_active_participants_only_and_those_who_logged_nothing(cohort):
    logged = [participant(cohort) for _ in range(3)]
    idle = [participant(cohort) for _ in range(2)]
    for n, membership in enumerate(logged, start=1):
        PracticeMomentFactory.create_batch(n, membership=membership)
    PracticeMomentFactory.create_batch(4, membership=participant(cohort, role=Membership.Role.FACILITATOR))
    PracticeMomentFactory.create_batch(
        5, membership=participant(cohort, status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 2, 1))
    )
    PracticeMomentFactory.create_batch(6, membership=participant(CohortFactory()))

    totals = practice_totals(cohort=cohort)

    assert totals.visible
    assert (totals.active_participants, totals.loggers, totals.total_moments) == (len(logged) + len(idle), 3, 6)


def test_practice_totals_hide_fewer_than_three_loggers(cohort):
    for _ in range(4):
        participant(cohort)
    PracticeMomentFactory.create_batch(3, membership=participant(cohort))
    PracticeMomentFactory.create_batch(3, membership=participant(cohort))

    totals = practice_totals(cohort=cohort)

    assert not totals.visible
    assert totals.active_participants == 6
    assert totals.loggers is None
    assert totals.total_moments is None


def test_evaluation_dates_without_modules_have_no_default(cohort):
    dates = cohort_evaluation_dates(cohort=cohort)

    assert dates.follow_up_on is None
    assert not dates.follow_up_opened


def test_evaluation_dates_default_to_the_last_modules_day_plus_three_months(cohort):
    ModuleFactory(cohort=cohort, number=1, starts_at=_at(datetime.date(2026, 2, 1)))
    ModuleFactory(cohort=cohort, number=6, starts_at=_at(datetime.date(2026, 6, 30)))
    ModuleFactory(cohort=CohortFactory(), number=6, starts_at=_at(datetime.date(2026, 8, 1)))

    dates = cohort_evaluation_dates(cohort=cohort)

    assert dates.follow_up_on == follow_up_default(cohort=cohort) == datetime.date(2026, 9, 30)
    assert not dates.follow_up_opened


def test_evaluation_dates_read_the_saved_date_and_whether_the_follow_up_opened(cohort):
    ModuleFactory(cohort=cohort, number=6, starts_at=_at(datetime.date(2026, 6, 30)))
    CohortEvaluation.objects.create(cohort=cohort, follow_up_on=datetime.date(2026, 10, 15))
    CohortSurveyFactory(cohort=CohortFactory(), kind=Survey.Kind.FOLLOW_UP)  # another cohort's
    assert cohort_evaluation_dates(cohort=cohort).follow_up_on == datetime.date(2026, 10, 15)
    assert not cohort_evaluation_dates(cohort=cohort).follow_up_opened

    CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.FOLLOW_UP)

    assert cohort_evaluation_dates(cohort=cohort).follow_up_opened


def test_evaluation_survey_figures_are_the_surveys_status_and_responses(cohort):
    surveys = [
        CohortSurveyFactory(
            cohort=cohort, kind=Survey.Kind.SELF_PRE, status=Survey.Status.CLOSED, closed_at=timezone.now()
        ),
        CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.EVALUATION, status=Survey.Status.OPEN),
    ]
    # A module survey: not listed.
    SurveyFactory(module=ModuleFactory(cohort=cohort), status=Survey.Status.CLOSED, closed_at=timezone.now())
    for n, survey in enumerate(surveys, start=1):
        for k in range(n * 2):
            Response.objects.create(
                survey=survey, pseudonym=f"p{n}-{k}", submitted_at=timezone.now(), updated_at=timezone.now()
            )

    with override("en"):
        figures = evaluation_survey_figures(cohort=cohort)
        expected = {
            kind: (survey.status, survey.get_status_display(), survey.response_count)
            for kind, survey in evaluation_surveys(cohort=cohort).items()
        }

    assert {kind: (f.status, f.status_label, f.response_count) for kind, f in figures.items()} == expected
    assert expected == {
        Survey.Kind.SELF_PRE: (Survey.Status.CLOSED, "Closed", 2),
        Survey.Kind.EVALUATION: (Survey.Status.OPEN, "Open", 4),
    }
