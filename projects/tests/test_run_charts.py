"""A run chart's SVG is drawn once per process for what it shows (projects.templatetags.run_charts)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import translation

from cohorts.tests.factories import client_for
from projects import selectors
from projects.templatetags import run_charts
from projects.tests.factories import DataPointFactory, ProjectPDSACycleFactory

pytestmark = pytest.mark.django_db

SVG = "projects/partials/_run_chart_svg.html"
TAG = Template(
    "{% load run_charts %}{% run_chart_svg layout=c.layout chart_id='chart-1' name=m.name unit=m.unit "
    "enough_data=c.analysis.enough_data findings=c.summary %}"
)


@pytest.fixture(autouse=True)
def _no_charts_drawn():
    run_charts.cache_clear()
    yield
    run_charts.cache_clear()


@pytest.fixture
def drawn():
    """The names of the templates rendered while the test runs."""
    names = []

    def rendered(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(rendered)
    yield names
    template_rendered.disconnect(rendered)


def _measure(world):
    return selectors.measure_get(cohort=world["cohort"], project_pk=world["project_a"].pk, pk=world["measure_a"].pk)


def _showcase_chart(client, world):
    """The measure's SVG on the showcase."""
    page = client.get(reverse("projects:showcase", kwargs={"cohort_pk": world["cohort"].pk})).text
    return re.search(rf'<svg[^>]*aria-labelledby="chart-{world["measure_a"].pk}-title.*?</svg>', page, re.S).group()


def test_run_chart_svg_is_the_partial_drawn_with_the_same_arguments(world):
    measure = _measure(world)
    chart = measure.chart

    svg = TAG.render(Context({"c": chart, "m": measure}))

    expected = get_template(SVG).render(
        {
            "layout": chart.layout,
            "chart_id": "chart-1",
            "name": measure.name,
            "unit": measure.unit,
            "enough_data": chart.analysis.enough_data,
            "findings": chart.summary,
        }
    )
    assert svg == expected
    assert svg.count('class="rc-point') == 12
    assert "Handovers using SBAR" in svg


def test_run_chart_svg_is_drawn_once_for_the_same_chart(world, drawn):
    client = client_for(world["member_b"])

    first = _showcase_chart(client, world)
    again = _showcase_chart(client, world)

    assert again == first
    assert drawn.count(SVG) == 1


def test_showcase_chart_changes_when_a_data_point_is_added_or_changed(world, drawn):
    client = client_for(world["member_b"])
    before = _showcase_chart(client, world)
    assert before.count('class="rc-point') == 12

    point = DataPointFactory(measure=world["measure_a"], date=datetime.date(2026, 3, 30), value=Decimal("64.5"))
    added = _showcase_chart(client, world)

    assert added.count('class="rc-point') == 13
    assert "<title>30 Mar 2026: 64.5" in added
    point.value = Decimal("66")
    point.save()
    changed = _showcase_chart(client, world)

    assert "<title>30 Mar 2026: 66" in changed
    assert "64.5" not in changed
    assert drawn.count(SVG) == 3


def test_showcase_chart_changes_when_the_measure_or_a_pdsa_cycle_changes(world):
    client = client_for(world["member_b"])
    measure = world["measure_a"]

    measure.name = "Handovers with SBAR"
    measure.unit = "handovers"
    measure.save()
    renamed = _showcase_chart(client, world)

    assert "Run chart: Handovers with SBAR" in renamed
    assert ">handovers</text>" in renamed
    assert "PDSA 1" not in renamed
    cycle = ProjectPDSACycleFactory(project=world["project_a"], title="Print SBAR cards")
    marked = _showcase_chart(client, world)

    assert "PDSA 1: Print SBAR cards" in marked
    cycle.title = "Laminated SBAR cards"
    cycle.save()
    retitled = _showcase_chart(client, world)

    assert "PDSA 1: Laminated SBAR cards" in retitled
    assert "Print SBAR cards" not in retitled


def test_run_chart_svg_is_drawn_for_each_language(world):
    measure = _measure(world)
    context = Context({"c": measure.chart, "m": measure})

    with translation.override("en"):
        english = TAG.render(context)
    with translation.override("de"):
        german = TAG.render(context)

    assert ">2 Mar 26</text>" in english
    assert ">2 Mär 26</text>" in german
