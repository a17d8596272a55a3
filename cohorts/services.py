import datetime

from django.db import transaction
from django.utils import timezone

from modules.models import Module

from .models import Cohort, Membership, Organisation, Person, Programme

# A face-to-face module runs 09:30 to 16:30 unless the outline says otherwise.
MODULE_START_TIME = datetime.time(9, 30)


@transaction.atomic
def cohort_create_from_programme(
    *,
    programme: Programme,
    commissioner: Organisation,
    name: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    facilitators: list[Person] = (),
    status: str = Cohort.Status.PLANNED,
) -> Cohort:
    """Create a cohort with its six modules, dated from its start by the programme's outline."""
    cohort = Cohort(
        programme=programme,
        commissioner=commissioner,
        name=name,
        start_date=start_date,
        end_date=end_date,
        status=status,
    )
    cohort.full_clean()
    cohort.save()
    tz = timezone.get_current_timezone()
    modules = []
    for outline in programme.outlines.order_by("number"):
        day = start_date + datetime.timedelta(weeks=outline.weeks_after_start)
        starts_at = datetime.datetime.combine(day, MODULE_START_TIME, tzinfo=tz)
        modules.append(
            Module(
                cohort=cohort,
                number=outline.number,
                title=outline.title,
                topics=outline.topics,
                is_celebration=outline.is_celebration,
                starts_at=starts_at,
                ends_at=starts_at + datetime.timedelta(hours=float(outline.duration_hours)),
            )
        )
    Module.objects.bulk_create(modules)
    for person in facilitators:
        membership_add(cohort=cohort, person=person, role=Membership.Role.FACILITATOR)
    return cohort


def membership_add(*, cohort: Cohort, person: Person, role: str = Membership.Role.PARTICIPANT) -> Membership:
    """Put a person in a cohort; adding someone already there returns their membership unchanged."""
    membership, _ = Membership.objects.get_or_create(cohort=cohort, person=person, defaults={"role": role})
    return membership


def membership_withdraw(*, membership: Membership, on: datetime.date | None = None) -> Membership:
    membership.status = Membership.Status.WITHDRAWN
    membership.withdrawn_on = on or timezone.localdate()
    membership.save(update_fields=["status", "withdrawn_on", "updated_at"])
    return membership
