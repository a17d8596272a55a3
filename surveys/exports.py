"""Streaming CSV and XLSX exports of a survey's responses, in constant memory.

Responses are read in chunks (``iterator(chunk_size=...)``) and merged with their answers; the
streaming and the formula-safe cells are common.exports'.

Outside named mode a row carries only the answers and, for pseudonymous surveys, the pseudonym that
pairs a person's answers across modules. The facilitator knows everyone's profession and sees who
has answered when, so the rest would put a name on the row: no submission times, no response ids
(rows are in pseudonym order), and no profession. Pooling small professions per survey is not
enough once the pseudonym links the exports of several modules: a pseudonym shown as "Medicine"
where three doctors answered and as "Other professions" where one did is that one doctor. Results by
profession, pooled, are on the results page, where no pseudonym links them.
"""

import functools
from collections.abc import Iterator

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from common import exports as spreadsheets
from common.compiled import CompiledQuery
from common.exports import CHUNK_SIZE, neutralise

from .models import Answer, Question, Response, Survey
from .structure import questions_for_set


def _questions(survey: Survey) -> list[Question]:
    """In order: the set version's cached structure (``surveys.structure``), read again only after
    the set changed (the survey comes with its question set, so its version stamp costs no query)."""
    return questions_for_set(question_set_id=survey.question_set_id, stamp=survey.question_set.updated_at)


def header(survey: Survey, questions: list[Question]) -> list[str]:
    columns = []
    if survey.privacy == Survey.Privacy.NAMED:
        columns = [_("Response"), _("Submitted"), _("Last changed"), _("Name"), _("Profession")]
    elif survey.privacy == Survey.Privacy.PSEUDONYMOUS:
        columns = [_("Pseudonym")]
    return columns + [f"{q.code}: {q.text}" for q in questions]


# Up to this many responses (their answers are about ten times as many rows) an export is read at
# once, not through server-side cursors.
SMALL_EXPORT = CHUNK_SIZE // 10

# The order of the rows: pseudonymous and anonymous rows by their HMAC key (64 lowercase hex
# characters, which every collation orders as Python does), named rows by id (survey_id is the same
# on every row).
ORDER_KEY = {
    Survey.Privacy.NAMED: "survey_id",
    Survey.Privacy.PSEUDONYMOUS: "pseudonym",
    Survey.Privacy.ANONYMOUS: "edit_key",
}


def _merge_by_response(response_rows, answers, choices):
    """Walk three streams sorted by (order key, response id) together, yielding (response row, values by question)."""
    answers, choices = iter(answers), iter(choices)
    next_answer, next_choice = next(answers, None), next(choices, None)
    for row in response_rows:
        position = row[:2]
        values: dict[int, object] = {}
        while next_answer is not None and next_answer[:2] <= position:
            if next_answer[:2] == position:
                _key, _rid, question_id, number, text = next_answer
                values[question_id] = number if number is not None else text
            next_answer = next(answers, None)
        labels: dict[int, list[str]] = {}
        while next_choice is not None and next_choice[:2] <= position:
            if next_choice[:2] == position:
                labels.setdefault(next_choice[2], []).append(next_choice[3])
            next_choice = next(choices, None)
        for question_id, chosen in labels.items():
            values[question_id] = "; ".join(chosen)
        yield row, values


def _responses(survey_pk, key):
    return (
        Response.objects.filter(survey_id=survey_pk)
        .order_by(key, "id")
        .values_list(
            key, "id", "submitted_at", "updated_at", "pseudonym", "profession", "membership__person__full_name"
        )
    )


def _answers(survey_pk, key):
    return (
        Answer.objects.filter(response__survey_id=survey_pk)
        .order_by(f"response__{key}", "response_id", "question_id")
        .values_list(f"response__{key}", "response_id", "question_id", "number", "text")
    )


def _choices(survey_pk, key):
    return (
        Answer.choices.through.objects.filter(answer__response__survey_id=survey_pk)
        .order_by(
            f"answer__response__{key}", "answer__response_id", "answer__question_id", "choice__order", "choice_id"
        )
        .values_list(f"answer__response__{key}", "answer__response_id", "answer__question_id", "choice__label")
    )


# The three reads of each privacy, compiled once per process (common.compiled): compiling them cost
# more than reading a small survey's rows.
_READS = {
    privacy: (
        CompiledQuery(functools.partial(_responses, key=key), survey_pk=-7601),
        CompiledQuery(functools.partial(_answers, key=key), survey_pk=-7602),
        CompiledQuery(functools.partial(_choices, key=key), survey_pk=-7603),
    )
    for privacy, key in ORDER_KEY.items()
}


def rows(survey: Survey, *, responses: int | None = None) -> Iterator[list]:
    """Header first, then one neutralised row per response.

    Three flat queries (responses, answers, chosen labels) in the same order are read and merged, so
    no model objects are built. Read in chunks through server-side cursors, so that memory stays flat
    however many responses there are; at once where ``responses`` (their number, if the caller knows
    it) says they fit in one chunk, which saves the cursors' round trips.
    """
    questions = _questions(survey)
    yield [neutralise(c) for c in header(survey, questions)]
    chunk_size = None if responses is not None and responses <= SMALL_EXPORT else CHUNK_SIZE
    response_rows, answer_rows, choice_rows = (
        read.iterator(chunk_size, survey_pk=survey.pk) for read in _READS[survey.privacy]
    )
    named = survey.privacy == Survey.Privacy.NAMED
    pseudonymous = survey.privacy == Survey.Privacy.PSEUDONYMOUS
    question_ids = [q.pk for q in questions]
    for (_key, response_id, submitted, updated, pseudonym, profession, name), values in _merge_by_response(
        response_rows, answer_rows, choice_rows
    ):
        row = []
        if named:
            row = [
                response_id,
                timezone.localtime(submitted).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(updated).strftime("%Y-%m-%d %H:%M"),
                name or "",
                profession,
            ]
        elif pseudonymous:
            row = [pseudonym[:12]]
        row += [values.get(pk, "") for pk in question_ids]
        yield [neutralise(v) for v in row]


def filename(survey: Survey, extension: str) -> str:
    if survey.module_id is None:
        return f"survey-cohort{survey.cohort_id}-{survey.kind}.{extension}"
    return f"survey-cohort{survey.cohort_id}-module{survey.module.number}.{extension}"


def csv_response(survey: Survey, *, responses: int | None = None) -> StreamingHttpResponse:
    return spreadsheets.csv_response(rows(survey, responses=responses), filename(survey, "csv"))


def xlsx_write(survey: Survey, target) -> None:
    spreadsheets.xlsx_write(rows(survey), target, _("Responses"))


def xlsx_response(survey: Survey, *, responses: int | None = None) -> FileResponse:
    return spreadsheets.xlsx_response(rows(survey, responses=responses), filename(survey, "xlsx"), _("Responses"))
