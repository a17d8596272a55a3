"""What a draft report reads from the apps below, each kind of row once (issue 14: at most 20 queries
a page, whatever the cohort's size).

The apps' own selectors each serve a page of their own and read what that page needs: the cohort's
modules, its surveys and their counts, the survey answers. Called one after the other, the report
read the modules three times, the surveys four times and each evaluation survey's answers once per
figure (58 queries for a finished cohort). Here each is read once and handed to the same builders
those selectors use (``survey_summaries_from``, ``results_count``, ``level_groups``,
``self_assessment_results_from``, ``practice_summary``), so the figures are the ones their pages
show. After the cohort with its report and key impacts (``cohort_read``, two queries):

1. modules, with their PDSA cycle and the active participants present at each;
2. memberships with their attendance, as plain rows (split by ``CohortOverview.split``, as the cohort page's);
3. the PDSA cycles' Act items (if a module has a cycle);
4. every survey of the cohort, with its invitation and response counts;
5. the answers counted in one grouped query: the module surveys' headline questions, every
   question of the evaluation and follow-up, and the self-assessment items per pseudonym (which
   ``self_assessment_ratings`` replaces by a number before anything else sees it);
6. the evaluation and follow-up choices' counts, when they ask a choice question;
7. the practice log's counts; 8. the chosen quotes with their sources (if any is chosen);
9-13. the sets, projects, measures, key measures' data points and PDSA cycles
   (``projects_for_report``).

The questions of the self-assessments, evaluation and follow-up come from ``surveys.structure``
(read once per version of a question set and process, two queries for all of them). A step with
nothing to read is skipped. Counted with every section filled in reports/tests/test_views.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Value, When

from cohorts.models import Cohort, Membership
from evaluation import quote_selectors, result_selectors
from evaluation import selectors as evaluation_selectors
from evaluation.models import QuoteSelection
from modules.models import ActItem, Attendance, Module
from modules.selectors import CohortOverview
from projects.models import ActionLearningSet
from projects.selectors import projects_for_report
from surveys import disclosure, structure
from surveys.defaults import HEADLINE_QUESTIONS
from surveys.models import Answer, Question, Survey
from surveys.selectors import QuestionResult, SurveyResults, SurveySummary
from surveys.selectors.figures import surveys_with_counts
from surveys.selectors.results import results_count
from surveys.selectors.summaries import survey_summaries_from

HEADLINE_CODES = [code for code, _kind in HEADLINE_QUESTIONS]
SELF_ASSESSMENT_KINDS = (Survey.Kind.SELF_PRE, Survey.Kind.SELF_POST)
LEVEL_KINDS = (Survey.Kind.EVALUATION, Survey.Kind.FOLLOW_UP)


@dataclass(frozen=True)
class Member:
    """A membership as the summary and the attendance count it (``CohortOverview.split`` splits them)."""

    role: str
    is_active: bool
    full_name: str
    profession: str
    job_title: str
    present: int  # the delivered modules they were present at


@dataclass
class ReportReads:
    modules: list[Module]
    roster: CohortOverview
    act_items: dict[int, list[str]]
    summaries: dict[int, SurveySummary]
    self_assessment: result_selectors.SelfAssessmentResults
    levels: dict[str, result_selectors.LevelResults]
    practice: evaluation_selectors.PracticeSummary
    quotes: list[quote_selectors.Quote]
    sets: list[ActionLearningSet]


def _modules(cohort: Cohort) -> list[Module]:
    present = Q(
        attendances__status=Attendance.Status.PRESENT,
        attendances__membership__role=Membership.Role.PARTICIPANT,
        attendances__membership__status=Membership.Status.ACTIVE,
    )
    return list(
        Module.objects.filter(cohort=cohort)
        .select_related("pdsa_cycle")
        .annotate(present_active=Count("attendances", filter=present))
        .order_by("number")
    )


def _members(cohort: Cohort) -> list[Member]:
    """The memberships in ``cohort_overview``'s order, as plain rows: the report needs five of the
    columns that page instantiates for three models per member."""
    present = Q(attendances__module__state=Module.State.DELIVERED, attendances__status=Attendance.Status.PRESENT)
    rows = (
        Membership.objects.filter(cohort=cohort)
        .values_list("pk", "role", "status", "person__full_name", "person__profession", "person__job_title")
        .annotate(present=Count("attendances", filter=present))
        .order_by("status", "person__full_name", "pk")
    )
    return [
        Member(role, status == Membership.Status.ACTIVE, name, profession, job_title, present)
        for _pk, role, status, name, profession, job_title, present in rows
    ]


@dataclass
class AnswerCounts:
    """The grouped answers of step 5, sorted out."""

    # {(survey id, question code): {value: answers}}: the module surveys' headline questions
    headline: dict[tuple[int, str], dict[int, int]]
    # {survey id: {question id: answers}} and {survey id: {question id: {value: answers}}}
    answered: dict[int, dict[int, int]]
    numeric: dict[int, dict[int, dict[int, int]]]
    # (pseudonym, survey kind, code, number, then number) of the self-assessments' items
    ratings: list[tuple[str, str, str, int | None, int | None]]


def _answer_counts(*, module_surveys, level_surveys, self_assessments, item_codes) -> AnswerCounts:
    counts = AnswerCounts(headline=defaultdict(dict), answered=defaultdict(dict), numeric=defaultdict(dict), ratings=[])
    module_ids = [s.pk for s in module_surveys]
    level_ids = [s.pk for s in level_surveys]
    pair_ids = [s.pk for s in self_assessments]
    if not (module_ids or level_ids or pair_ids):
        return counts
    wanted = (
        Q(response__survey__in=module_ids, question__code__in=HEADLINE_CODES, number__isnull=False)
        | Q(response__survey__in=level_ids)
        | (Q(response__survey__in=pair_ids, question__code__in=item_codes) & ~Q(response__pseudonym=""))
    )
    # Each self-assessment answer stays a row of its own (pairing needs the person); the rest are counted.
    person = Case(
        When(response__survey__in=pair_ids, then=F("response__pseudonym")), default=Value(""), output_field=CharField()
    )
    rows = (
        Answer.objects.filter(response__survey__in=module_ids + level_ids + pair_ids)
        .filter(wanted)
        .annotate(person=person)
        .values_list("response__survey_id", "question_id", "question__code", "person", "number", "then_number")
        .annotate(n=Count("id"))
        .order_by()
    )
    kinds = {s.pk: s.kind for s in self_assessments}
    modules, levels = set(module_ids), set(level_ids)
    for survey_id, question_id, code, pseudonym, number, then_number, n in rows:
        if survey_id in modules:
            distribution = counts.headline[survey_id, code]
            distribution[number] = distribution.get(number, 0) + n
        elif survey_id in levels:
            answered = counts.answered[survey_id]
            answered[question_id] = answered.get(question_id, 0) + n
            if number is not None:
                distribution = counts.numeric[survey_id].setdefault(question_id, {})
                distribution[number] = distribution.get(number, 0) + n
        else:
            counts.ratings.append((pseudonym, kinds[survey_id], code, number, then_number))
    return counts


def _choice_counts(level_surveys) -> dict[int, dict[int, int]]:
    """{survey id: {choice id: answers}} (step 6)."""
    rows = (
        Answer.choices.through.objects.filter(answer__response__survey__in=[s.pk for s in level_surveys])
        .values_list("answer__response__survey_id", "choice_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for survey_id, choice_id, n in rows:
        counts[survey_id][choice_id] = n
    return counts


def _level(survey: Survey | None, questions, counts: AnswerCounts, choices) -> result_selectors.LevelResults:
    """``survey_results_by_level`` of a survey whose figures were read above (no texts or professions:
    the report shows neither). ``questions``: {question set id: its questions}, of the visible surveys."""
    if survey is None:
        return result_selectors.LevelResults(survey=None)
    visible = disclosure.figures_visible(survey=survey, responses=survey.response_count)
    results = {q.pk: QuestionResult(question=q) for q in (questions[survey.question_set_id] if visible else [])}
    if visible:
        results_count(
            results,
            answered=counts.answered.get(survey.pk, {}),
            numeric=counts.numeric.get(survey.pk, {}),
            choice_counts=choices.get(survey.pk, {}),
        )
    survey_results = SurveyResults(
        survey, survey.invited_count, survey.responded_count, survey.response_count, visible, list(results.values()), []
    )
    groups = result_selectors.level_groups(survey_results, draw_charts=False)
    return result_selectors.LevelResults(survey=survey, results=survey_results, groups=groups)


def cohort_read(cohort: Cohort, *, with_report: bool) -> Cohort:
    """The cohort with what the report names of it and ``quotes_chosen`` (whether the facilitators
    chose any quote); ``with_report``: its ``impact_report``, if any, with the key impacts. One query,
    two with a report."""
    cohorts = Cohort.objects.select_related("programme__provider", "commissioner").annotate(
        quotes_chosen=Exists(QuoteSelection.objects.filter(cohort=OuterRef("pk")))
    )
    if with_report:
        cohorts = cohorts.select_related("impact_report").prefetch_related("impact_report__key_impacts")
    return cohorts.get(pk=cohort.pk)


def _act_items(cohort: Cohort) -> dict[int, list[str]]:
    """The Act items' texts by module number, in the order they were written (as the PDSA pages list them)."""
    items: dict[int, list[str]] = {}
    rows = ActItem.objects.filter(cycle__module__cohort=cohort).order_by("created_at", "pk")
    for number, text in rows.values_list("cycle__module__number", "text"):
        items.setdefault(number, []).append(text)
    return items


