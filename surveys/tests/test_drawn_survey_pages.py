"""The survey trends, results and PDSA pages draw their long parts once per process from plain values
(common.drawn): what they show must be what drawing from the objects shows, and a change must show
at once (every value the part shows is in its key)."""

from dataclasses import asdict

import pytest
from django.template import engines
from django.urls import reverse

from common.drawn import cache_clear
from surveys.charts import bar_chart, line_chart
from surveys.models import Answer, Question
from surveys.selectors import Bar, survey_trends_for_cohort, trend_values
from surveys.services import response_submit, survey_close
from surveys.tests.factories import ANSWERS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_drawn():
    cache_clear()
    yield
    cache_clear()


def _url(name, cohort, **kwargs):
    return reverse(f"surveys:{name}", kwargs={"cohort_pk": cohort.pk, **kwargs})


def test_chart_values_are_what_asdict_gives():
    bars = [Bar("1 – Strongly disagree", 0, 0.0), Bar("2", 3, 0.75), Bar("A label longer than the chart has", 1, 0.25)]
    chart = bar_chart(bars)
    assert chart.values() == asdict(chart)
    line = line_chart([(1, 4.25), (2, None), (3, 3.0), (4, None), (5, 5.0)], low=1, high=5)
    assert line.values() == asdict(line)
    assert repr(line.values()) == repr(asdict(line))  # the drawn key: tuples stay tuples


# The trends page's sections as the page drew them from the Trend objects and LineChart dataclasses
# before they were drawn from plain values.
TRENDS_FROM_OBJECTS = """{% load i18n %}{% for trend, chart in items %}
<section aria-labelledby="trend-{{ trend.code }}" class="mb-5">
  <h2 id="trend-{{ trend.code }}" class="h5">{{ trend.label }}</h2>
  <div class="row g-3">
    <div class="col-lg-7">{% include "surveys/partials/_line_chart.html" with chart=chart chart_id="trend-chart-"|add:trend.code title=trend.label %}</div>
    <div class="col-lg-5">
      <table class="table table-sm">
        <caption class="visually-hidden">{{ trend.label }}</caption>
        <thead><tr><th scope="col">{% translate "Module" %}</th><th scope="col" class="text-end">{% if trend.kind == "nps" %}{% translate "NPS" %}{% else %}{% translate "Mean" %}{% endif %}</th></tr></thead>
        <tbody>{% for number, value in trend.points %}<tr><th scope="row" class="fw-normal">{{ number }}</th><td class="text-end">{% if value is None %}–{% elif trend.kind == "nps" %}{{ value|floatformat:0 }}{% else %}{{ value|floatformat:2 }}{% endif %}</td></tr>{% endfor %}</tbody>
      </table>
    </div>
  </div>
</section>
{% endfor %}
"""  # noqa: E501


def _answer(linked, n, **answers):
    for invitation, token in linked[:n]:
        response_submit(invitation=invitation, token=token, raw_answers={**ANSWERS, **answers})


def test_survey_trends_page_shows_what_the_objects_show(facilitator_client, cohort, open_survey, linked):
    _answer(linked, 3, usefulness="4", recommend="9")
    survey_close(survey=open_survey)
    _surveys, trends = survey_trends_for_cohort(cohort=cohort)
    scales = {"nps": (-100, 100), "mean": (1, 5)}
    items = [(t, line_chart(t.points, low=scales[t.kind][0], high=scales[t.kind][1])) for t in trends]
    expected = engines["django"].from_string(TRENDS_FROM_OBJECTS).render({"items": items})
    assert "<circle" in expected
    page = facilitator_client.get(_url("survey_trends", cohort)).content.decode()
    assert expected in page
    assert trend_values(trends)["items"][0][0]["points"] == trends[0].points


def test_survey_trends_page_shows_a_change_at_once(facilitator_client, cohort, open_survey, linked):
    url = _url("survey_trends", cohort)
    _answer(linked, 3, usefulness="4")
    held = facilitator_client.get(url).content.decode()
    assert "4.00" not in held  # a non-named survey's figures wait for the close
    survey_close(survey=open_survey)
    assert "4.00" in facilitator_client.get(url).content.decode()
    first = Answer.objects.filter(response__survey=open_survey, question__code="usefulness").order_by("pk").first()
    Answer.objects.filter(pk=first.pk).update(number=5)
    assert "4.33" in facilitator_client.get(url).content.decode()
    Question.objects.filter(question_set=open_survey.question_set, code="usefulness").update(text="Worth my time?")
    assert "Worth my time?" in facilitator_client.get(url).content.decode()
