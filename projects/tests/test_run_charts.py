"""A measure's run chart block is drawn once per process for what it shows (projects.templatetags.run_charts)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

from cohorts.tests.factories import client_for
from projects import selectors
from projects.models import DataPoint
from projects.templatetags import run_charts
from projects.tests.factories import DataPointFactory, ProjectPDSACycleFactory

pytestmark = pytest.mark.django_db

BLOCK = "projects/partials/_run_chart.html"
SVG = "projects/partials/_run_chart_svg.html"
TAG = Template("{% load run_charts %}{% run_chart m cohort_pk=1 project_pk=2 show_actions=actions %}")


@pytest.fixture(autouse=True)
def _no_charts_drawn():
    run_charts.cache_clear()
    yield
    run_charts.cache_clear()


@pytest.fixture
def drawn(rendered_templates):
    """The names of the templates rendered while the test runs."""
    return rendered_templates


def _measure(world):
    return selectors.measure_get(cohort=world["cohort"], project_pk=world["project_a"].pk, pk=world["measure_a"].pk)


def _showcase_block(client, world):
    """The measure's run chart block on the showcase."""
    page = client.get(reverse("projects:showcase", kwargs={"cohort_pk": world["cohort"].pk})).text
    pk = world["measure_a"].pk
    return re.search(
        rf'<figure class="run-chart mb-2" id="chart-{pk}">.*?id="data-{pk}">.*?</table>', page, re.S
    ).group()


def test_run_chart_draws_the_measures_chart_verdict_and_table(world):
    measure = _measure(world)
    chart = measure.chart

    block = TAG.render(Context({"m": measure, "actions": False}))

    svg = get_template(SVG).render(
        {
            "layout": chart.layout,
            "chart_id": f"chart-{measure.pk}",
            "name": measure.name,
            "unit": measure.unit,
            "enough_data": chart.analysis.enough_data,
            "findings": chart.summary,
        }
    )
    assert svg in block  # the one SVG partial, as the report draws it
    assert block.count('class="rc-point') == 12
    assert block.count("<tr>") == 13  # the table's head and a row a point
    assert "<strong>Shift</strong>: 7 points in a row on one side of the median – in the better direction." in block
    assert "Data of “Handovers using SBAR” (%)" in block
    assert "data_point" not in block


def test_run_chart_rows_link_to_their_data_points_when_actions_are_shown(world):
    measure = _measure(world)
    point = measure.data_points.all()[0]

    block = TAG.render(Context({"m": measure, "actions": True}))

    update = reverse(
        "projects:data_point_update",
        kwargs={"cohort_pk": 1, "project_pk": 2, "measure_pk": measure.pk, "point_pk": point.pk},
    )
    assert f'<a href="{update}">Edit<span class="visually-hidden"> 5 Jan 2026</span></a>' in block
    assert block.count("Delete<span") == 12


def test_run_chart_is_drawn_once_for_the_same_chart(world, drawn):
    client = client_for(world["member_b"])

    first = _showcase_block(client, world)
    again = _showcase_block(client, world)

    assert again == first
    assert drawn.count(BLOCK) == 1


def test_showcase_chart_changes_when_a_data_point_is_added_or_changed(world, drawn):
    client = client_for(world["member_b"])
    before = _showcase_block(client, world)
    assert before.count('class="rc-point') == 12

    point = DataPointFactory(measure=world["measure_a"], date=datetime.date(2026, 3, 30), value=Decimal("64.5"))
    added = _showcase_block(client, world)

    assert added.count('class="rc-point') == 13
    assert "<title>30 Mar 2026: 64.5" in added
    assert '<td class="text-end">64.500</td>' in added
    point.value = Decimal("66")
    point.save()
    changed = _showcase_block(client, world)

    assert "<title>30 Mar 2026: 66" in changed
    assert "64.5" not in changed
    DataPoint.objects.filter(pk=point.pk).update(note="Ward closed for a day")
    noted = _showcase_block(client, world)

    assert '<div class="fw-normal text-body-secondary">Ward closed for a day</div>' in noted
    assert drawn.count(BLOCK) == 4


def test_showcase_chart_changes_when_the_measure_or_a_pdsa_cycle_changes(world):
    client = client_for(world["member_b"])
    measure = world["measure_a"]

    measure.name = "Handovers with SBAR"
    measure.unit = "handovers"
    measure.save()
    renamed = _showcase_block(client, world)

    assert "Run chart: Handovers with SBAR" in renamed
    assert ">handovers</text>" in renamed
    assert "Data of “Handovers with SBAR” (handovers)" in renamed
    assert "PDSA 1" not in renamed
    cycle = ProjectPDSACycleFactory(project=world["project_a"], title="Print SBAR cards")
    marked = _showcase_block(client, world)

    assert "PDSA 1: Print SBAR cards" in marked
    cycle.title = "Laminated SBAR cards"
    cycle.save()
    retitled = _showcase_block(client, world)

    assert "PDSA 1: Laminated SBAR cards" in retitled
    assert "Print SBAR cards" not in retitled


def test_measure_page_shows_row_actions_to_editors_only(world, drawn):
    url = reverse(
        "projects:measure_detail",
        kwargs={
            "cohort_pk": world["cohort"].pk,
            "project_pk": world["project_a"].pk,
            "measure_pk": world["measure_a"].pk,
        },
    )

    editor = client_for(world["member_a"]).get(url).text
    viewer = client_for(world["member_b"]).get(url).text

    assert editor.count("Delete<span") == 12
    assert "Delete<span" not in viewer
    assert drawn.count(BLOCK) == 2


def test_run_chart_is_drawn_for_each_language(world):
    measure = _measure(world)
    context = Context({"m": measure, "actions": False})

    with translation.override("en"):
        english = TAG.render(context)
    with translation.override("de"):
        german = TAG.render(context)

    assert ">2 Mar 26</text>" in english
    assert ">2 Mär 26</text>" in german
