"""A partial drawn once per process for what it shows (common.drawn)."""

import datetime

import pytest
from django.utils import timezone, translation

from common import drawn

TABLE = "cohorts/partials/_participant_table.html"


pytestmark = pytest.mark.usefixtures("nothing_drawn")


@pytest.fixture
def renders(rendered_templates):
    """How many times the table is rendered while the test runs."""
    return lambda: rendered_templates.count(TABLE)


def _values(**row):
    base = {
        "pk": 7,
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "job_title": "Ward manager",
        "profession": "Nursing",
        "team": "",
        "active": True,
        "withdrawn_on": None,
        "present": 2,
        "apologies": 0,
    }
    return {"cohort_pk": 3, "delivered": 4, "rows": [{**base, **row}]}


def test_drawn_draws_the_partial_from_its_values_alone():
    html = drawn.drawn(TABLE, _values())
    assert "Ada Lovelace" in html
    assert "present 2 of 4 delivered modules" in html
    assert "/cohorts/3/participants/7/" in html


def test_drawn_draws_once_for_the_same_values(renders):
    first = drawn.drawn(TABLE, _values())
    assert drawn.drawn(TABLE, _values()) == first
    assert renders() == 1


def test_drawn_draws_again_when_a_value_changes(renders):
    drawn.drawn(TABLE, _values())
    changed = drawn.drawn(TABLE, _values(active=False, withdrawn_on=datetime.date(2026, 3, 4)))
    assert "Withdrawn on 4 Mar 2026" in changed
    renamed = drawn.drawn(TABLE, _values(name="Ada King"))
    assert "Ada King" in renamed
    assert "Ada Lovelace" not in renamed
    assert renders() == 3


def test_drawn_draws_for_each_language_and_time_zone(renders):
    drawn.drawn(TABLE, _values())
    with translation.override("fr"):
        drawn.drawn(TABLE, _values())
    with timezone.override("America/New_York"):
        drawn.drawn(TABLE, _values())
    assert renders() == 3


def test_drawn_keeps_fewer_drawings_of_a_large_partial():
    drawn.drawn(TABLE, _values())
    assert drawn.kept_at_most(TABLE) == drawn.MAXSIZE  # one row: small

    drawn.cache_clear()
    big = _values()
    big["rows"] = [{**big["rows"][0], "pk": pk} for pk in range(1, 301)]
    html = drawn.drawn(TABLE, big)
    assert drawn.kept_at_most(TABLE) == max(drawn.MINSIZE, drawn.BUDGET // len(html)) < drawn.MAXSIZE
