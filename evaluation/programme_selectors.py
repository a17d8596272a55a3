"""Read side of the programme pages: a programme's cohorts side by side, for the provider's staff.

Everything is read for all the programme's cohorts at once, in a fixed number of queries whatever
the number of cohorts (``programme_comparison``: nine). The figures are the ones each cohort's own
pages show, computed by the same code:

* module survey response rates and headline scores: ``surveys.selectors.figures`` (the PDSA pages'
  summaries), pooled over the cohort's module surveys whose figures may be shown
  (``surveys.disclosure.figures_visible``: named, or closed with at least ``MIN_GROUP`` responses);
* the self-assessment change: ``evaluation.result_selectors`` and ``evaluation.analysis`` (pairs,
  means, suppression under ``MIN_GROUP`` pairs), only once both self-assessments may be shown;
* attendance: present marks over recorded marks of the delivered modules.

**Small groups.** No rate or score about fewer than ``MIN_GROUP`` people is shown: a rate whose
denominator counts fewer than ``MIN_GROUP`` people reads "fewer than 3". Nothing on these pages is
named; the page shows counts of people, never who they are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from cohorts.models import Cohort, Membership, Programme
from modules.models import Attendance, Module
from surveys import charts as survey_charts
from surveys import disclosure
from surveys.defaults import HEADLINE_QUESTIONS
from surveys.models import Answer, Question, Survey
from surveys.selectors import HEADLINE_LABELS
from surveys.selectors.figures import invitation_counts, numeric_distributions, response_counts, score

from . import analysis, result_selectors
from .dimensions import DIMENSIONS

MIN_GROUP = disclosure.MIN_GROUP
SELF_ASSESSMENT_KINDS = (Survey.Kind.SELF_PRE, Survey.Kind.SELF_POST)
# The kind of each headline question's score, and its axis on the chart.
HEADLINE_KINDS = dict(HEADLINE_QUESTIONS)
AXES = {"mean": (1, 5), "nps": (-100, 100)}


def programme_list():
    """Every programme with its number of cohorts by status (one query)."""
    return (
        Programme.objects.select_related("provider")
        .annotate(
            cohorts_total=Count("cohorts"),
            cohorts_planned=Count("cohorts", filter=Q(cohorts__status=Cohort.Status.PLANNED)),
            cohorts_running=Count("cohorts", filter=Q(cohorts__status=Cohort.Status.RUNNING)),
            cohorts_finished=Count("cohorts", filter=Q(cohorts__status=Cohort.Status.FINISHED)),
        )
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class Rate:
    """``part`` of ``whole`` people or marks; hidden when fewer than ``MIN_GROUP`` people stand behind it."""

    part: int
    whole: int
    people: int

    @property
    def shown(self) -> bool:
        return self.whole > 0 and self.people >= MIN_GROUP

    @property
    def too_few(self) -> bool:
        return 0 < self.people < MIN_GROUP

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.shown else None


@dataclass(frozen=True)
class Headline:
    code: str
    label: str
    kind: str  # "mean" | "nps"
    value: float | None  # None: no survey of the cohort may show it yet


@dataclass
class DimensionChange:
    code: str
    label: str
    change: analysis.PairedChange | analysis.Suppressed


@dataclass
class SelfAssessmentSummary:
    """One cohort's self-assessment change: ``state`` is "none" (a self-assessment is missing),
    "waiting" (not both may be shown yet) or "shown"."""

    state: str
    pre_responses: int = 0
    post_responses: int = 0
    dimensions: dict[str, DimensionChange] = field(default_factory=dict)


@dataclass
class CohortColumn:
    cohort: Cohort
    participants: int
    modules_delivered: int
    attendance: Rate
    module_response: Rate
    surveys_shown: int  # module surveys whose figures count in the headline scores
    headline: list[Headline]
    self_assessment: SelfAssessmentSummary
    # (module number, score or None) for the chart's question, modules 1-5
    points: list[tuple[int, float | None]] = field(default_factory=list)


SHAPES = ("circle", "square", "diamond", "triangle")
MARKER = 5


@dataclass(frozen=True)
class Marker:
    shape: str
    x: float
    y: float
    points: str  # the polygon's corners (square, diamond, triangle)
    value: float
    number: str = ""  # the module's number


@dataclass(frozen=True)
class ChartSeries:
    cohort: Cohort
    index: int  # picks the line's dash pattern and marker shape, so colour is not the only cue
    chart: survey_charts.LineChart

    @property
    def style(self) -> int:
        return self.index % len(SHAPES)

    @property
    def shape(self) -> str:
        return SHAPES[self.style]

    @property
    def markers(self) -> list[Marker]:
        return [marker_at(self.shape, p.x, p.y, p.value, p.label) for p in self.chart.points]


def marker_at(shape: str, x: float, y: float, value: float = 0.0, number: str = "") -> Marker:
    s = MARKER
    corners = {
        "circle": "",
        "square": f"{x - s},{y - s} {x + s},{y - s} {x + s},{y + s} {x - s},{y + s}",
        "diamond": f"{x},{y - s - 1} {x + s + 1},{y} {x},{y + s + 1} {x - s - 1},{y}",
        "triangle": f"{x},{y - s - 1} {x + s + 1},{y + s} {x - s - 1},{y + s}",
    }
    return Marker(shape, x, y, corners[shape], value, number)


@dataclass
class ProgrammeComparison:
    programme: Programme
    columns: list[CohortColumn]
    question_code: str
    question_label: str
    question_kind: str
    series: list[ChartSeries]
    frame: survey_charts.LineChart  # grid and labels for the chart
    dimension_rows: list[tuple[str, str, list[DimensionChange | None]]]  # (code, label, one per column)
    min_group: int = MIN_GROUP

    @property
    def has_points(self) -> bool:
        return any(series.chart.points for series in self.series)


def _count(queryset):
    return Coalesce(
        Subquery(queryset.order_by().values("cohort").annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
        0,
    )


def _cohorts(programme: Programme) -> list[Cohort]:
    return list(
        Cohort.objects.filter(programme=programme)
        .select_related("commissioner")
        .annotate(
            participants_active=_count(
                Membership.objects.active().participants().filter(cohort=OuterRef("pk")),
            ),
            modules_delivered=_count(Module.objects.filter(cohort=OuterRef("pk"), state=Module.State.DELIVERED)),
        )
        .order_by("start_date", "name", "pk")
    )


def _attendance(programme: Programme) -> dict[int, Rate]:
    """Present over recorded marks of delivered modules, and the participants marked, per cohort."""
    rows = (
        Attendance.objects.filter(
            module__cohort__programme=programme,
            module__state=Module.State.DELIVERED,
            membership__role=Membership.Role.PARTICIPANT,
        )
        .values("module__cohort_id")
        .annotate(
            present=Count("pk", filter=Q(status=Attendance.Status.PRESENT)),
            recorded=Count("pk"),
            people=Count("membership", distinct=True),
        )
        .order_by()
    )
    return {row["module__cohort_id"]: Rate(row["present"], row["recorded"], row["people"]) for row in rows}


def _module_invitees(programme: Programme) -> dict[int, int]:
    """The number of different people invited to any module survey, per cohort."""
    rows = (
        Survey.objects.filter(cohort__programme=programme, kind=Survey.Kind.MODULE)
        .values("cohort_id")
        .annotate(people=Count("invitations__membership", distinct=True))
        .order_by()
    )
    return {row["cohort_id"]: row["people"] for row in rows}


def _pooled(distributions: list[dict[int, int]]) -> dict[int, int]:
    pooled: dict[int, int] = defaultdict(int)
    for distribution in distributions:
        for value, n in distribution.items():
            pooled[value] += n
    return pooled


def _self_assessments(surveys: list[Survey], responses: dict[int, int]) -> dict[int, SelfAssessmentSummary]:
    """Each cohort's change per dimension, in two queries for all cohorts together."""
    by_cohort: dict[int, dict[str, Survey]] = defaultdict(dict)
    for survey in surveys:
        if survey.kind in SELF_ASSESSMENT_KINDS:
            by_cohort[survey.cohort_id][survey.kind] = survey
    summaries: dict[int, SelfAssessmentSummary] = {}
    shown: dict[int, tuple[Survey, Survey]] = {}
    for cohort_id, kinds in by_cohort.items():
        pre, post = kinds.get(Survey.Kind.SELF_PRE), kinds.get(Survey.Kind.SELF_POST)
        counts = (responses.get(pre.pk, 0) if pre else 0, responses.get(post.pk, 0) if post else 0)
        if pre is None or post is None:
            summaries[cohort_id] = SelfAssessmentSummary("none", *counts)
        elif disclosure.figures_visible(survey=pre, responses=counts[0]) and disclosure.figures_visible(
            survey=post, responses=counts[1]
        ):
            summaries[cohort_id] = SelfAssessmentSummary("shown", *counts)
            shown[cohort_id] = (pre, post)
        else:
            summaries[cohort_id] = SelfAssessmentSummary("waiting", *counts)
    if not shown:
        return summaries
    set_ids = {s.question_set_id for pair in shown.values() for s in pair}
    questions = list(result_selectors.self_assessment_questions(question_set_ids=set_ids))
    items = {
        cohort_id: result_selectors.self_assessment_items(pre=pre, post=post, questions=questions)
        for cohort_id, (pre, post) in shown.items()
    }
    codes = {code for item_dimensions, _texts in items.values() for code in item_dimensions}
    answer_rows: dict[int, list] = defaultdict(list)
    for cohort_id, *row in (
        Answer.objects.filter(response__survey__in=[s for pair in shown.values() for s in pair])
        .filter(question__code__in=codes)
        .exclude(response__pseudonym="")
        .values_list(
            "response__survey__cohort_id",
            "response__pseudonym",
            "response__survey__kind",
            "question__code",
            "number",
            "then_number",
        )
    ):
        answer_rows[cohort_id].append(row)
    for cohort_id, (item_dimensions, item_texts) in items.items():
        ratings = result_selectors.self_assessment_ratings(answer_rows[cohort_id])
        for row in result_selectors.change_rows(ratings, item_dimensions, item_texts):
            summaries[cohort_id].dimensions[row.code] = DimensionChange(row.code, row.label, row.post_pre)
    return summaries


