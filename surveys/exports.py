"""Streaming CSV and XLSX exports of a survey's responses, in constant memory.

Responses are read in chunks (``iterator(chunk_size=...)`` with their answers prefetched per
chunk). CSV rows are written straight to the HTTP response; XLSX goes through openpyxl's
write-only mode into an anonymous temporary file that is then streamed and removed on close.

Outside named mode a row carries only the answers and, for pseudonymous surveys, the pseudonym that
pairs a person's answers across modules. The facilitator knows everyone's profession and sees who
has answered when, so the rest would put a name on the row: no submission times, no response ids
(rows are in pseudonym order), and no profession. Pooling small professions per survey is not
enough once the pseudonym links the exports of several modules: a pseudonym shown as "Medicine"
where three doctors answered and as "Other professions" where one did is that one doctor. Results by
profession, pooled, are on the results page, where no pseudonym links them.
"""

import csv
import io
import tempfile
from collections.abc import Iterator

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from .models import Answer, Question, Response, Survey

CHUNK_SIZE = 5000  # rows fetched per round trip, in each of the three streams
CSV_ROWS_PER_CHUNK = 500
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """Keep spreadsheet programs from reading a cell as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def _questions(survey: Survey) -> list[Question]:
    return list(survey.question_set.questions.order_by("order", "id"))


def header(survey: Survey, questions: list[Question]) -> list[str]:
    columns = []
    if survey.privacy == Survey.Privacy.NAMED:
        columns = [_("Response"), _("Submitted"), _("Last changed"), _("Name"), _("Profession")]
    elif survey.privacy == Survey.Privacy.PSEUDONYMOUS:
        columns = [_("Pseudonym")]
    return columns + [f"{q.code}: {q.text}" for q in questions]


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


def rows(survey: Survey) -> Iterator[list]:
    """Header first, then one neutralised row per response.

    Three flat queries (responses, answers, chosen labels) in the same order are read in chunks and
    merged, so memory stays flat however many responses there are and no model objects are built.
    """
    questions = _questions(survey)
    yield [neutralise(c) for c in header(survey, questions)]
    key = ORDER_KEY[survey.privacy]
    responses = (
        Response.objects.filter(survey=survey)
        .order_by(key, "id")
        .values_list(
            key, "id", "submitted_at", "updated_at", "pseudonym", "profession", "membership__person__full_name"
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    answers = (
        Answer.objects.filter(response__survey=survey)
        .order_by(f"response__{key}", "response_id", "question_id")
        .values_list(f"response__{key}", "response_id", "question_id", "number", "text")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    choices = (
        Answer.choices.through.objects.filter(answer__response__survey=survey)
        .order_by(
            f"answer__response__{key}", "answer__response_id", "answer__question_id", "choice__order", "choice_id"
        )
        .values_list(f"answer__response__{key}", "answer__response_id", "answer__question_id", "choice__label")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    named = survey.privacy == Survey.Privacy.NAMED
    pseudonymous = survey.privacy == Survey.Privacy.PSEUDONYMOUS
    question_ids = [q.pk for q in questions]
    for (_key, response_id, submitted, updated, pseudonym, profession, name), values in _merge_by_response(
        responses, answers, choices
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


def csv_chunks(survey: Survey, rows_per_chunk: int = CSV_ROWS_PER_CHUNK) -> Iterator[str]:
    """The CSV text in pieces of ``rows_per_chunk`` rows: one piece per row made the server send a
    small packet per response (100,000 writes for 100,000 responses); memory stays flat."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so that Excel reads UTF-8
    for n, row in enumerate(rows(survey), start=1):
        writer.writerow(row)
        if n % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(survey: Survey) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_chunks(survey), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(survey, "csv")}"'
    return response


def xlsx_write(survey: Survey, target) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Responses")[:31])
    for row in rows(survey):
        sheet.append(row)
    workbook.save(target)


def xlsx_response(survey: Survey) -> FileResponse:
    # An anonymous temporary file disappears when FileResponse closes it after streaming.
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    xlsx_write(survey, target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=filename(survey, "xlsx"), content_type=XLSX_TYPE)
