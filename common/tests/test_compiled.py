import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

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


def test_update_and_insert_updates_the_row_and_inserts_the_other_each_time(django_assert_num_queries):
    """The first call compiles the statement, the later ones reuse it with their own values."""
    from django.utils import timezone

    from common.compiled import update_and_insert
    from common.models import SentEmail

    first, second = MembershipFactory(), MembershipFactory()
    for membership, role in ((first, Membership.Role.FACILITATOR), (second, Membership.Role.SET_FACILITATOR)):
        log = SentEmail(
            kind="test.kind", to=f"m{membership.pk}@example.org", subject=f"About {membership.pk}", status="sent"
        )
        with django_assert_num_queries(1 if connection.vendor == "postgresql" else 4):
            update_and_insert(Membership, membership.pk, {"role": role, "updated_at": timezone.now()}, log)

    assert dict(Membership.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "role")) == {
        first.pk: Membership.Role.FACILITATOR,
        second.pk: Membership.Role.SET_FACILITATOR,
    }
    assert sorted(SentEmail.objects.values_list("to", "subject")) == sorted(
        [(f"m{first.pk}@example.org", f"About {first.pk}"), (f"m{second.pk}@example.org", f"About {second.pk}")]
    )
    assert all(row.created_at is not None for row in SentEmail.objects.all())


def test_instances_from_row_builds_each_model_from_its_columns_and_returns_the_rest():
    from common.compiled import attnames, instances_from_row

    membership = MembershipFactory()
    person = membership.person
    row = (
        *(getattr(membership, name) for name in attnames(Membership)),
        *(getattr(person, name) for name in attnames(type(person))),
        "extra",
    )
    (built, built_person), rest = instances_from_row(row, Membership, type(person))

    assert (built.pk, built.cohort_id, built.role, built._state.adding) == (
        membership.pk,
        membership.cohort_id,
        membership.role,
        False,
    )
    assert (built_person.pk, built_person.email) == (person.pk, person.email)
    assert rest == ("extra",)
    with pytest.raises(ValueError, match="ends before"):
        instances_from_row(row[:3], Membership)
