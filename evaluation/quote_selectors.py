"""Read side of consented quotes: what a facilitator may choose from, what they chose, and what a
participant has let us quote.

A source is listed only while its consent is not "no" (``Answer.QuoteConsent.NONE``): the consent
lives with the source, so a withdrawal takes a quote off every list and out of every draft at once.
A free-text answer of a non-named survey is listed only where the survey results page would show
its text (``surveys.disclosure.figures_visible``: closed, at least ``MIN_GROUP`` responses).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Membership, Person
from common.compiled import CompiledQuery, attnames, instance, instances_from_row, row_columns
from modules.models import Module
from surveys import disclosure
from surveys.models import Answer, Question, Response, Survey
from surveys.tokens import pseudonym_for

from .models import PracticeMoment, QuoteSelection

NONE = Answer.QuoteConsent.NONE
ANSWER, MOMENT = "answer", "moment"
PROFESSIONS = dict(Person.Profession.choices)


def source_key(kind: str, pk: int) -> str:
    return f"{kind}-{pk}"


def source_parse(key: str) -> tuple[str, int] | None:
    """("answer" | "moment", pk) from a key such as "answer-12"; None for anything else."""
    kind, _sep, pk = (key or "").partition("-")
    if kind not in (ANSWER, MOMENT) or not pk.isdigit():
        return None
    return kind, int(pk)


def quote_attribution(*, consent: str, privacy: str, person: Person | None = None, profession: str = "") -> str:
    """How a quote is attributed, from the participant's consent and what the source may reveal.

    ``privacy`` is the survey's (practice reflections shared with the set count as named). A name is
    given only for a named source: beside a pseudonymous answer it would unmask the pseudonym. An
    anonymous answer is always "A participant", whatever was stored.
    """
    anonymous = _("A participant")
    if consent == NONE or consent == Answer.QuoteConsent.ANONYMOUS or privacy == Survey.Privacy.ANONYMOUS:
        return anonymous
    if person is not None:
        role = person.job_title or PROFESSIONS.get(person.profession, "")
    else:
        role = PROFESSIONS.get(profession, "")
    if consent == Answer.QuoteConsent.NAME_AND_ROLE and privacy == Survey.Privacy.NAMED and person is not None:
        return f"{person.full_name}, {role}" if role else person.full_name
    return role or anonymous


@dataclass
class Quote:
    key: str
    text: str
    source: str  # where it comes from: the survey and question, or "practice reflection"
    attribution: str
    consent: str
    selection: QuoteSelection | None = None

    @property
    def consent_label(self) -> str:
        return str(Answer.QuoteConsent(self.consent).label)


def _answer_quote(answer: Answer) -> Quote:
    response = answer.response
    survey = response.survey
    membership = response.membership if survey.is_named else None
    return Quote(
        key=source_key(ANSWER, answer.pk),
        text=answer.text,
        source=f"{survey.title}: {answer.question.text}",
        attribution=quote_attribution(
            consent=answer.quote_consent,
            privacy=survey.privacy,
            person=membership.person if membership else None,
            profession=response.profession,
        ),
        consent=answer.quote_consent,
    )


def _moment_quote(moment: PracticeMoment) -> Quote:
    return Quote(
        key=source_key(MOMENT, moment.pk),
        text=moment.reflection,
        source=_("Practice reflection shared with the set, %(date)s") % {"date": date_format(moment.date, "j F Y")},
        attribution=quote_attribution(
            consent=moment.quote_consent, privacy=Survey.Privacy.NAMED, person=moment.membership.person
        ),
        consent=moment.quote_consent,
    )


def _quotable_answer(prefix: str = "") -> Q:
    """An answer that may be quoted: free text, not empty, with consent; ``prefix`` reaches it from a
    related row (``"answer__"`` from a selection)."""
    return (
        Q(**{f"{prefix}question__kind__in": Question.TEXT_KINDS})
        & ~Q(**{f"{prefix}text": ""})
        & ~Q(**{f"{prefix}quote_consent": NONE})
    )


def _quotable_moment(cohort: Cohort, prefix: str = "") -> Q:
    """A practice moment of the cohort that may be quoted: shared with the set, a reflection, consent."""
    return (
        Q(**{f"{prefix}membership__cohort": cohort, f"{prefix}shared_with_set": True})
        & ~Q(**{f"{prefix}quote_consent": NONE})
        & ~Q(**{f"{prefix}reflection": ""})
    )


def _answers():
    return Answer.objects.filter(_quotable_answer()).select_related(
        "question", "response__survey__module", "response__membership__person"
    )


# An answer with its question, response, survey, the survey's module, the response's membership and its
# person (``_answers``' select_related): the columns of each, in this order.
_ANSWER_ROW = (
    (Answer, ""),
    (Question, "question__"),
    (Response, "response__"),
    (Survey, "response__survey__"),
    (Module, "response__survey__module__"),
    (Membership, "response__membership__"),
    (Person, "response__membership__person__"),
)
# A moment with its membership and person (``_cohort_moments``' select_related).
_MOMENT_ROW = ((PracticeMoment, ""), (Membership, "membership__"), (Person, "membership__person__"))


def _cohort_answer_rows(cohort_pk):
    return (
        Answer.objects.filter(_quotable_answer(), response__survey__cohort_id=cohort_pk)
        .order_by("response__survey_id", "question__order")
        .values_list(*row_columns(_ANSWER_ROW))
    )


def _cohort_moment_rows(cohort_pk):
    return (
        PracticeMoment.objects.filter(_quotable_moment(cohort_pk))
        .order_by("date", "pk")
        .values_list(*row_columns(_MOMENT_ROW))
    )


def _selection_rows(cohort_pk):
    return (
        QuoteSelection.objects.filter(cohort_id=cohort_pk)
        .order_by("order", "pk")
        .values_list(*attnames(QuoteSelection))
    )


def _cohort_answers(cohort: Cohort) -> list[Answer]:
    """The cohort's quotable answers of surveys whose figures may be shown, each with its question,
    response, survey (and module), membership and person loaded (two statements compiled once per process)."""
    counts = {pk: n for pk, _privacy, _status, n in _SURVEY_RESPONSES.fetchall(cohort_pk=cohort.pk)}
    answers = []
    for row in _COHORT_ANSWERS.fetchall(cohort_pk=cohort.pk):
        (answer, question, response, survey, module, membership, person), _rest = instances_from_row(
            row, *(model for model, _prefix in _ANSWER_ROW)
        )
        if not disclosure.figures_visible(survey=survey, responses=counts[survey.pk]):
            continue
        _set(Survey.module, survey, module if module.pk is not None else None)
        if membership.pk is None:
            membership = None
        else:
            _set(Membership.person, membership, person)
        _set(Response.membership, response, membership)
        _set(Response.survey, response, survey)
        _set(Answer.response, answer, response)
        _set(Answer.question, answer, question)
        answers.append(answer)
    return answers


def _cohort_moments(cohort: Cohort):
    return (
        PracticeMoment.objects.filter(_quotable_moment(cohort))
        .select_related("membership__person")
        .order_by("date", "pk")
    )


def _set(descriptor, obj, related) -> None:
    """Load ``related`` into ``obj``'s forward relation, as select_related does."""
    descriptor.field.set_cached_value(obj, related)


