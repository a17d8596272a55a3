"""The follow-up survey's date is set per cohort: module 6's day + 3 months unless the facilitators
move it, within sense, and never once the follow-up has opened."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation.models import CohortEvaluation
from evaluation.scheduling import evaluation_surveys_open_due
from modules.tests.factories import ModuleFactory
from surveys.models import Survey
from surveys.tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db

MODULE_6 = datetime.date(2026, 6, 30)


@pytest.fixture
def module_6(cohort):
    return ModuleFactory(
        cohort=cohort, number=6, starts_at=timezone.make_aware(datetime.datetime.combine(MODULE_6, datetime.time(9)))
    )


def url(cohort, name="follow_up_date_update"):
    return reverse(f"evaluation:{name}", kwargs={"cohort_pk": cohort.pk})


def test_the_overview_shows_the_default_date_and_offers_to_change_it(facilitator_client, cohort, module_6):
    html = facilitator_client.get(url(cohort, "evaluation_overview")).content.decode()
    assert "The follow-up survey opens on 30 September 2026." in html
    assert url(cohort) in html
    assert not CohortEvaluation.objects.exists()  # reading writes nothing


def test_facilitators_move_the_follow_up_and_the_schedule_opens_it_then(facilitator_client, cohort, module_6):
    response = facilitator_client.post(url(cohort), {"follow_up_on": "2026-10-15"})

    assert response.status_code == 302
    assert CohortEvaluation.objects.get(cohort=cohort).follow_up_on == datetime.date(2026, 10, 15)
    assert evaluation_surveys_open_due(now=datetime.datetime(2026, 9, 30, 10, tzinfo=datetime.UTC)) == []
    opened = evaluation_surveys_open_due(now=datetime.datetime(2026, 10, 15, 10, tzinfo=datetime.UTC))
    assert Survey.objects.get(pk__in=opened).kind == Survey.Kind.FOLLOW_UP


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2026-06-30", "Choose a day after module 6 (30 June 2026)."),
        ("2029-01-01", "Choose a day within two years of module 6."),
        ("not a date", "Enter a valid date."),
        ("", "This field is required."),
    ],
)
def test_a_date_out_of_reason_is_refused_with_a_message_and_nothing_changes(
    facilitator_client, cohort, module_6, day, message
):
    response = facilitator_client.post(url(cohort), {"follow_up_on": day})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert (
        not CohortEvaluation.objects.filter(follow_up_on__isnull=False)
        .exclude(follow_up_on=datetime.date(2026, 9, 30))
        .exists()
    )


def test_once_the_follow_up_has_opened_its_date_stays(facilitator_client, cohort, module_6):
    SurveyFactory(module=None, cohort=cohort, kind=Survey.Kind.FOLLOW_UP)

    response = facilitator_client.post(url(cohort), {"follow_up_on": "2026-10-15"})

    assert response.status_code == 400
    assert "already been opened" in response.content.decode()
    assert url(cohort) not in facilitator_client.get(url(cohort, "evaluation_overview")).content.decode()
