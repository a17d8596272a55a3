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


def test_loaded_makes_the_instance_from_db_makes_deferred_columns_and_all(django_assert_num_queries):
    """The direct way (``common.compiled.loaded``) and Django's ``from_db`` give the same instance:
    the same columns, loaded state and database, the columns not read deferred (read on access)."""
    from django.db.models import signals

    from cohorts.models import Person
    from common.compiled import attnames, instance, loaded

    membership = MembershipFactory()
    person = membership.person
    direct = instance(Person, id=person.pk, full_name=person.full_name)
    django = Person.from_db("default", ["id", "full_name"], [person.pk, person.full_name])
    for made in (direct, django):
        assert not made._state.adding
        assert made._state.db == "default"
        assert made.get_deferred_fields() == django.get_deferred_fields()
        assert "email" in made.get_deferred_fields()
    assert {k: v for k, v in vars(direct).items() if k != "_state"} == {
        k: v for k, v in vars(django).items() if k != "_state"
    }
    with django_assert_num_queries(1):
        assert direct.email == person.email  # deferred: loaded on access, as from_db's
    whole = loaded(Membership, "default", attnames(Membership), [getattr(membership, n) for n in attnames(Membership)])
    assert whole.get_deferred_fields() == set()
    assert whole.cohort_id == membership.cohort_id
    with django_assert_num_queries(1):
        assert whole.cohort == membership.cohort  # a relation is read as on any loaded instance

    # A model whose instances a post_init receiver changes goes through from_db.
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    signals.post_init.connect(receiver, sender=Person)
    try:
        again = instance(Person, id=person.pk, full_name=person.full_name)
    finally:
        signals.post_init.disconnect(receiver, sender=Person)
    assert seen == [again]


def test_compiled_iterator_reads_every_row_in_chunks_or_at_once(django_assert_num_queries):
    """``iterator(chunk_size)`` reads through a server-side cursor a chunk at a time where the
    database has one; ``iterator()`` at once. Both yield the rows ``fetchall`` gives, in order."""
    cohort_pk = MembershipFactory().cohort_id
    MembershipFactory.create_batch(4, cohort_id=cohort_pk)
    statement = CompiledQuery(
        lambda cohort_pk: Membership.objects.filter(cohort_id=cohort_pk).order_by("pk").values_list("pk", "role"),
        cohort_pk=-1,
    )
    expected = statement.fetchall(cohort_pk=cohort_pk)
    assert len(expected) == 5

    rows = statement.iterator(cohort_pk=cohort_pk)
    with django_assert_num_queries(1):
        assert list(rows) == expected
    assert list(statement.iterator(2, cohort_pk=cohort_pk)) == expected
    assert list(statement.iterator(2, cohort_pk=-5)) == []