def _moment(row) -> PracticeMoment:
    (moment, membership, person), _rest = instances_from_row(row, *(model for model, _prefix in _MOMENT_ROW))
    _set(Membership.person, membership, person)
    _set(PracticeMoment.membership, moment, membership)
    return moment


@dataclass
class QuoteBoard:
    selected: list[Quote]
    available: list[Quote]


def quote_board(*, cohort: Cohort) -> QuoteBoard:
    """Every consented source of the cohort, the selected ones in report order: four queries."""
    answers = [_answer_quote(a) for a in _cohort_answers(cohort)]
    quotes = answers + [_moment_quote(_moment(row)) for row in _COHORT_MOMENTS.fetchall(cohort_pk=cohort.pk)]
    by_key = {q.key: q for q in quotes}
    selected = []
    for row in _SELECTIONS_ROWS.fetchall(cohort_pk=cohort.pk):
        (selection,), _rest = instances_from_row(row, QuoteSelection)
        key = (
            source_key(ANSWER, selection.answer_id)
            if selection.answer_id
            else source_key(MOMENT, selection.practice_moment_id)
        )
        quote = by_key.get(key)
        if quote is not None:  # a source no longer consented (or not yet visible) is not a quote
            quote.selection = selection
            selected.append(quote)
    return QuoteBoard(selected=selected, available=[q for q in quotes if q.selection is None])


