"""The cohort access middleware: one statement finds a member's membership and the cohort."""

import pytest
from django.test import Client
from django.urls import reverse

from cohorts.middleware import membership_giving_access
from cohorts.models import Membership
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_membership_giving_access_loads_the_membership_its_person_and_cohort(
    cohort, facilitator, django_assert_num_queries
):
    expected = Membership.objects.select_related("person", "cohort__programme", "cohort__commissioner").get(
        cohort=cohort, person__user=facilitator
    )
    with django_assert_num_queries(1):
        membership = membership_giving_access(user=facilitator, cohort_pk=cohort.pk)
        loaded = [membership, membership.person, membership.cohort]
        loaded += [membership.cohort.programme, membership.cohort.commissioner]
    reference = [expected, expected.person, expected.cohort, expected.cohort.programme, expected.cohort.commissioner]
    for got, want in zip(loaded, reference, strict=True):
        fields = [field.attname for field in type(want)._meta.concrete_fields]
        assert [getattr(got, name) for name in fields] == [getattr(want, name) for name in fields]
        assert not got._state.adding
        assert not got.get_deferred_fields()


def test_membership_giving_access_is_none_for_a_withdrawn_member_or_another_cohort(cohort):
    withdrawn = MembershipFactory(cohort=cohort, person__user=UserFactory())
    Membership.objects.filter(pk=withdrawn.pk).update(
        status=Membership.Status.WITHDRAWN, withdrawn_on=cohort.start_date
    )
    user = withdrawn.person.user
    assert membership_giving_access(user=user, cohort_pk=cohort.pk) is None
    member_elsewhere = MembershipFactory(person=withdrawn.person, cohort=CohortFactory())
    assert membership_giving_access(user=user, cohort_pk=member_elsewhere.cohort.pk) == member_elsewhere
    assert membership_giving_access(user=user, cohort_pk=10**20) is None


def test_a_member_withdrawn_after_signing_in_no_longer_opens_the_cohort(cohort):
    membership = MembershipFactory(cohort=cohort, person__user=UserFactory())
    client = Client()
    client.force_login(membership.person.user)
    url = reverse("projects:set_list", kwargs={"cohort_pk": cohort.pk})
    assert client.get(url).status_code == 200
    Membership.objects.filter(pk=membership.pk).update(
        status=Membership.Status.WITHDRAWN, withdrawn_on=cohort.start_date
    )
    assert client.get(url).status_code == 404
