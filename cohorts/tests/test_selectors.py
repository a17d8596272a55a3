import zoneinfo

import pytest

from cohorts import selectors
from cohorts.models import Membership
from cohorts.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


def test_profession_mix_counts_and_orders_largest_first():
    people = [PersonFactory(profession=p) for p in ("nurse", "psychology", "nurse", "social_work")]
    memberships = [Membership(person=p) for p in people]

    mix = selectors.profession_mix(memberships)

    assert [(row.code, row.count, row.percent) for row in mix] == [
        ("nurse", 2, 50),
        ("psychology", 1, 25),
        ("social_work", 1, 25),
    ]
