"""The survey trends, results and PDSA pages draw their long parts once per process from plain values
(common.drawn): what they show must be what drawing from the objects shows, and a change must show
at once (every value the part shows is in its key)."""

import re
from dataclasses import asdict

import pytest
from django.template import Context, engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort, Person
from cohorts.tests.factories import MembershipFactory
from common.drawn import cache_clear
from modules.models import ActItem, Module
from modules.tests.factories import ActItemFactory, PDSACycleFactory, modules_for_cohort
from surveys.charts import bar_chart, line_chart
from surveys.models import Answer, Invitation, Question, Survey
from surveys.selectors import Bar, survey_results, survey_trends_for_cohort, trend_values
from surveys.services import response_submit, survey_close
from surveys.tests.factories import ANSWERS
from surveys.tests.surveydata import survey_with_results

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


def _answer(linked, n, **answers):
    for invitation, token in linked[:n]:
        response_submit(invitation=invitation, token=token, raw_answers={**ANSWERS, **answers})


def test_survey_trends_page_shows_what_the_objects_show(facilitator_client, cohort, open_survey, linked):
    _answer(linked, 3, usefulness="4", recommend="9")
    survey_close(survey=open_survey)
    _surveys, trends = survey_trends_for_cohort(cohort=cohort)
    scales = {"nps": (-100, 100), "mean": (1, 5)}
    items = [(t, line_chart(t.points, low=scales[t.kind][0], high=scales[t.kind][1])) for t in trends]
    # The same partial given the Trend objects and LineChart dataclasses themselves, as the page drew
    # them before it drew them from plain values.
    expected = render_to_string("surveys/partials/_trend_sections.html", {"items": items})
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


# The results page's heading, response rate and downloads as the page drew them from the survey and
# its SurveyResults before they were drawn from plain values.
RATE_FROM_OBJECTS = """{% load i18n %}<h1>{% blocktranslate with number=module.number title=module.title %}Results: module {{ number }}, {{ title }}{% endblocktranslate %}</h1>
<p class="lead">{{ survey.get_status_display }} · {{ survey.get_privacy_display }}</p>

<section aria-labelledby="rate-title" class="mb-4">
  <h2 id="rate-title" class="h4">{% translate "Response rate" %}</h2>
  <p class="fs-5" id="response-rate">{% blocktranslate with responded=results.responded invited=results.invited %}{{ responded }} of {{ invited }} invited have responded{% endblocktranslate %}{% if results.response_rate is not None %} ({% widthratio results.responded results.invited 100 %}%){% endif %}</p>
  {% if results.professions %}
  <div class="table-responsive" tabindex="0">
  <table class="table table-sm w-auto">
    <caption>{% translate "Response rate by profession" %}{% if survey.privacy != "named" %} – {% blocktranslate with n=results.min_group %}professions with fewer than {{ n }} respondents are pooled with the smallest others, so that every group shown has at least {{ n }}{% endblocktranslate %}{% endif %}</caption>
    <thead><tr><th scope="col">{% translate "Profession" %}</th><th scope="col">{% translate "Invited" %}</th><th scope="col">{% translate "Responded" %}</th></tr></thead>
    <tbody>{% for row in results.professions %}<tr><th scope="row">{{ row.profession }}</th><td>{{ row.invited }}</td><td>{{ row.responded }}</td></tr>{% endfor %}</tbody>
  </table>
  </div>
  {% endif %}
  {% if results.visible %}
  <p><a class="btn btn-outline-secondary btn-sm" href="{% url 'surveys:survey_export' cohort.pk module.number 'csv' %}">{% translate "Download CSV" %}</a>
     <a class="btn btn-outline-secondary btn-sm" href="{% url 'surveys:survey_export' cohort.pk module.number 'xlsx' %}">{% translate "Download Excel (XLSX)" %}</a>
     <a class="btn btn-outline-primary btn-sm" href="{% url 'surveys:survey_trends' cohort.pk %}">{% translate "Scores across modules" %}</a></p>
  {% endif %}
</section>
"""  # noqa: E501


RESULTS_CRUMBS_FROM_OBJECTS = (
    "{% load i18n %}{% blocktranslate asvar here with number=module.number %}Module {{ number }} results"
    '{% endblocktranslate %}{% include "surveys/partials/_breadcrumbs.html" with here=here %}'
)


