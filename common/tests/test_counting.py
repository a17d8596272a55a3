"""common.counting.counts: several querysets' counts in one query, each what .count() gives."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cohorts.models import Cohort, Membership
from cohorts.tests.factories import CohortFactory, MembershipFactory
from common.counting import counts

pytestmark = pytest.mark.django_db


def test_counts_are_each_querysets_count_in_one_query():
    cohort, other = CohortFactory(), CohortFactory()
    MembershipFactory.create_batch(3, cohort=cohort)
    MembershipFactory(cohort=other)
    querysets = {
        "members": Membership.objects.filter(cohort=cohort),
        # across a join, with the queryset's own ordering and a parameter that is a string
        "named": Membership.objects.filter(cohort__name=cohort.name).order_by("-id"),
        "people_in_both": Membership.objects.filter(person__memberships__cohort=other),
        "no_row": Cohort.objects.filter(pk=-1),
        "nothing": Cohort.objects.none(),
        "cohorts": Cohort.objects.all(),
    }
    expected = {name: queryset.count() for name, queryset in querysets.items()}

    with CaptureQueriesContext(connection) as captured:
        got = counts(**querysets)

    assert got == expected
    assert expected["members"] == 3
    assert expected["no_row"] == expected["nothing"] == 0
    assert len(captured.captured_queries) == 1


def test_no_querysets_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert counts() == {}
