"""Making a cohort with its modules and moving them with it (moved here from cohorts)."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cohorts.models import Cohort, Membership
from cohorts.tests.factories import (
    CohortFactory,
    ModuleOutlineFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeFactory,
)
from modules import services
from modules.models import Module
from modules.tests.factories import ModuleFactory

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def programme():
    programme = ProgrammeFactory()
    for number in range(1, 7):
        ModuleOutlineFactory(
            programme=programme,
            number=number,
            title=f"Outline {number}",
            weeks_after_start=(number - 1) * 4,
            duration_hours=6 if number < 6 else 3,
            is_celebration=number == 6,
        )
    return programme


def test_cohort_create_from_programme_makes_six_dated_modules(programme):
    facilitator = PersonFactory()

    cohort = services.cohort_create_from_programme(
        programme=programme,
        commissioner=OrganisationFactory(),
        name="Spring 2026",
        start_date=datetime.date(2026, 1, 12),
        facilitators=[facilitator],
    )

    modules = list(cohort.modules.order_by("number"))
    assert [m.number for m in modules] == [1, 2, 3, 4, 5, 6]
    assert [m.title for m in modules] == [f"Outline {n}" for n in range(1, 7)]
    assert modules[0].starts_at.astimezone(LONDON) == datetime.datetime(2026, 1, 12, 9, 30, tzinfo=LONDON)
    # Module 4 falls after the clock change and still starts at 09:30 local time.
    assert modules[3].starts_at.astimezone(LONDON) == datetime.datetime(2026, 4, 6, 9, 30, tzinfo=LONDON)
    assert modules[5].ends_at - modules[5].starts_at == datetime.timedelta(hours=3)
    assert modules[5].is_celebration
    assert all(m.state == Module.State.PLANNED for m in modules)
    assert cohort.memberships.get().person == facilitator
    assert cohort.memberships.get().role == Membership.Role.FACILITATOR


def test_cohort_create_from_programme_rejects_end_before_start(programme):
    with pytest.raises(ValidationError):
        services.cohort_create_from_programme(
            programme=programme,
            commissioner=OrganisationFactory(),
            name="Backwards",
            start_date=datetime.date(2026, 3, 1),
            end_date=datetime.date(2026, 2, 1),
        )

    assert not Cohort.objects.filter(name="Backwards").exists()


def test_cohort_update_moves_only_planned_modules():
    cohort = CohortFactory(start_date=datetime.date(2026, 3, 2))
    start = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)
    delivered = ModuleFactory(
        cohort=cohort,
        number=1,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=7),
        state=Module.State.DELIVERED,
        delivered_at=timezone.now(),
    )
    later = start + datetime.timedelta(weeks=3)
    planned = ModuleFactory(cohort=cohort, number=2, starts_at=later, ends_at=later + datetime.timedelta(hours=7))

    services.cohort_update(
        cohort=cohort,
        name=cohort.name,
        start_date=datetime.date(2026, 3, 9),
        end_date=None,
        status=Cohort.Status.RUNNING,
        survey_audience=Cohort.SurveyAudience.ALL_ACTIVE,
        move_planned_modules=True,
    )

    delivered.refresh_from_db()
    planned.refresh_from_db()
    assert delivered.starts_at == start
    # Moved a week, across the clock change on 29 March, still at 09:30 local time.
    assert planned.starts_at.astimezone(LONDON) == datetime.datetime(2026, 3, 30, 9, 30, tzinfo=LONDON)


def test_cohort_update_without_moving_keeps_module_dates():
    cohort = CohortFactory(start_date=datetime.date(2026, 3, 2))
    module = ModuleFactory(cohort=cohort)
    before = module.starts_at

    services.cohort_update(
        cohort=cohort,
        name="New name",
        start_date=datetime.date(2026, 3, 9),
        end_date=None,
        status=Cohort.Status.PLANNED,
        survey_audience=Cohort.SurveyAudience.PRESENT_ONLY,
    )

    module.refresh_from_db()
    cohort.refresh_from_db()
    assert module.starts_at == before
    assert (cohort.name, cohort.survey_audience) == ("New name", "present_only")


def test_cohort_update_rejects_end_before_start():
    cohort = CohortFactory(start_date=datetime.date(2026, 3, 2))

    with pytest.raises(ValidationError):
        services.cohort_update(
            cohort=cohort,
            name="x",
            start_date=datetime.date(2026, 3, 9),
            end_date=datetime.date(2026, 3, 1),
            status=Cohort.Status.PLANNED,
            survey_audience=Cohort.SurveyAudience.ALL_ACTIVE,
        )

    assert Cohort.objects.get(pk=cohort.pk).start_date == datetime.date(2026, 3, 2)
