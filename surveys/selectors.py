"""Read-side queries for survey pages. Every aggregate is computed in the database; each selector
runs a fixed number of queries whatever the number of responses."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from cohorts.models import Cohort
from modules.models import Module
from surveys import disclosure
from surveys.defaults import HEADLINE_QUESTIONS

from .models import Answer, Choice, Invitation, Question, QuestionSet, Response, Survey

MIN_GROUP = disclosure.MIN_GROUP
MODULES_WITH_SURVEY = range(1, 6)


def nps(distribution: dict[int, int]) -> float | None:
    """Net Promoter Score from {score 0-10: count}: % of 9-10 minus % of 0-6."""
    total = sum(distribution.values())
    if not total:
        return None
    promoters = sum(n for score, n in distribution.items() if score >= 9)
    detractors = sum(n for score, n in distribution.items() if score <= 6)
    return 100.0 * (promoters - detractors) / total


def mean(distribution: dict[int, int]) -> float | None:
    total = sum(distribution.values())
    if not total:
        return None
    return sum(score * n for score, n in distribution.items()) / total


def _score(kind: str, distribution: dict[int, int]) -> tuple[float | None, str]:
    if kind == Question.Kind.RATING0_10:
        return nps(distribution), "nps"
    return mean(distribution), "mean"


def _results_visible(survey: Survey, responded: int) -> bool:
    return disclosure.figures_visible(survey=survey, responses=responded)


# ---------------------------------------------------------------------------------------------
# Contract for the PDSA pages (modules app)


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


HEADLINE_LABELS = {
    "usefulness": _("Useful for my work (mean, 1-5)"),
    "confidence": _("Confident to apply it (mean, 1-5)"),
    "recommend": _("Would recommend (NPS)"),
}


def _numeric_distributions(surveys: list[Survey], codes=None) -> dict[tuple[int, str], dict[int, int]]:
    """{(survey id, question code): {value: count}} for scale questions, one grouped query."""
    answers = Answer.objects.filter(response__survey__in=[s.pk for s in surveys], number__isnull=False)
    if codes is not None:
        answers = answers.filter(question__code__in=codes)
    rows = answers.values("response__survey_id", "question__code", "number").annotate(n=Count("id")).order_by()
    result: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    for row in rows:
        result[row["response__survey_id"], row["question__code"]][row["number"]] = row["n"]
    return result


def _invitation_counts(surveys: list[Survey]) -> dict[int, tuple[int, int]]:
    rows = (
        Invitation.objects.filter(survey__in=[s.pk for s in surveys])
        .values("survey_id")
        .annotate(invited=Count("id"), responded=Count("id", filter=Q(responded_at__isnull=False)))
        .order_by()
    )
    return {row["survey_id"]: (row["invited"], row["responded"]) for row in rows}


def _response_counts(surveys: list[Survey]) -> dict[int, int]:
    rows = Response.objects.filter(survey__in=[s.pk for s in surveys]).values("survey_id").annotate(n=Count("id"))
    return {row["survey_id"]: row["n"] for row in rows.order_by()}


def survey_summaries_for_cohort(*, cohort: Cohort) -> dict[int, SurveySummary]:
    """Headline figures of each module survey of the cohort, keyed by module number. Four queries."""
    surveys = list(
        Survey.objects.filter(module__cohort=cohort, module__number__in=MODULES_WITH_SURVEY).select_related(
            "module", "question_set"
        )
    )
    if not surveys:
        return {}
    counts = _invitation_counts(surveys)
    responses = _response_counts(surveys)
    codes = [code for code, _kind in HEADLINE_QUESTIONS]
    distributions = _numeric_distributions(surveys, codes)
    summaries = {}
    for survey in surveys:
        invited, responded = counts.get(survey.pk, (0, 0))
        visible = _results_visible(survey, responses.get(survey.pk, 0))
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


# ---------------------------------------------------------------------------------------------
# Results of one survey


@dataclass
class Bar:
    label: str
    count: int
    share: float  # 0..1 of those who answered the question


@dataclass
class TextAnswer:
    text: str
    name: str | None  # only for named surveys


@dataclass
class ProfessionScore:
    profession: str
    count: int
    mean: float


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    bars: list[Bar] = field(default_factory=list)
    score: float | None = None
    score_kind: str = ""  # "mean" | "nps" | ""
    texts: list[TextAnswer] = field(default_factory=list)
    by_profession: list[ProfessionScore] = field(default_factory=list)


@dataclass
class ProfessionRate:
    profession: str
    invited: int
    responded: int

    @property
    def rate(self) -> float | None:
        return self.responded / self.invited if self.invited else None


@dataclass
class SurveyResults:
    survey: Survey
    invited: int
    responded: int
    responses: int
    visible: bool
    questions: list[QuestionResult]
    professions: list[ProfessionRate]

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.invited if self.invited else None

    @property
    def min_group(self) -> int:
        return MIN_GROUP

    @property
    def waits_for_close(self) -> bool:
        return disclosure.figures_wait_for_close(self.survey)


def _profession_rates(survey: Survey) -> list[ProfessionRate]:
    """Response rate by profession; outside named mode, grouped by disclosure.profession_groups."""
    rows = (
        Invitation.objects.filter(survey=survey)
        .values("membership__person__profession")
        .annotate(invited=Count("id"), responded=Count("id", filter=Q(responded_at__isnull=False)))
        .order_by("membership__person__profession")
    )
    counts = {row["membership__person__profession"]: (row["invited"], row["responded"]) for row in rows}
    if survey.is_named:
        groups = {code: code for code in counts}
    else:
        groups = disclosure.profession_groups({code: responded for code, (_i, responded) in counts.items()})
    totals: dict[str, list[int]] = {}
    for code, (invited, responded) in counts.items():
        if groups[code] is not disclosure.HIDDEN:
            total = totals.setdefault(groups[code], [0, 0])
            total[0], total[1] = total[0] + invited, total[1] + responded
    return [
        ProfessionRate(disclosure.group_label(group), *totals[group])
        for group in sorted(totals, key=disclosure.group_order)
    ]


def _scores_by_profession(survey: Survey, answers) -> dict[int, list[ProfessionScore]]:
    """Mean of each scale question by profession; outside named mode, by disclosure.profession_groups.

    Grouped per question, since optional and conditional questions are answered by fewer people.
    """
    rows = (
        answers.filter(number__isnull=False)
        .values("question_id", "response__profession")
        .annotate(n=Count("id"), total=Sum("number"))
        .order_by("question_id", "response__profession")
    )
    by_question: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for row in rows:
        by_question[row["question_id"]][row["response__profession"]] = (row["n"], row["total"])
    scores = {}
    for question_id, counts in by_question.items():
        if survey.is_named:
            groups = {code: code for code in counts}
        else:
            groups = disclosure.profession_groups({code: n for code, (n, _t) in counts.items()})
        totals: dict[str, list[int]] = {}
        for code, (n, total) in counts.items():
            if groups[code] is not disclosure.HIDDEN:
                sums = totals.setdefault(groups[code], [0, 0])
                sums[0], sums[1] = sums[0] + n, sums[1] + total
        scores[question_id] = [
            ProfessionScore(disclosure.group_label(group), n, total / n)
            for group, (n, total) in sorted(totals.items(), key=lambda item: disclosure.group_order(item[0]))
        ]
    return scores


def survey_results(*, survey: Survey) -> SurveyResults:
    """Everything the results page shows, in nine queries whatever the number of responses."""
    survey = Survey.objects.select_related("module__cohort", "question_set").get(pk=survey.pk)
    questions = list(survey.question_set.questions.select_related("condition_question").prefetch_related("choices"))
    invited, responded = _invitation_counts([survey]).get(survey.pk, (0, 0))
    responses = _response_counts([survey]).get(survey.pk, 0)
    visible = _results_visible(survey, responses)
    results = {q.pk: QuestionResult(question=q) for q in questions}
    professions = _profession_rates(survey)
    if not visible:
        return SurveyResults(survey, invited, responded, responses, False, list(results.values()), professions)

    answers = Answer.objects.filter(response__survey=survey)
    for row in answers.values("question_id").annotate(n=Count("id")).order_by():
        results[row["question_id"]].answered = row["n"]

    numeric: dict[int, dict[int, int]] = defaultdict(dict)
    rows = answers.filter(number__isnull=False).values("question_id", "number").annotate(n=Count("id")).order_by()
    for row in rows:
        numeric[row["question_id"]][row["number"]] = row["n"]

    choice_counts = dict(
        Choice.objects.filter(question__question_set=survey.question_set)
        .annotate(n=Count("answers", filter=Q(answers__response__survey=survey)))
        .values_list("pk", "n")
    )

    # Response ids follow the order of answering, which the facilitator can watch on the survey page;
    # outside named mode the texts are sorted by their wording instead.
    text_order = "response_id" if survey.is_named else "text"
    texts = (
        answers.filter(question__kind__in=Question.TEXT_KINDS)
        .exclude(text="")
        .order_by("question_id", text_order, "response_id")
        .values_list("question_id", "text", "response__membership__person__full_name")
    )
    for question_id, text, name in texts:
        results[question_id].texts.append(TextAnswer(text, name if survey.is_named else None))

    if survey.privacy != Survey.Privacy.ANONYMOUS:
        for question_id, scores in _scores_by_profession(survey, answers).items():
            results[question_id].by_profession = scores

    for question in questions:
        result = results[question.pk]
        if question.is_numeric:
            distribution = numeric.get(question.pk, {})
            labels = dict(Question.LIKERT_LABELS) if question.kind == Question.Kind.LIKERT5 else {}
            total = sum(distribution.values())
            result.bars = [
                Bar(
                    f"{value} – {labels[value]}" if value in labels else str(value),
                    distribution.get(value, 0),
                    distribution.get(value, 0) / total if total else 0.0,
                )
                for value in question.scale
            ]
            result.score, result.score_kind = _score(question.kind, distribution)
        elif question.is_choice:
            total = result.answered
            result.bars = [
                Bar(c.label, choice_counts.get(c.pk, 0), choice_counts.get(c.pk, 0) / total if total else 0.0)
                for c in question.choices.all()
            ]
    return SurveyResults(survey, invited, responded, responses, True, list(results.values()), professions)


# ---------------------------------------------------------------------------------------------
# Across modules


@dataclass
class Trend:
    code: str
    label: str
    kind: str  # "mean" | "nps"
    points: list[tuple[int, float | None]]  # (module number, value or None) for each of modules 1-5


def survey_trends_for_cohort(*, cohort: Cohort) -> tuple[list[Survey], list[Trend]]:
    """Each scale question's score module by module, matched across versions by question code."""
    surveys = list(
        Survey.objects.filter(module__cohort=cohort, module__number__in=MODULES_WITH_SURVEY)
        .select_related("module")
        .order_by("module__number")
    )
    if not surveys:
        return [], []
    responses = _response_counts(surveys)
    visible = {s.pk for s in surveys if _results_visible(s, responses.get(s.pk, 0))}
    questions = (
        Question.objects.filter(question_set__surveys__in=[s.pk for s in surveys], kind__in=Question.NUMERIC_KINDS)
        .order_by("question_set__surveys__module__number", "order")
        .values_list("code", "text", "kind")
    )
    labels: dict[str, tuple[str, str]] = {}
    for code, text, kind in questions:
        labels[code] = (text, kind)  # the latest module's wording wins
    distributions = _numeric_distributions(surveys)
    trends = []
    for code, (text, kind) in labels.items():
        by_number = {survey.module.number: survey for survey in surveys}
        points = []
        for number in MODULES_WITH_SURVEY:
            survey = by_number.get(number)
            value = None
            if survey is not None and survey.pk in visible:
                value = _score(kind, distributions.get((survey.pk, code), {}))[0]
            points.append((number, value))
        trends.append(Trend(code, text, "nps" if kind == Question.Kind.RATING0_10 else "mean", points))
    return surveys, trends


