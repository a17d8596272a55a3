import pytest
from django.core.exceptions import ImproperlyConfigured

from cohorts.models import Membership
from cohorts.tests.factories import MembershipFactory
from common.compiled import CompiledQuery

pytestmark = pytest.mark.django_db


def _active_roles(cohort_pk):
    return Membership.objects.active().filter(cohort=cohort_pk).order_by("pk").values_list("role")[:1]


def test_compiled_query_keeps_a_parameter_that_is_not_a_placeholder():
    """The status the queryset filters on is part of the statement; the cohort is the placeholder."""
    statement = CompiledQuery(_active_roles, cohort_pk=-1)
    active = MembershipFactory(role=Membership.Role.FACILITATOR)
    withdrawn = MembershipFactory()
    Membership.objects.filter(pk=withdrawn.pk).update(
        status=Membership.Status.WITHDRAWN, withdrawn_on=withdrawn.cohort.start_date
    )
    assert statement.fetchone(cohort_pk=active.cohort_id) == (Membership.Role.FACILITATOR,)
    assert statement.fetchone(cohort_pk=withdrawn.cohort_id) is None


def test_compiled_query_refuses_a_placeholder_missing_from_the_statement():
    statement = CompiledQuery(lambda cohort_pk, other: _active_roles(cohort_pk), cohort_pk=-1, other=-2)
    with pytest.raises(ImproperlyConfigured):
        statement.fetchone(cohort_pk=1, other=2)