def headline_codes() -> list[tuple[str, str]]:
    """(code, label) of the questions the chart can compare: the module surveys' headline questions."""
    return [(code, str(HEADLINE_LABELS.get(code, code))) for code, _kind in HEADLINE_QUESTIONS]


def programme_comparison(*, programme: Programme, question_code: str | None = None) -> ProgrammeComparison:
    """Every cohort of the programme side by side, and ``question_code``'s score module by module per
    cohort for the chart (the first headline question by default). Nine queries, whatever the number
    of cohorts, participants or responses."""
    if question_code not in HEADLINE_KINDS:
        question_code = HEADLINE_QUESTIONS[0][0]
    cohorts = _cohorts(programme)
    attendance = _attendance(programme)
    invitees = _module_invitees(programme)
    surveys = list(Survey.objects.filter(cohort__programme=programme).select_related("module").order_by("pk"))
    invitations = invitation_counts(surveys)
    responses = response_counts(surveys)
    module_surveys = [s for s in surveys if s.kind == Survey.Kind.MODULE and s.module.has_survey]
    distributions = numeric_distributions(module_surveys, [code for code, _kind in HEADLINE_QUESTIONS])
    self_assessments = _self_assessments(surveys, responses)

    module_surveys_of: dict[int, list[Survey]] = defaultdict(list)
    for survey in module_surveys:
        module_surveys_of[survey.cohort_id].append(survey)
    columns = []
    for cohort in cohorts:
        own = module_surveys_of[cohort.pk]
        visible = [s for s in own if disclosure.figures_visible(survey=s, responses=responses.get(s.pk, 0))]
        invited = sum(invitations.get(s.pk, (0, 0))[0] for s in own)
        responded = sum(invitations.get(s.pk, (0, 0))[1] for s in own)
        headline = [
            Headline(
                code,
                str(HEADLINE_LABELS.get(code, code)),
                kind,
                score(kind_of_question(kind), _pooled([distributions.get((s.pk, code), {}) for s in visible]))[0],
            )
            for code, kind in HEADLINE_QUESTIONS
        ]
        by_number = {s.module.number: s for s in visible}
        points = [
            (
                number,
                score(kind_of_question(HEADLINE_KINDS[question_code]), distributions.get((s.pk, question_code), {}))[0]
                if (s := by_number.get(number))
                else None,
            )
            for number in Module.SURVEY_NUMBERS
        ]
        columns.append(
            CohortColumn(
                cohort=cohort,
                participants=cohort.participants_active,
                modules_delivered=cohort.modules_delivered,
                attendance=attendance.get(cohort.pk, Rate(0, 0, 0)),
                module_response=Rate(responded, invited, invitees.get(cohort.pk, 0)),
                surveys_shown=len(visible),
                headline=headline,
                self_assessment=self_assessments.get(cohort.pk, SelfAssessmentSummary("none")),
                points=points,
            )
        )
    low, high = AXES[HEADLINE_KINDS[question_code]]
    series = [
        ChartSeries(column.cohort, index, survey_charts.line_chart(column.points, low=low, high=high))
        for index, column in enumerate(columns)
        if any(value is not None for _number, value in column.points)
    ]
    frame = survey_charts.line_chart([(n, None) for n in Module.SURVEY_NUMBERS], low=low, high=high)
    return ProgrammeComparison(
        programme=programme,
        columns=columns,
        question_code=question_code,
        question_label=str(HEADLINE_LABELS.get(question_code, question_code)),
        question_kind=HEADLINE_KINDS[question_code],
        series=series,
        frame=frame,
        dimension_rows=_dimension_rows(columns),
    )


def kind_of_question(headline_kind: str) -> str:
    """The question kind ``surveys.selectors.figures.score`` expects for a headline kind."""
    return Question.Kind.RATING0_10 if headline_kind == "nps" else Question.Kind.LIKERT5


def _dimension_rows(columns: list[CohortColumn]):
    """Dimensions in the bank's order, each with every cohort's change (None: not measured there)."""
    present = {code for column in columns for code in column.self_assessment.dimensions}
    rows = []
    for dimension in DIMENSIONS:
        if dimension.code not in present:
            continue
        rows.append(
            (
                dimension.code,
                str(dimension.name),
                [column.self_assessment.dimensions.get(dimension.code) for column in columns],
            )
        )
    return rows
