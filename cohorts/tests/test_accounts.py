"""Every member gets an account to sign in with (cohorts.services: people_users_ensure and callers)."""

import pytest
from django.contrib.auth import get_user_model

from cohorts import services
from cohorts.imports import participant_file_read
from cohorts.models import Membership, Person
from cohorts.tests.factories import CohortFactory, MembershipFactory, PersonFactory, UserFactory
from cohorts.tests.test_imports import good_csv, rows_of

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_participant_add_gives_the_new_person_an_account_without_a_password(cohort):
    membership, _created = services.participant_add(cohort=cohort, full_name="Ana Able", email="Ana.Able@Example.org")

    user = membership.person.user
    assert user is not None
    assert user.username == "ana.able@example.org"
    assert user.email == "ana.able@example.org"
    assert (user.first_name, user.last_name) == ("Ana", "Able")
    assert not user.has_usable_password()
    assert user.is_active
    assert not user.is_staff


def test_participant_add_keeps_an_existing_account(cohort):
    account = UserFactory(username="jodie")
    person = PersonFactory(email="jodie@example.org", user=account)

    membership, _created = services.participant_add(cohort=cohort, full_name="Jodie", email=person.email)

    assert membership.person.user == account
    assert User.objects.count() == 1


def test_account_username_is_unique_when_the_address_is_taken_as_a_username(cohort):
    staff = UserFactory(username="ana@example.org", is_staff=True)

    membership, _created = services.participant_add(cohort=cohort, full_name="Ana Able", email="ana@example.org")

    user = membership.person.user
    assert user != staff
    assert user.username.startswith("ana@example.org-")
    assert len(user.username) == len("ana@example.org-") + 8


def test_account_username_keeps_only_what_usernames_allow_and_fits_150_characters():
    local = "o'brien!" + "x" * 200
    assert services.username_from_email(f"{local}@example.org") == ("o_brien_" + "x" * 200)[:150]


def test_membership_add_gives_a_facilitator_an_account(cohort):
    person = PersonFactory(email="helen@example.org")

    services.membership_add(cohort=cohort, person=person, role=Membership.Role.FACILITATOR)

    person.refresh_from_db()
    assert person.user.username == "helen@example.org"


def test_cohort_create_gives_its_facilitators_accounts():
    other = CohortFactory()
    people = [PersonFactory(email=f"f{i}@example.org") for i in range(2)]

    services.cohort_create(
        programme=other.programme,
        commissioner=other.commissioner,
        name="New cohort",
        start_date=other.start_date,
        facilitators=people,
    )

    assert sorted(Person.objects.filter(pk__in=[p.pk for p in people]).values_list("user__username", flat=True)) == [
        "f0@example.org",
        "f1@example.org",
    ]


def test_participants_import_gives_new_and_existing_people_accounts(cohort):
    existing = PersonFactory(email="ben@example.org")
    assert existing.user is None

    services.participants_import(cohort=cohort, rows=participant_file_read(good_csv()))

    people = Person.objects.filter(memberships__cohort=cohort)
    assert people.count() == 3
    assert all(person.user is not None for person in people)
    assert {p.user.username for p in people} >= {"ana@example.org", "ben@example.org"}
    assert not any(p.user.has_usable_password() for p in people)


@pytest.mark.parametrize("size", [5, 200])
def test_participants_import_makes_accounts_in_a_constant_number_of_queries(size, django_assert_max_num_queries):
    cohort = CohortFactory()
    rows = rows_of("".join(f"Person {i},p{i}@example.org,Role,Nursing,Team,\n" for i in range(size)))

    with django_assert_max_num_queries(20):
        services.participants_import(cohort=cohort, rows=rows)

    assert User.objects.filter(person__memberships__cohort=cohort).count() == size


def test_person_update_moves_the_account_address_and_username_with_the_e_mail(cohort):
    membership, _created = services.participant_add(cohort=cohort, full_name="Ana Able", email="ana@example.org")

    services.person_update(person=membership.person, full_name="Ana Able", email="ana.able@nhs.example")

    user = User.objects.get(person=membership.person)
    assert user.email == "ana.able@nhs.example"
    assert user.username == "ana.able@nhs.example"


def test_person_update_leaves_a_hand_made_username_and_other_address_alone(cohort):
    account = UserFactory(username="jodie", email="jodie.private@example.org")
    membership = MembershipFactory(cohort=cohort, person__email="jodie@example.org", person__user=account)

    services.person_update(person=membership.person, full_name="Jodie", email="jodie@nhs.example")

    account.refresh_from_db()
    assert (account.username, account.email) == ("jodie", "jodie.private@example.org")