def _survey_responses(cohort_pk):
    return (
        Survey.objects.filter(cohort_id=cohort_pk)
        .annotate(n=Count("responses"))
        .values_list("pk", "privacy", "status", "n")
    )


def _quotable_answers_by_survey(cohort_pk):
    return (
        Answer.objects.filter(_quotable_answer(), response__survey__cohort_id=cohort_pk)
        .values("response__survey_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("response__survey_id", "n")
    )


def _quotable_moments(cohort_pk):
    # One row a member of the cohort, with their quotable moments counted by a subquery on the
    # moments' membership index: the moments joined to the cohort's memberships made PostgreSQL read
    # every cohort's moments (1.7 -> 0.2 ms on the scale data).
    quotable = (
        PracticeMoment.objects.filter(_quotable_moment(cohort_pk), membership=OuterRef("pk"))
        .order_by()
        .values("membership")
        .annotate(n=Count("pk"))
        .values("n")
    )
    members = Membership.objects.filter(cohort_id=cohort_pk).order_by()
    return members.annotate(n=Coalesce(Subquery(quotable), 0)).values_list("n")


def _selections_by_survey(cohort_pk):
    # A selection is of an answer or of a moment, never both (QuoteSelection's check constraint): a
    # moment's row has no survey.
    return (
        QuoteSelection.objects.filter(cohort_id=cohort_pk)
        .filter(_quotable_answer("answer__") | _quotable_moment(cohort_pk, "practice_moment__"))
        .values("answer__response__survey_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("answer__response__survey_id", "n")
    )


# The evaluation overview counts the quotes on every request: four statements compiled once per
# process (common.compiled), as compiling them cost more CPU than running them (issue 14).
_SURVEY_RESPONSES = CompiledQuery(_survey_responses, cohort_pk=-7391)
_QUOTABLE_ANSWERS = CompiledQuery(_quotable_answers_by_survey, cohort_pk=-7392)
_QUOTABLE_MOMENTS = CompiledQuery(_quotable_moments, cohort_pk=-7393)
_SELECTIONS = CompiledQuery(_selections_by_survey, cohort_pk=-7394)
# The quotes page reads every source and selection on every request: compiled too.
_COHORT_ANSWERS = CompiledQuery(_cohort_answer_rows, cohort_pk=-7395)
_COHORT_MOMENTS = CompiledQuery(_cohort_moment_rows, cohort_pk=-7396)
_SELECTIONS_ROWS = CompiledQuery(_selection_rows, cohort_pk=-7397)


def quote_counts(*, cohort: Cohort) -> tuple[int, int]:
    """How many quotes ``quote_board(cohort)`` lists as selected and as available, counted in the database
    by the same rules (four queries, no rows read): for a page that shows only the numbers."""
    visible = {
        pk
        for pk, privacy, status, n in _SURVEY_RESPONSES.fetchall(cohort_pk=cohort.pk)
        if disclosure.figures_visible(survey=instance(Survey, id=pk, privacy=privacy, status=status), responses=n)
    }
    answers = sum(n for survey_id, n in _QUOTABLE_ANSWERS.fetchall(cohort_pk=cohort.pk) if survey_id in visible)
    moments = sum(n for (n,) in _QUOTABLE_MOMENTS.fetchall(cohort_pk=cohort.pk))
    selected = sum(
        n for survey_id, n in _SELECTIONS.fetchall(cohort_pk=cohort.pk) if survey_id is None or survey_id in visible
    )
    return selected, answers + moments - selected


def quotes_selected(*, cohort: Cohort, response_counts: Mapping[int, int]) -> list[Quote]:
    """``quote_board(cohort).selected`` in one query, for the report: the chosen sources read with the
    selections, by the same rules. ``response_counts``: {survey id: responses} of the cohort's surveys.
    Each quote's ``selection`` holds its source (``answer`` with its response, or ``practice_moment``
    with its membership)."""
    # The board's rules (_cohort_answers, _cohort_moments), on the selected rows only.
    answer = _quotable_answer("answer__") & Q(answer__response__survey__cohort=cohort)
    moment = _quotable_moment(cohort, "practice_moment__")
    selections = (
        QuoteSelection.objects.filter(cohort=cohort)
        .filter(answer | moment)
        .select_related(
            "answer__question",
            "answer__response__survey__module",
            "answer__response__membership__person",
            "practice_moment__membership__person",
        )
        .order_by("order", "pk")
    )
    quotes = []
    for selection in selections:
        if selection.answer_id:
            survey = selection.answer.response.survey
            if not disclosure.figures_visible(survey=survey, responses=response_counts.get(survey.pk, 0)):
                continue
            quote = _answer_quote(selection.answer)
        else:
            quote = _moment_quote(selection.practice_moment)
        quote.selection = selection
        quotes.append(quote)
    return quotes


def quote_is_selectable(*, cohort: Cohort, key: str) -> bool:
    """Whether the facilitators' quotes page lists this source (the services' rule, in one place)."""
    parsed = source_parse(key)
    if parsed is None:
        return False
    kind, pk = parsed
    if kind == MOMENT:
        return _cohort_moments(cohort).filter(pk=pk).exists()
    return any(a.pk == pk for a in _cohort_answers(cohort))


# -- a participant's own consented quotes ----------------------------------------------------------


def _own_answers(user):
    memberships = list(Membership.objects.filter(person__user=user).values_list("pk", flat=True))
    pseudonyms = [pseudonym_for(pk) for pk in memberships]
    # Named answers by membership, pseudonymous ones by the member's pseudonym; an anonymous answer
    # has neither, so it cannot be found (its consent is changed through the survey link).
    return _answers().filter(
        Q(response__survey__privacy=Survey.Privacy.NAMED, response__membership__in=memberships)
        | Q(response__survey__privacy=Survey.Privacy.PSEUDONYMOUS, response__pseudonym__in=pseudonyms)
    )


def _own_moments(user):
    return (
        PracticeMoment.objects.filter(membership__person__user=user)
        .exclude(quote_consent=NONE)
        .select_related("membership__person")
    )


def quotes_of_user(*, user) -> list[Quote]:
    """The signed-in participant's answers and reflections they have let us quote: two queries."""
    answers = [_answer_quote(a) for a in _own_answers(user).order_by("response__survey_id", "question__order")]
    return answers + [_moment_quote(m) for m in _own_moments(user).order_by("date", "pk")]


def own_source(*, user, key: str) -> Answer | PracticeMoment | None:
    """The user's own consented source named by ``key``, or None."""
    parsed = source_parse(key)
    if parsed is None:
        return None
    kind, pk = parsed
    queryset = _own_moments(user) if kind == MOMENT else _own_answers(user)
    return queryset.filter(pk=pk).first()