def report_reads(*, cohort: Cohort) -> ReportReads:
    """Everything the sections show of ``cohort``, as read by ``cohort_read``."""
    modules = _modules(cohort)
    roster = CohortOverview.split(modules=modules, members=_members(cohort))
    surveys = surveys_with_counts(Survey.objects.for_cohort(cohort).select_related("module", "question_set"))
    module_surveys = [s for s in surveys if s.module is not None and s.module.number in Module.SURVEY_NUMBERS]
    by_kind = {s.kind: s for s in surveys if s.kind != Survey.Kind.MODULE}

    pre, post = (by_kind.get(kind) for kind in SELF_ASSESSMENT_KINDS)
    pair = [pre, post] if result_selectors.self_assessment_comparable(pre, post) else []
    visible_levels = [
        s
        for s in (by_kind.get(kind) for kind in LEVEL_KINDS)
        if s is not None and disclosure.figures_visible(survey=s, responses=s.response_count)
    ]
    questions = structure.questions_for_sets(
        {s.question_set_id: s.question_set.updated_at for s in pair + visible_levels}
    )
    item_dimensions, item_texts = {}, {}
    if pair:
        rated = [
            (q.question_set_id, q.code, q.text)
            for s in pair
            for q in questions[s.question_set_id]
            if q.kind == Question.Kind.LIKERT5
        ]
        item_dimensions, item_texts = result_selectors.self_assessment_items(pre=pre, post=post, questions=rated)
    counts = _answer_counts(
        module_surveys=module_surveys,
        level_surveys=visible_levels,
        self_assessments=pair,
        item_codes=list(item_dimensions),
    )
    asks_choices = any(q.is_choice for s in visible_levels for q in questions[s.question_set_id])
    choices = _choice_counts(visible_levels) if asks_choices else {}

    return ReportReads(
        modules=modules,
        roster=roster,
        act_items=_act_items(cohort) if any(getattr(m, "pdsa_cycle", None) for m in modules) else {},
        summaries=survey_summaries_from(
            module_surveys,
            counts={s.pk: (s.invited_count, s.responded_count) for s in module_surveys},
            responses={s.pk: s.response_count for s in module_surveys},
            distributions=counts.headline,
        ),
        self_assessment=result_selectors.self_assessment_results_from(
            pre=pre,
            post=post,
            item_dimensions=item_dimensions,
            item_texts=item_texts,
            rows=counts.ratings if pair else None,
            draw_chart=False,
        ),
        levels={kind: _level(by_kind.get(kind), questions, counts, choices) for kind in LEVEL_KINDS},
        practice=evaluation_selectors.practice_summary(
            cohort=cohort, active_participants=len(roster.active_participants), modules=modules
        ),
        quotes=quote_selectors.quotes_selected(cohort=cohort, response_counts={s.pk: s.response_count for s in surveys})
        if cohort.quotes_chosen
        else [],
        sets=projects_for_report(cohort=cohort),
    )