# ---------------------------------------------------------------------------------------------
# Pages


def survey_list_for_cohort(*, cohort: Cohort):
    """The cohort's modules 1-5 with their survey (or None) and invitation counts."""
    modules = list(
        Module.objects.filter(cohort=cohort, number__in=MODULES_WITH_SURVEY)
        .select_related("survey__question_set")
        .order_by("number")
    )
    surveys = [m.survey for m in modules if hasattr(m, "survey")]
    counts = _invitation_counts(surveys)
    rows = []
    for module in modules:
        survey = getattr(module, "survey", None)
        invited, responded = counts.get(survey.pk, (0, 0)) if survey else (0, 0)
        rows.append({"module": module, "survey": survey, "invited": invited, "responded": responded})
    return rows


def invitation_list_for_survey(*, survey: Survey):
    return (
        Invitation.objects.filter(survey=survey)
        .select_related("membership__person")
        .order_by("membership__person__full_name")
    )


def question_set_list(*, cohort: Cohort):
    """The current sets a cohort's facilitators may see: the library, the programme's and the cohort's own."""
    return (
        QuestionSet.objects.visible_to_cohort(cohort)
        .current()
        .select_related("programme", "cohort")
        .annotate(n_questions=Count("questions"))
        .order_by("name")
    )


def question_set_detail(*, question_set):
    return (
        question_set.questions.select_related("condition_question").prefetch_related("choices").order_by("order", "id")
    )


# ---------------------------------------------------------------------------------------------
# The participant's own surveys ("my programme")


@dataclass(frozen=True)
class OpenInvitation:
    invitation: Invitation
    survey: Survey
    module: Module
    closes_at: datetime.datetime
    responded: bool
    # False when a new link would cut the participant off from an anonymous answer they already gave.
    can_answer: bool


def open_invitations_for_user(*, user) -> list[OpenInvitation]:
    """The user's invitations to surveys accepting answers now, soonest closing first. One query."""
    if not user.is_authenticated:
        return []
    invitations = (
        Invitation.objects.with_active_membership()
        .filter(membership__person__user=user, survey__in=Survey.objects.accepting())
        .select_related("survey__module")
        .order_by("survey__closes_at", "survey__module__number", "pk")
    )
    return [
        OpenInvitation(
            invitation=invitation,
            survey=invitation.survey,
            module=invitation.survey.module,
            closes_at=invitation.survey.closes_at,
            responded=invitation.has_responded,
            can_answer=not invitation.answer_is_final,
        )
        for invitation in invitations
    ]
