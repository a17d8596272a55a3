"""Statements planned once per connection (common.compiled.prepared_cursor): prepared on PostgreSQL,
logged readably, and the usual cursor when the setting is off."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cohorts.tests.factories import CohortFactory
from common.compiled import CompiledQuery, prepared_cursor

pytestmark = pytest.mark.django_db

NAMES = "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s"


def _prepared_here(marker: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(NAMES, [f"%{marker}%"])
        return [statement for (statement,) in cursor.fetchall()]


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")


def test_a_statement_is_prepared_once_and_reads_what_the_usual_cursor_reads(postgresql, settings):
    settings.PREPARED_STATEMENTS = True
    sql = "SELECT %s::int + 1 AS prepared_here_marker_one"
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, [41])
        first = cursor.fetchone()
        cursor.execute(sql, [1])
        second = cursor.fetchone()

    assert (first, second) == ((42,), (2,))
    assert len(_prepared_here("prepared_here_marker_one")) == 1


def test_the_setting_off_gives_the_usual_cursor(postgresql, settings):
    settings.PREPARED_STATEMENTS = False
    with prepared_cursor(connection) as cursor:
        cursor.execute("SELECT %s::int AS prepared_here_marker_two", [7])
        assert cursor.fetchone() == (7,)

    assert _prepared_here("prepared_here_marker_two") == []


def test_a_prepared_statement_is_logged_with_its_values(postgresql, settings):
    settings.PREPARED_STATEMENTS = True
    with CaptureQueriesContext(connection) as queries, prepared_cursor(connection) as cursor:
        cursor.execute("SELECT %s::text AS prepared_here_marker_three", ["Cohort 7"])

    assert queries.captured_queries[-1]["sql"] == "SELECT 'Cohort 7'::text AS prepared_here_marker_three"


def test_a_compiled_query_asked_to_prepare_reads_as_the_queryset_does(postgresql, settings):
    settings.PREPARED_STATEMENTS = True
    cohorts = CohortFactory.create_batch(2)
    read = CompiledQuery(
        lambda pk: type(cohorts[0]).objects.filter(pk=pk).values_list("name", "created_at"), prepare=True, pk=-1
    )

    rows = [read.fetchone(pk=cohort.pk) for cohort in cohorts]

    assert rows == [(cohort.name, cohort.created_at) for cohort in cohorts]
    assert len(_prepared_here('"cohorts_cohort"."name"')) == 1
