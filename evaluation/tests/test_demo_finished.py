"""The demo's finished cohort, as ``manage.py load_demo`` leaves it and as its facilitator sees it."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from cohorts.models import Cohort, Membership
from evaluation import demo_finished, result_selectors
from modules.models import Module
from surveys.models import Survey

pytestmark = pytest.mark.django_db


def test_after_load_demo_the_finished_cohort_shows_its_self_assessment_change_without_names():
    # Tests run with DEBUG off, which the command treats as a real system unless forced.
    call_command("load_demo", "--force", stdout=StringIO())
    cohort = Cohort.objects.get(name=demo_finished.NAME)

    modules = Module.objects.filter(cohort=cohort)
    assert modules.count() == 6
    assert set(modules.values_list("state", flat=True)) == {Module.State.DELIVERED}
    self_assessments = dict(
        Survey.objects.filter(cohort=cohort, kind__in=[Survey.Kind.SELF_PRE, Survey.Kind.SELF_POST]).values_list(
            "kind", "status"
        )
    )
    assert self_assessments == {Survey.Kind.SELF_PRE: Survey.Status.CLOSED, Survey.Kind.SELF_POST: Survey.Status.CLOSED}

    facilitator = Membership.objects.filter(cohort=cohort, role=Membership.Role.FACILITATOR).first().person.user
    client = Client()
    client.force_login(facilitator)
    response = client.get(reverse("evaluation:self_assessment_results", kwargs={"cohort_pk": cohort.pk}))

    assert response.status_code == 200
    html = response.content.decode()
    dimensions = set(re.findall(r'<tr data-dimension="([\w-]+)" data-comparison="post_pre">', html))
    assert len(dimensions) >= 9
    assert re.search(r"With \d+ pairs, ", html)
    participants = Membership.objects.filter(cohort=cohort, role=Membership.Role.PARTICIPANT)
    names = list(participants.values_list("person__full_name", flat=True))
    assert len(names) == len(demo_finished.PARTICIPANTS)
    assert [name for name in names if name in html] == []


def test_the_demos_self_assessment_shows_a_response_shift():
    """The finished cohort is written to show what the design is for: looking back, participants rate
    their earlier selves lower than they did at the time ("then" below "pre"), so post−then finds a
    clear change in more dimensions and items than post−pre. Its other evaluation surveys are answered."""
    call_command("load_demo", "--force", stdout=StringIO())
    cohort = Cohort.objects.get(name=demo_finished.NAME)
    results = result_selectors.self_assessment_results(cohort=cohort)

    assert results.visible
    assert len(results.rows) == 14
    assert sum(row.then.mean < row.pre.mean for row in results.rows) == len(results.rows)
    clear = {
        comparison: sum(getattr(row, comparison).is_clear for row in results.rows)
        for comparison in ("post_pre", "post_then")
    }
    assert clear["post_then"] > clear["post_pre"] > 0
    items = [item for row in results.rows for item in row.items]
    assert sum(item.post_then.is_clear for item in items) > sum(item.post_pre.is_clear for item in items)
    for kind in (Survey.Kind.EVALUATION, Survey.Kind.FOLLOW_UP):
        assert Survey.objects.get(cohort=cohort, kind=kind).responses.count() >= 3
