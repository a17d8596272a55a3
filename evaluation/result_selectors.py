"""Read side of the evaluation's results pages: the self-assessment change (pre, then, post), the
Kirkpatrick evaluation and the follow-up. Each selector runs a fixed number of queries, whatever the
size of the cohort.

**Pairing is pseudonymous.** The self-assessments are pseudonymous surveys: a response carries the
stable pseudonym of its participant, never a membership. The pseudonym pairs a person's pre, then
and post ratings here and goes no further: ``self_assessment_ratings`` replaces it with a running
number before anything else sees the data, so no page, context or export can show it.

**What may be shown** follows ``surveys.disclosure``: figures of a non-named survey only once it has
closed (both self-assessments, for the change), and no group of fewer than ``MIN_GROUP`` pairs
(``evaluation.analysis`` suppresses it, figures and count alike). No breakdown by profession is
made: with pairs per dimension and profession it would soon name people.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db.models import Count

from cohorts.models import Cohort
from common.compiled import CompiledQuery
from common.models import choice_label
from surveys import charts as survey_charts
from surveys import disclosure
from surveys import selectors as survey_selectors
from surveys.models import Answer, Question, Survey

from . import analysis, charts, wording
from .dimensions import DIMENSIONS, DIMENSIONS_BY_CODE, SELF_ASSESSMENT_ITEMS

MIN_GROUP = disclosure.MIN_GROUP
_BANK_DIMENSIONS = {item.code: item.dimension for item in SELF_ASSESSMENT_ITEMS}


def dimension_of(code: str) -> str | None:
    """The dimension a question code belongs to: the item bank's, else the longest dimension prefix.

    A facilitator's copy of a set may add items; a code that starts with a dimension's code (as the
    bank's own do: ``<dimension>-<n>``) joins that dimension, any other code is left out.
    """
    if code in _BANK_DIMENSIONS:
        return _BANK_DIMENSIONS[code]
    matches = [d.code for d in DIMENSIONS if code.startswith(d.code + "-")]
    return max(matches, key=len) if matches else None


def self_assessment_ratings(rows: Iterable[tuple[str, str, str, int | None, int | None]]) -> dict:
    """{person number: {item code: {phase: rating}}} from (pseudonym, survey kind, code, number, then).

    The pseudonyms are replaced by numbers in order of first appearance; they are not returned.
    """
    numbers: dict[str, int] = {}
    ratings: dict[int, dict[str, dict[str, int]]] = {}
    for pseudonym, kind, code, number, then_number in rows:
        person = numbers.setdefault(pseudonym, len(numbers))
        phases = ratings.setdefault(person, {}).setdefault(code, {})
        if kind == Survey.Kind.SELF_PRE:
            phases[analysis.Phase.PRE] = number
        else:
            phases[analysis.Phase.POST] = number
            phases[analysis.Phase.THEN] = then_number
    return ratings


@dataclass(frozen=True)
class Level:
    """Mean and median of one phase's ratings over the people in a comparison's pairs."""

    mean: float
    median: float


def _scores(ratings: Mapping, codes: tuple[str, ...], phase: str) -> dict[int, float]:
    scores = {}
    for person, answers in ratings.items():
        values = [(answers.get(code) or {}).get(phase) for code in codes]
        if None not in values:
            scores[person] = math.fsum(values) / len(values)
    return scores


def phase_levels(ratings: Mapping, codes: tuple[str, ...], comparison: analysis.Comparison) -> tuple[Level, Level]:
    """(earlier, later) levels over the same people ``analysis`` pairs for ``comparison``."""
    earlier_phase, later_phase = comparison.phases
    earlier, later = _scores(ratings, codes, earlier_phase), _scores(ratings, codes, later_phase)
    people = earlier.keys() & later.keys()
    return tuple(
        Level(
            mean=math.fsum(scores[p] for p in people) / len(people),
            median=float(statistics.median(scores[p] for p in people)),
        )
        for scores in (earlier, later)
    )


@dataclass
class ChangeRow:
    """One dimension or item: its change in both comparisons, with levels and a sentence each."""

    code: str
    label: str
    post_pre: analysis.PairedChange | analysis.Suppressed
    post_then: analysis.PairedChange | analysis.Suppressed
    pre: Level | None = None
    then: Level | None = None
    post: Level | None = None
    sentence_post_pre: str = ""
    sentence_post_then: str = ""
    items: list[ChangeRow] = field(default_factory=list)

    @property
    def levels(self) -> list[Level | None]:
        return [self.pre, self.then, self.post]

    @property
    def comparisons(self):
        """(change, sentence) for each comparison, for the templates."""
        return [(self.post_pre, self.sentence_post_pre), (self.post_then, self.sentence_post_then)]

    @property
    def effect_label_post_pre(self) -> str:
        return "" if self.post_pre.suppressed else wording.effect_size_label(self.post_pre.effect_size)

    @property
    def effect_label_post_then(self) -> str:
        return "" if self.post_then.suppressed else wording.effect_size_label(self.post_then.effect_size)


def item_subject(label: str) -> str:
    """How a sentence names what was rated: a dimension in lower case ("engaging the team"); an item,
    which is a whole statement in the participant's voice, quoted as written ("“I notice ...”")."""
    if label.rstrip().endswith((".", "?", "!")):
        return f"“{label.rstrip().rstrip('.')}”"
    return label[:1].lower() + label[1:]


def _row(ratings: Mapping, code: str, label: str, codes: tuple[str, ...], changes: Mapping) -> ChangeRow:
    post_pre, post_then = changes[analysis.Comparison.POST_PRE], changes[analysis.Comparison.POST_THEN]
    row = ChangeRow(code=code, label=label, post_pre=post_pre, post_then=post_then)
    subject = item_subject(label)
    row.sentence_post_pre = wording.describe_change(post_pre, subject=subject)
    row.sentence_post_then = wording.describe_change(post_then, subject=subject)
    if not post_pre.suppressed:
        row.pre, row.post = phase_levels(ratings, codes, analysis.Comparison.POST_PRE)
    if not post_then.suppressed:
        row.then, later = phase_levels(ratings, codes, analysis.Comparison.POST_THEN)
        row.post = row.post or later
    return row


def change_rows(ratings: Mapping, item_dimensions: Mapping[str, str], item_texts: Mapping[str, str]) -> list[ChangeRow]:
    """One row per dimension, each with its items' rows, from ``analysis``."""
    items = {result.item_code: result for result in analysis.analyse_items(ratings, item_dimensions)}
    rows = []
    for result in analysis.analyse_dimensions(ratings, item_dimensions):
        row = _row(
            ratings, result.dimension, str(DIMENSIONS_BY_CODE[result.dimension].name), result.item_codes, result.changes
        )
        row.items = [
            _row(ratings, code, item_texts.get(code, code), (code,), items[code].changes) for code in result.item_codes
        ]
        rows.append(row)
    return rows


@dataclass
class SelfAssessmentResults:
    pre: Survey | None
    post: Survey | None
    pre_responses: int = 0
    post_responses: int = 0
    visible: bool = False
    rows: list[ChangeRow] = field(default_factory=list)
    chart: charts.LevelChart | None = None
    notes: tuple = wording.INTERPRETATION_NOTES
    min_group: int = MIN_GROUP

    @property
    def waiting(self) -> list[Survey]:
        """The self-assessments whose figures wait for them to close."""
        return [s for s in (self.pre, self.post) if s is not None and disclosure.figures_wait_for_close(s)]


def _survey_of_kind(surveys: list[Survey], kind: str) -> Survey | None:
    return next((s for s in surveys if s.kind == kind), None)


def evaluation_surveys(*, cohort: Cohort) -> dict[str, Survey]:
    """The cohort's non-module surveys by kind, with their response counts (one query)."""
    surveys = (
        Survey.objects.filter(cohort=cohort)
        .exclude(kind=Survey.Kind.MODULE)
        .select_related("question_set")
        .annotate(response_count=Count("responses"))
    )
    return {survey.kind: survey for survey in surveys}


@dataclass(frozen=True)
class SurveyFigures:
    """What the evaluation overview shows of one of the cohort's evaluation surveys."""

    status: str
    status_label: str
    response_count: int


def _evaluation_survey_rows(cohort_pk):
    return (
        Survey.objects.filter(cohort_id=cohort_pk)
        .exclude(kind=Survey.Kind.MODULE)
        .annotate(response_count=Count("responses"))
        .values_list("kind", "status", "response_count")
    )


# The overview reads these on every request: compiled once per process (common.compiled), as compiling
# the statement cost more CPU than running it (issue 14).
_EVALUATION_SURVEY_ROWS = CompiledQuery(_evaluation_survey_rows, cohort_pk=-7413)


def evaluation_survey_figures(*, cohort: Cohort) -> dict[str, SurveyFigures]:
    """``evaluation_surveys`` as the overview shows them (status and responses by kind), in one query
    and without model instances."""
    return {
        kind: SurveyFigures(status=status, status_label=choice_label(Survey.Status, status), response_count=n)
        for kind, status, n in _EVALUATION_SURVEY_ROWS.fetchall(cohort_pk=cohort.pk)
    }


def self_assessment_questions(*, question_set_ids):
    """(question set id, code, text) of the rating items of these sets, in each set's order (one query)."""
    return (
        Question.objects.filter(question_set__in=question_set_ids, kind=Question.Kind.LIKERT5)
        .order_by("question_set_id", "order", "pk")
        .values_list("question_set_id", "code", "text")
    )


def self_assessment_items(*, pre: Survey, post: Survey, questions) -> tuple[dict[str, str], dict[str, str]]:
    """({code: dimension}, {code: text}) of the items compared: only items asked in both surveys, in the
    post survey's order (a cohort's copy may differ), dimensions in the bank's order."""
    pre_codes = {code for set_id, code, _text in questions if set_id == pre.question_set_id}
    item_texts = {code: text for set_id, code, text in questions if set_id == post.question_set_id}
    item_dimensions = {
        code: dimension_of(code) for code in item_texts if code in pre_codes and dimension_of(code) is not None
    }
    dimension_order = [d.code for d in DIMENSIONS]
    item_dimensions = dict(sorted(item_dimensions.items(), key=lambda pair: dimension_order.index(pair[1])))
    return item_dimensions, item_texts


def self_assessment_comparable(pre: Survey | None, post: Survey | None) -> bool:
    """Whether both self-assessments exist and may show figures (their ``response_count`` read)."""
    return (
        pre is not None
        and post is not None
        and disclosure.figures_visible(survey=pre, responses=pre.response_count)
        and disclosure.figures_visible(survey=post, responses=post.response_count)
    )


def self_assessment_results(*, cohort: Cohort) -> SelfAssessmentResults:
    """The change page: three queries whatever the number of participants."""
    surveys = evaluation_surveys(cohort=cohort)
    pre, post = surveys.get(Survey.Kind.SELF_PRE), surveys.get(Survey.Kind.SELF_POST)
    if not self_assessment_comparable(pre, post):
        return self_assessment_results_from(pre=pre, post=post)
    questions = list(self_assessment_questions(question_set_ids=[pre.question_set_id, post.question_set_id]))
    item_dimensions, item_texts = self_assessment_items(pre=pre, post=post, questions=questions)
    rows = (
        Answer.objects.filter(response__survey__in=[pre, post], question__code__in=list(item_dimensions))
        .exclude(response__pseudonym="")
        .values_list("response__pseudonym", "response__survey__kind", "question__code", "number", "then_number")
    )
    return self_assessment_results_from(
        pre=pre, post=post, item_dimensions=item_dimensions, item_texts=item_texts, rows=rows
    )


def self_assessment_results_from(
    *,
    pre: Survey | None,
    post: Survey | None,
    item_dimensions: Mapping[str, str] | None = None,
    item_texts: Mapping[str, str] | None = None,
    rows: Iterable[tuple[str, str, str, int | None, int | None]] | None = None,
    draw_chart: bool = True,
) -> SelfAssessmentResults:
    """The results from what the caller read: the two surveys (with ``response_count``) and, when they
    are ``self_assessment_comparable``, the items compared (``self_assessment_items``) and the answers'
    (pseudonym, survey kind, code, number, then) rows."""
    results = SelfAssessmentResults(
        pre=pre,
        post=post,
        pre_responses=pre.response_count if pre else 0,
        post_responses=post.response_count if post else 0,
    )
    if rows is None:
        return results
    ratings = self_assessment_ratings(rows)
    results.visible = True
    results.rows = change_rows(ratings, item_dimensions, item_texts)
    if draw_chart:
        results.chart = charts.level_chart(results.rows)
    return results


# -- Kirkpatrick evaluation and follow-up --------------------------------------------------------


@dataclass
class LevelGroup:
    """The questions of one Kirkpatrick level (or follow-up topic), with their results and charts."""

    code: str
    name: str
    rows: list = field(default_factory=list)


@dataclass
class LevelResults:
    survey: Survey | None
    results: survey_selectors.SurveyResults | None = None
    groups: list[LevelGroup] = field(default_factory=list)


def survey_results_by_level(*, cohort: Cohort, kind: str) -> LevelResults:
    """The results of the cohort's survey of ``kind`` (EVALUATION or FOLLOW_UP), grouped by the level
    or topic its question codes carry; the figures are the surveys results page's, same rules."""
    survey = Survey.objects.filter(cohort=cohort, kind=kind).first()
    if survey is None:
        return LevelResults(survey=None)
    results = survey_selectors.survey_results(survey=survey)
    return LevelResults(survey=survey, results=results, groups=level_groups(results))


def level_groups(results: survey_selectors.SurveyResults, *, draw_charts: bool = True) -> list[LevelGroup]:
    """The survey's questions grouped by the level or topic their codes carry, in the bank's order,
    each row (result, bar chart or None)."""
    groups: dict[str, LevelGroup] = {}
    for result in results.questions:
        code = dimension_of(result.question.code) or ""
        dimension = DIMENSIONS_BY_CODE.get(code)
        group = groups.setdefault(code, LevelGroup(code=code, name=str(dimension.name) if dimension else ""))
        chart = survey_charts.bar_chart(result.bars) if draw_charts and result.bars and results.visible else None
        group.rows.append((result, chart))
    order = [d.code for d in DIMENSIONS] + [""]
    return sorted(groups.values(), key=lambda g: order.index(g.code))
