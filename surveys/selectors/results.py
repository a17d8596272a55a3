"""Everything the results page of one survey shows, computed in the database."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import CharField, Count, Q, Sum, Value

from cohorts.models import Cohort
from common.compiled import CompiledQuery, instances_from_row, row_columns
from modules.models import Module
from surveys import disclosure
from surveys.charts import bar_chart
from surveys.models import Answer, Invitation, Question, QuestionSet, Response, Survey
from surveys.structure import questions_for_set

from .figures import response_tallies, results_visible, score
from .together import Together

MIN_GROUP = disclosure.MIN_GROUP


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


# The results page's counts, each a statement compiled once per process (common.compiled: compiling
# the nine statements cost more CPU than PostgreSQL spent running them; issue 14).


def _responses(survey_pk):
    return response_tallies(Response.objects.filter(survey_id=survey_pk))


def _profession_rates_rows(survey_pk):
    return (
        Invitation.objects.filter(survey_id=survey_pk)
        .values("membership__person__profession")
        .annotate(invited=Count("id"), responded=Count("id", filter=Q(responded_at__isnull=False)))
        .order_by("membership__person__profession")
        .values_list("membership__person__profession", "invited", "responded")
    )


def _answers(survey_pk):
    return Answer.objects.filter(response__survey_id=survey_pk)


def _answer_tallies(survey_pk):
    """``(question id, value, answers)``: each question's answers by scale value (None for the answers
    of other kinds, and for a scale question's answers without one); a question's answers are its rows'
    sum."""
    return (
        _answers(survey_pk)
        .values("question_id", "number")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("question_id", "number", "n")
    )


def _choice_counts(survey_pk):
    # Counted from this survey's answers: counting from the choices (which every survey of the same
    # question set shares) made PostgreSQL count the answers of all those surveys first (issue 14:
    # 2-9 s on the scale data).
    return (
        Answer.choices.through.objects.filter(answer__response__survey_id=survey_pk)
        .values("choice_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("choice_id", "n")
    )


def _texts(survey_pk, *, named: bool = False):
    """``(question id, text, name)`` of the text answers; the name only in named mode (outside it no
    name is shown, so none is read: two joins fewer to plan)."""
    name = "response__membership__person__full_name" if named else Value(None, output_field=CharField())
    return (
        _answers(survey_pk)
        .filter(question__kind__in=Question.TEXT_KINDS)
        .exclude(text="")
        .order_by("question_id", "response_id" if named else "text", "response_id")
        .values_list("question_id", "text", name)
    )


def _texts_named(survey_pk):
    return _texts(survey_pk, named=True)


def _scores_by_profession_rows(survey_pk):
    return (
        _answers(survey_pk)
        .filter(number__isnull=False)
        .values("question_id", "response__profession")
        .annotate(n=Count("id"), total=Sum("number"))
        .order_by("question_id", "response__profession")
        .values_list("question_id", "response__profession", "n", "total")
    )


_RESPONSES = CompiledQuery(_responses, survey_pk=-7362)
# The results page's reads after its survey, in one statement (surveys.selectors.together: six round
# trips cost more than PostgreSQL spent on them; issue 14). While a survey's figures cannot show (an
# open or draft survey that is not named) it reads only its responses and invitations; otherwise
# every read it can show, its texts in the order the privacy asks, its scores by profession unless
# anonymous. The answers of a closed survey of fewer than three responses are read and left unused.
_COUNTS_READS = {"responses": _responses, "rates": _profession_rates_rows}
_RESULTS_READS = {**_COUNTS_READS, "tallies": _answer_tallies, "choices": _choice_counts}
_TOGETHER = {
    # (may show figures, privacy): the statement
    (False, None): Together({"survey_pk": -7370}, **_COUNTS_READS),
    (True, Survey.Privacy.NAMED): Together(
        {"survey_pk": -7371}, **_RESULTS_READS, texts=_texts_named, scores=_scores_by_profession_rows
    ),
    (True, Survey.Privacy.PSEUDONYMOUS): Together(
        {"survey_pk": -7372}, **_RESULTS_READS, texts=_texts, scores=_scores_by_profession_rows
    ),
    (True, Survey.Privacy.ANONYMOUS): Together({"survey_pk": -7373}, **_RESULTS_READS, texts=_texts),
}


def _survey_row(survey_pk):
    return Survey.objects.filter(pk=survey_pk).values_list(*row_columns(_SURVEY_ROW))


# The survey read again with its module, cohort and question set (as select_related("module", "cohort",
# "question_set") would); the module is None for the evaluation's surveys, which follow none.
_SURVEY_ROW = ((Survey, ""), (Module, "module__"), (Cohort, "cohort__"), (QuestionSet, "question_set__"))
_SURVEY = CompiledQuery(_survey_row, survey_pk=-7360)


def _survey_reread(survey_pk: int) -> Survey:
    row = _SURVEY.fetchone(survey_pk=survey_pk)
    if row is None:
        raise Survey.DoesNotExist("Survey matching query does not exist.")
    (survey, module, cohort, question_set), _rest = instances_from_row(row, *(m for m, _ in _SURVEY_ROW))
    survey.module = module if module.pk is not None else None
    survey.cohort, survey.question_set = cohort, question_set
    return survey


def survey_response_count(*, survey_pk: int) -> int:
    """How many responses the survey has (what ``survey.responses.count()`` gives), in a statement
    compiled once per process."""
    row = _RESPONSES.fetchone(survey_pk=survey_pk)
    return row[1] if row else 0


def _profession_rates(survey: Survey, rows) -> tuple[int, int, list[ProfessionRate]]:
    """How many were invited and how many of them responded, and the response rate by profession;
    outside named mode, grouped by disclosure.profession_groups; from ``_profession_rates_rows`` (the
    totals are the professions' sums)."""
    counts = {profession: (invited, responded) for profession, invited, responded in rows}
    invited = sum(i for i, _r in counts.values())
    responded = sum(r for _i, r in counts.values())
    if survey.is_named:
        groups = {code: code for code in counts}
    else:
        groups = disclosure.profession_groups({code: responded for code, (_i, responded) in counts.items()})
    totals: dict[str, list[int]] = {}
    for code, (n_invited, n_responded) in counts.items():
        if groups[code] is not disclosure.HIDDEN:
            total = totals.setdefault(groups[code], [0, 0])
            total[0], total[1] = total[0] + n_invited, total[1] + n_responded
    order = sorted(totals, key=disclosure.group_order)
    rates = [ProfessionRate(disclosure.group_label(group), *totals[group]) for group in order]
    return invited, responded, rates


def _scores_by_profession(survey: Survey, rows) -> dict[int, list[ProfessionScore]]:
    """Mean of each scale question by profession; outside named mode, by disclosure.profession_groups;
    from ``_scores_by_profession_rows``.

    Grouped per question, since optional and conditional questions are answered by fewer people.
    """
    by_question: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for question_id, profession, n, total in rows:
        by_question[question_id][profession] = (n, total)
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


def survey_results(*, survey: Survey, read_with_relations: bool = False) -> SurveyResults:
    """Everything the results page shows, in three queries whatever the number of responses (one once
    the question set's structure is cached, and the survey read with its relations by the caller). The
    survey is read again with its module, cohort and question set, unless the caller read it so in this
    request (``read_with_relations``, as ``surveys.views.base.survey_of_module`` gives it): one query
    fewer."""
    if read_with_relations:
        module = survey.module
        if module is not None and module.cohort_id == survey.cohort_id and Module.cohort.is_cached(module):
            survey.cohort = module.cohort
    else:
        survey = _survey_reread(survey.pk)
    # The set version's cached structure (read-only instances shared between requests).
    questions = questions_for_set(question_set_id=survey.question_set_id, stamp=survey.question_set.updated_at)
    # Whether the figures can show with enough responses (disclosure.figures_visible): named, or closed.
    may_show = survey.is_named or not disclosure.figures_wait_for_close(survey)
    reads = _TOGETHER[(True, survey.privacy) if may_show else (False, None)].fetch(survey_pk=survey.pk)
    responses = reads["responses"][0][1] if reads["responses"] else 0
    visible = results_visible(survey, responses)
    results = {q.pk: QuestionResult(question=q) for q in questions}
    invited, responded, professions = _profession_rates(survey, reads["rates"])
    if not visible:
        return SurveyResults(survey, invited, responded, responses, False, list(results.values()), professions)

    answered: dict[int, int] = defaultdict(int)
    numeric: dict[int, dict[int, int]] = defaultdict(dict)
    for question_id, number, n in reads["tallies"]:
        answered[question_id] += n
        if number is not None:
            numeric[question_id][number] = n
    choice_counts = dict(reads["choices"])

    # Response ids follow the order of answering, which the facilitator can watch on the survey page;
    # outside named mode the texts are sorted by their wording instead.
    named = survey.is_named
    for question_id, text, name in reads["texts"]:
        results[question_id].texts.append(TextAnswer(text, name if named else None))

    if survey.privacy != Survey.Privacy.ANONYMOUS:
        for question_id, scores in _scores_by_profession(survey, reads["scores"]).items():
            results[question_id].by_profession = scores

    results_count(results, answered=answered, numeric=numeric, choice_counts=choice_counts)
    return SurveyResults(survey, invited, responded, responses, True, list(results.values()), professions)


def results_values(results: SurveyResults) -> dict:
    """What the results page shows of each question, as plain values (``common.drawn`` keeps the
    questions' sections drawn under them), each with its bar chart's geometry where it has bars."""
    rows = []
    for r in results.questions:
        question = r.question
        result = {
            "question": {
                "pk": question.pk,
                "code": question.code,
                "text": question.text,
                "kind": question.kind,
                "is_text": question.is_text,
            },
            "answered": r.answered,
            "score": r.score,
            "score_kind": r.score_kind,
            "bars": [{"label": b.label, "count": b.count, "share": b.share} for b in r.bars],
            "texts": [{"text": t.text, "name": t.name} for t in r.texts],
            "by_profession": [{"profession": p.profession, "count": p.count, "mean": p.mean} for p in r.by_profession],
        }
        rows.append((result, bar_chart(r.bars).values() if r.bars else None))
    return {"named": results.survey.is_named, "min_group": MIN_GROUP, "rows": rows}


def results_rate_values(results: SurveyResults, *, cohort_pk: int) -> dict:
    """What the results page shows above the questions (heading, response rate by profession,
    downloads), as plain values (``common.drawn`` keeps it drawn under them)."""
    survey, module = results.survey, results.survey.module
    return {
        "cohort_pk": cohort_pk,
        "number": module.number,
        "title": module.title,
        "status_label": str(survey.get_status_display()),
        "privacy_label": str(survey.get_privacy_display()),
        "named": survey.privacy == Survey.Privacy.NAMED,
        "responded": results.responded,
        "invited": results.invited,
        "professions": [
            {"profession": p.profession, "invited": p.invited, "responded": p.responded} for p in results.professions
        ],
        "min_group": MIN_GROUP,
        "visible": results.visible,
    }


def results_count(
    results: Mapping[int, QuestionResult],
    *,
    answered: Mapping[int, int],
    numeric: Mapping[int, Mapping[int, int]],
    choice_counts: Mapping[int, int],
) -> None:
    """Each question's number of answers, bars and score, from its survey's counts: {question id:
    answers}, {question id: {value: answers}} of the scale questions, {choice id: answers}."""
    for question_id, n in answered.items():
        if question_id in results:
            results[question_id].answered = n
    for result in results.values():
        question = result.question
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
            result.score, result.score_kind = score(question.kind, distribution)
        elif question.is_choice:
            total = result.answered
            result.bars = [
                Bar(c.label, choice_counts.get(c.pk, 0), choice_counts.get(c.pk, 0) / total if total else 0.0)
                for c in question.choices.all()
            ]
