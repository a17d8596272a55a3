"""Headline figures across a cohort's module surveys: the PDSA pages' summaries and the trends page."""

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, OuterRef, Subquery, TextField
from django.utils.translation import gettext_lazy as _

from cohorts.models import Cohort
from common.compiled import CompiledQuery, attnames, instances_from_row
from modules.models import Module
from surveys import disclosure
from surveys.charts import line_chart
from surveys.defaults import HEADLINE_QUESTIONS
from surveys.models import Answer, Question, QuestionSet, Survey

from .figures import (
    counts_annotated,
    distributions_from,
    mean,
    nps,
    numeric_tallies,
    results_visible,
    score,
)


@dataclass(frozen=True)
class SurveySummary:
    survey: Survey
    invited: int
    responded: int
    response_rate: float | None
    # (question code, label, value or None when hidden/unanswered, "mean" | "nps")
    headline: list[tuple[str, str, float | None, str]]
    results_url: str
    # True while a non-named survey is open: its figures are held back until it closes.
    waits_for_close: bool = False


# Lazy: made at import, translated where used (str() in the selectors), in the language of that request.
HEADLINE_LABELS = {
    "usefulness": _("Useful for my work (mean, 1-5)"),
    "confidence": _("Confident to apply it (mean, 1-5)"),
    "recommend": _("Would recommend (NPS)"),
}


def _headline_answers_by_survey(cohort_pk):
    return numeric_tallies(
        Answer.objects.filter(
            response__survey__cohort_id=cohort_pk,
            response__survey__module__number__in=Module.SURVEY_NUMBERS,
            question__code__in=[code for code, _kind in HEADLINE_QUESTIONS],
        )
    )


def _surveys(cohort_pk):
    """The cohort's module surveys, each with its module and question set (as ``select_related``), and
    then its invitations, the invitations answered and its responses, counted (``counts_annotated``)."""
    return counts_annotated(
        Survey.objects.for_cohort(cohort_pk).filter(module__number__in=Module.SURVEY_NUMBERS)
    ).values_list(
        *attnames(Survey),
        *(f"module__{name}" for name in attnames(Module)),
        *(f"question_set__{name}" for name in attnames(QuestionSet)),
        "invited_count",
        "responded_count",
        "response_count",
    )


class _Gathered(Subquery):
    """A correlated subquery's rows as the text of one JSON array of row objects, each keyed by the
    subquery's columns in their order (PostgreSQL's ``json`` keeps them as written)."""

    template = "(SELECT COALESCE(json_agg(gathered), '[]')::text FROM (%(subquery)s) gathered)"
    output_field = TextField()


def _headline_of_survey():
    """``(question code, value, answers)`` rows of the headline questions' answers of the outer survey."""
    return (
        Answer.objects.filter(
            response__survey=OuterRef("pk"),
            question__code__in=[code for code, _kind in HEADLINE_QUESTIONS],
            number__isnull=False,
        )
        .values("question__code", "number")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("question__code", "number", "n")
    )


def _surveys_with_headline(cohort_pk):
    """``_surveys`` with each survey's headline answers' tallies gathered in one more column."""
    surveys = counts_annotated(
        Survey.objects.for_cohort(cohort_pk).filter(module__number__in=Module.SURVEY_NUMBERS)
    ).annotate(headline=_Gathered(_headline_of_survey()))
    return surveys.values_list(
        *attnames(Survey),
        *(f"module__{name}" for name in attnames(Module)),
        *(f"question_set__{name}" for name in attnames(QuestionSet)),
        "invited_count",
        "responded_count",
        "response_count",
        "headline",
    )


# The PDSA pages and the trends page read a cohort's module surveys with their invitations and
# responses counted, and the headline answers' tallies (numeric_distributions for those surveys), on
# every request, in statements compiled once per process (common.compiled; compiling them cost more
# than running them).
_SURVEYS = CompiledQuery(_surveys, cohort_pk=-7354)
_HEADLINE_ANSWERS = CompiledQuery(_headline_answers_by_survey, cohort_pk=-7353)
# On PostgreSQL the PDSA pages read both in one statement (a round trip and a plan fewer; issue 14):
# each survey's headline tallies as a JSON column of its row.
_SURVEYS_WITH_HEADLINE = CompiledQuery(_surveys_with_headline, cohort_pk=-7357)


def _surveys_counted(cohort_pk: int) -> tuple[list[Survey], dict[int, tuple[int, int]], dict[int, int]]:
    """The cohort's module surveys (module and question set loaded), {survey id: (invited,
    responded)} and {survey id: responses}. One query."""
    surveys, counts, responses = [], {}, {}
    for row in _SURVEYS.fetchall(cohort_pk=cohort_pk):
        (survey, module, question_set), (invited, responded, n_responses) = instances_from_row(
            row, Survey, Module, QuestionSet
        )
        survey.module, survey.question_set = module, question_set
        surveys.append(survey)
        counts[survey.pk], responses[survey.pk] = (invited, responded), n_responses
    return surveys, counts, responses


def _surveys_counted_with_headline(cohort_pk: int):
    """``_surveys_counted`` and the headline answers' ``numeric_distributions``, in one statement."""
    surveys, counts, responses = [], {}, {}
    distributions: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    for row in _SURVEYS_WITH_HEADLINE.fetchall(cohort_pk=cohort_pk):
        (survey, module, question_set), (invited, responded, n_responses, headline) = instances_from_row(
            row, Survey, Module, QuestionSet
        )
        survey.module, survey.question_set = module, question_set
        surveys.append(survey)
        counts[survey.pk], responses[survey.pk] = (invited, responded), n_responses
        for code, number, n in map(dict.values, json.loads(headline)):
            distributions[survey.pk, code][number] = n
    return surveys, counts, responses, distributions