def _rate_from_objects(cohort, survey):
    survey = Survey.objects.select_related("module", "cohort", "question_set").get(pk=survey.pk)
    results = survey_results(survey=survey)
    context = {"cohort": cohort, "module": survey.module, "survey": survey, "results": results}
    return engines["django"].from_string(RATE_FROM_OBJECTS).render(context), results


@pytest.mark.parametrize("privacy", [Survey.Privacy.NAMED, Survey.Privacy.PSEUDONYMOUS, Survey.Privacy.ANONYMOUS])
def test_survey_results_page_shows_what_the_objects_show(facilitator_client, cohort, open_survey, linked, privacy):
    Survey.objects.filter(pk=open_survey.pk).update(privacy=privacy)
    Person.objects.filter(memberships__cohort=cohort).update(profession=Person.Profession.NURSE)
    url = _url("survey_results", cohort, number=1)
    seen = []
    for step in ("none", "three", "closed"):
        if step == "three":
            _answer(linked, 3)
        if step == "closed":
            survey_close(survey=open_survey)
        expected, results = _rate_from_objects(cohort, open_survey)
        response = facilitator_client.get(url)
        page = response.content.decode()
        assert expected in page, step
        crumbs = _drawn_per_request(response, RESULTS_CRUMBS_FROM_OBJECTS)
        assert crumbs == str(_page_context(response)["breadcrumbs"])
        assert crumbs in page
        seen.append((results.responded, results.visible, bool(results.professions)))
    named = privacy == Survey.Privacy.NAMED  # a named survey's figures do not wait for the close
    assert seen == [(0, named, named), (3, named, True), (3, True, True)]  # under 3 respondents: pooled away


def test_survey_results_page_shows_a_change_at_once(facilitator_client, cohort, open_survey, linked):
    url = _url("survey_results", cohort, number=1)
    _answer(linked, 1)
    assert "1 of 4 invited have responded (25%)" in facilitator_client.get(url).content.decode()
    _answer(linked[1:], 1)
    page = facilitator_client.get(url).content.decode()
    assert "2 of 4 invited have responded (50%)" in page
    assert "Download CSV" not in page  # pseudonymous and open: the figures wait for the close
    Module.objects.filter(pk=open_survey.module_id).update(title="Leading change")
    assert "Results: module 1, Leading change" in facilitator_client.get(url).content.decode()
    Survey.objects.filter(pk=open_survey.pk).update(privacy=Survey.Privacy.NAMED)
    page = facilitator_client.get(url).content.decode()
    assert "Named: facilitators see who said what" in page
    assert "Download CSV" in page
    assert "professions with fewer than" not in page
    survey_close(survey=open_survey)
    assert f"{Survey.Status.CLOSED.label} · " in facilitator_client.get(url).content.decode()
    Cohort.objects.filter(pk=cohort.pk).update(name="Tamar Vale 3")
    assert f'<a href="/cohorts/{cohort.pk}/">Tamar Vale 3</a>' in facilitator_client.get(url).content.decode()


# The PDSA record page: its breadcrumbs, Study summary and moves, pager and (for an unbound formset) Act
# rows are drawn from plain values; the partials as the page included them from the objects.
PDSA_PARTS_FROM_OBJECTS = {
    "breadcrumbs": '{% load i18n %}{% translate "PDSA record" as here %}'
    '{% include "modules/partials/_breadcrumbs.html" with here=here %}',
    "survey_summary": '{% include "surveys/partials/_survey_summary.html" with survey=entry.survey %}',
    "moves": '{% include "surveys/partials/_moves.html" with moves=entry.moves before_number=module.number '
    'after_number=module.number|add:"1" %}',
    "pager": '{% include "modules/partials/_module_pager.html" with modules=modules previous=entry.previous_module '
    'next=entry.next_module url_name="surveys:pdsa_cycle_update" pdsa_only=True '
    'pager_label=_("PDSA cycles of this cohort") %}',
}


