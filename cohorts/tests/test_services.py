import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cohorts import services
from cohorts.models import Membership, Person
from cohorts.tests.factories import (
    CohortFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


def test_membership_add_is_idempotent():
    membership = MembershipFactory()

    again = services.membership_add(cohort=membership.cohort, person=membership.person)

    assert again.pk == membership.pk
    assert Membership.objects.count() == 1


def test_membership_withdraw_sets_status_and_date():
    membership = MembershipFactory()

    services.membership_withdraw(membership=membership, on=datetime.date(2026, 2, 2))

    membership.refresh_from_db()
    assert membership.status == Membership.Status.WITHDRAWN
    assert membership.withdrawn_on == datetime.date(2026, 2, 2)


def test_membership_withdraw_defaults_to_today():
    membership = MembershipFactory()

    services.membership_withdraw(membership=membership)

    assert membership.withdrawn_on == timezone.localdate()


def test_membership_withdraw_twice_is_refused():
    membership = MembershipFactory(status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 1, 5))

    with pytest.raises(ValidationError):
        services.membership_withdraw(membership=membership, on=datetime.date(2026, 2, 2))

    membership.refresh_from_db()
    assert membership.withdrawn_on == datetime.date(2026, 1, 5)


def test_membership_reinstate_clears_the_date():
    membership = MembershipFactory(status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 1, 5))

    services.membership_reinstate(membership=membership)

    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    assert membership.withdrawn_on is None


def test_participant_add_creates_a_new_person():
    cohort = CohortFactory()

    membership, created = services.participant_add(
        cohort=cohort, full_name=" Dee Doe ", email="Dee@Example.org", profession=Person.Profession.SOCIAL_WORK
    )

    assert created is True
    assert membership.person.full_name == "Dee Doe"
    assert membership.person.email == "dee@example.org"
    assert membership.role == Membership.Role.PARTICIPANT


def test_participant_add_reuses_a_person_and_fills_only_blanks():
    organisation = OrganisationFactory()
    person = PersonFactory(
        email="dee@example.org", full_name="Dee Doe", job_title="", team="Known team", profession="other"
    )

    membership, created = services.participant_add(
        cohort=CohortFactory(),
        full_name="Deirdre Doe",
        email="DEE@example.org",
        job_title="Matron",
        team="New team",
        profession=Person.Profession.NURSE,
        organisation=organisation,
    )

    person.refresh_from_db()
    assert created is False
    assert membership.person == person
    assert person.full_name == "Dee Doe"
    assert (person.job_title, person.team, person.profession) == ("Matron", "Known team", "nurse")
    assert person.organisation == organisation


@pytest.mark.parametrize(
    ("role", "status", "message"),
    [
        ("participant", "active", "already a participant"),
        ("participant", "withdrawn", "reinstate them"),
        ("facilitator", "active", "as facilitator"),
    ],
)
def test_participant_add_refuses_someone_already_in_the_cohort(role, status, message):
    membership = MembershipFactory(
        role=role,
        status=status,
        withdrawn_on=datetime.date(2026, 1, 1) if status == "withdrawn" else None,
        person__email="dee@example.org",
    )

    with pytest.raises(ValidationError, match=message):
        services.participant_add(cohort=membership.cohort, full_name="Dee", email="dee@example.org")

    assert Membership.objects.count() == 1


def test_participant_add_bad_email_creates_nothing():
    with pytest.raises(ValidationError):
        services.participant_add(cohort=CohortFactory(), full_name="Dee", email="not an e-mail")

    assert not Person.objects.exists()