def survey_summaries_for_cohort(*, cohort: Cohort) -> dict[int, SurveySummary]:
    """Headline figures of each module survey of the cohort, keyed by module number. One query on
    PostgreSQL, two elsewhere."""
    if connection.vendor == "postgresql":
        surveys, counts, responses, distributions = _surveys_counted_with_headline(cohort.pk)
    else:
        surveys, counts, responses = _surveys_counted(cohort.pk)
        distributions = distributions_from(_HEADLINE_ANSWERS.fetchall(cohort_pk=cohort.pk)) if surveys else {}
    if not surveys:
        return {}
    return survey_summaries_from(surveys, counts=counts, responses=responses, distributions=distributions)


def survey_summaries_from(
    surveys: list[Survey],
    *,
    counts: Mapping[int, tuple[int, int]],
    responses: Mapping[int, int],
    distributions: Mapping[tuple[int, str], dict[int, int]],
) -> dict[int, SurveySummary]:
    """The summaries of module surveys (their ``module`` loaded) from their figures, read by the caller:
    {survey id: (invited, responded)}, {survey id: responses} and the headline questions'
    ``numeric_distributions``."""
    summaries = {}
    for survey in surveys:
        invited, responded = counts.get(survey.pk, (0, 0))
        visible = results_visible(survey, responses.get(survey.pk, 0))
        headline = []
        for code, kind in HEADLINE_QUESTIONS:
            distribution = distributions.get((survey.pk, code), {})
            value = (nps(distribution) if kind == "nps" else mean(distribution)) if visible else None
            headline.append((code, str(HEADLINE_LABELS.get(code, code)), value, kind))
        summaries[survey.module.number] = SurveySummary(
            survey=survey,
            invited=invited,
            responded=responded,
            response_rate=responded / invited if invited else None,
            headline=headline,
            results_url=survey.results_url(),
            waits_for_close=disclosure.figures_wait_for_close(survey),
        )
    return summaries


@dataclass
class Trend:
    code: str
    label: str
    kind: str  # "mean" | "nps"
    points: list[tuple[int, float | None]]  # (module number, value or None) for each of modules 1-5


def _trend_questions(cohort_pk):
    """``(code, text, kind)`` of the scale questions the cohort's module surveys ask, module by module
    (a question set shared by two surveys is listed for each)."""
    return (
        Question.objects.filter(
            question_set__surveys__cohort_id=cohort_pk,
            question_set__surveys__module__number__in=Module.SURVEY_NUMBERS,
            kind__in=Question.NUMERIC_KINDS,
        )
        .order_by("question_set__surveys__module__number", "order")
        .values_list("code", "text", "kind")
    )


def _numeric_answers_by_survey(cohort_pk):
    return numeric_tallies(
        Answer.objects.filter(
            response__survey__cohort_id=cohort_pk, response__survey__module__number__in=Module.SURVEY_NUMBERS
        )
    )


# The trends page's reads: the surveys with their responses counted as the PDSA pages read them
# (above), the scale questions and every scale answer's tally, each a statement compiled once per
# process.
_TREND_QUESTIONS = CompiledQuery(_trend_questions, cohort_pk=-7355)
_NUMERIC_ANSWERS = CompiledQuery(_numeric_answers_by_survey, cohort_pk=-7356)


def survey_trends_for_cohort(*, cohort: Cohort) -> tuple[list[Survey], list[Trend]]:
    """Each scale question's score module by module, matched across versions by question code. Three
    queries."""
    surveys, _counts, responses = _surveys_counted(cohort.pk)
    if not surveys:
        return [], []
    surveys.sort(key=lambda survey: survey.module.number)
    visible = {s.pk for s in surveys if results_visible(s, responses.get(s.pk, 0))}
    labels: dict[str, tuple[str, str]] = {}
    for code, text, kind in _TREND_QUESTIONS.fetchall(cohort_pk=cohort.pk):
        labels[code] = (text, kind)  # the latest module's wording wins
    distributions = distributions_from(_NUMERIC_ANSWERS.fetchall(cohort_pk=cohort.pk))
    by_number = {survey.module.number: survey for survey in surveys}
    trends = []
    for code, (text, kind) in labels.items():
        points = []
        for number in Module.SURVEY_NUMBERS:
            survey = by_number.get(number)
            value = None
            if survey is not None and survey.pk in visible:
                value = score(kind, distributions.get((survey.pk, code), {}))[0]
            points.append((number, value))
        trends.append(Trend(code, text, "nps" if kind == Question.Kind.RATING0_10 else "mean", points))
    return surveys, trends


def trend_values(trends: list[Trend]) -> dict:
    """What the trends page shows of each score, as plain values (``common.drawn`` keeps the sections
    drawn under them), each with its line chart's geometry."""
    items = []
    for trend in trends:
        low, high = (-100, 100) if trend.kind == "nps" else (1, 5)
        chart = line_chart(trend.points, low=low, high=high).values()
        items.append(({"code": trend.code, "label": trend.label, "kind": trend.kind, "points": trend.points}, chart))
    return {"items": items}