def _pdsa_record(cohort):
    modules = modules_for_cohort(cohort)
    people = MembershipFactory.create_batch(5, cohort=cohort)
    survey_with_results(module=modules[0], memberships=people, usefulness=[3, 3, 4, 2], recommend=[6, 7, 9, 5])
    survey_with_results(module=modules[1], memberships=people, usefulness=[5, 4, 4, 5, 4], recommend=[9, 9, 10, 8])
    cycle = PDSACycleFactory(module=modules[0])
    ActItemFactory(cycle=cycle, text='Less <b>"lecture"</b> & more practice', done=True, done_at=timezone.now())
    ActItemFactory(cycle=cycle, text="Send the pre-reading earlier")
    return modules, cycle


def _page_context(response) -> dict:
    """The page template's context (the test client also lists the drawn partials' first drawings)."""
    return next(c for c in response.context if "view" in c).flatten()


def _drawn_per_request(response, template_text):
    """A part of the page as the template drew it from the view's objects."""
    context = _page_context(response)
    return engines["django"].from_string(template_text).render(context, response.wsgi_request)


def test_pdsa_record_page_shows_what_the_objects_show(facilitator_client, cohort):
    _pdsa_record(cohort)
    compared = []
    for number in (1, 2, 5):  # moves to module 2; a survey with no next one; the last surveyed module
        response = facilitator_client.get(_url("pdsa_cycle_update", cohort, number=number))
        page, context = response.content.decode(), _page_context(response)
        for name, template_text in PDSA_PARTS_FROM_OBJECTS.items():
            if name == "moves" and not context["entry"].moves:
                assert context["moves"] == ""
                continue
            expected = _drawn_per_request(response, template_text)
            assert expected == str(context[name]), (number, name)
            assert expected in page, (number, name)
            compared.append((number, name))
    assert (1, "moves") in compared
    assert (2, "moves") not in compared


def test_pdsa_record_act_rows_are_what_the_formset_draws(facilitator_client, cohort):
    _pdsa_record(cohort)
    response = facilitator_client.get(_url("pdsa_cycle_update", cohort, number=1))
    drawn_rows = str(response.context["act_rows"])
    assert "Less &lt;b&gt;&quot;lecture&quot;&lt;/b&gt; &amp; more practice" in drawn_rows
    assert drawn_rows.count('<span class="badge text-bg-success">done</span>') == 1
    assert drawn_rows.count('type="checkbox"') == 2  # the two saved changes; the two new lines have none
    # The page as drawn on each request for a sent formset: the same HTML for this unbound one.
    context = _page_context(response) | {"act_rows": None}
    template = engines["django"].engine.get_template("surveys/pdsacycle_update.html")
    per_request = template.render(Context(context))
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip.sub("", per_request) == strip.sub("", response.content.decode())
    empty = facilitator_client.get(_url("pdsa_cycle_update", cohort, number=3))
    assert str(empty.context["act_rows"]).count('type="text"') == 2


def test_pdsa_record_page_shows_a_change_at_once(facilitator_client, cohort):
    modules, cycle = _pdsa_record(cohort)
    url = _url("pdsa_cycle_update", cohort, number=1)
    facilitator_client.get(url)
    item = cycle.act_items.get(text="Send the pre-reading earlier")
    ActItem.objects.filter(pk=item.pk).update(done=True, done_at=timezone.now(), text="Send it a week earlier")
    page = facilitator_client.get(url).content.decode()
    assert page.count('<span class="badge text-bg-success">done</span>') == 2
    assert 'value="Send it a week earlier"' in page
    ActItemFactory(cycle=cycle, text="A third change")
    page = facilitator_client.get(url).content.decode()
    assert 'value="A third change"' in page
    assert 'name="act-TOTAL_FORMS" value="5"' in page
    Module.objects.filter(pk=modules[1].pk).update(title="Systems thinking")
    assert "Next: 2. Systems thinking" in facilitator_client.get(url).content.decode()
    Cohort.objects.filter(pk=cohort.pk).update(name="Tamar Vale 3")
    assert f'<a href="/cohorts/{cohort.pk}/">Tamar Vale 3</a>' in facilitator_client.get(url).content.decode()
    Invitation.objects.filter(survey__module=modules[0], responded_at__isnull=True).update(responded_at=timezone.now())
    assert "5 of 5 invited responded (100%)" in facilitator_client.get(url).content.decode()
