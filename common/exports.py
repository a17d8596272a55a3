"""Spreadsheet downloads that stream in constant memory and are safe to open (shared by the survey,
participant and attendance exports).

Rows come from an iterator (the caller reads the database in chunks). CSV rows are written
straight to the HTTP response, with a byte-order mark so that Excel reads UTF-8; XLSX goes through
openpyxl's write-only mode into an anonymous temporary file that is streamed and removed on close.
Every cell passes ``neutralise`` so that no spreadsheet program reads it as a formula.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator

from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook

CHUNK_SIZE = 5000  # rows fetched per round trip by each export's queries
CSV_ROWS_PER_CHUNK = 500
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def neutralise(value):
    """Keep spreadsheet programs from reading a cell as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def neutralised(rows: Iterable[list]) -> Iterable[list]:
    for row in rows:
        yield [neutralise(value) for value in row]


def csv_chunks(rows: Iterable[list], rows_per_chunk: int = CSV_ROWS_PER_CHUNK) -> Iterator[str]:
    """The CSV text in pieces of ``rows_per_chunk`` rows: one piece per row made the server send a
    small packet per row (100,000 writes for 100,000 responses); memory stays flat."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so that Excel reads UTF-8
    for n, row in enumerate(rows, start=1):
        writer.writerow(row)
        if n % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    """``rows`` (already neutralised) as a streamed CSV download."""
    response = StreamingHttpResponse(csv_chunks(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_write(rows: Iterable[list], target, sheet_title: str) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    for row in rows:
        sheet.append(row)
    workbook.save(target)


def xlsx_response(rows: Iterable[list], filename: str, sheet_title: str) -> FileResponse:
    """``rows`` (already neutralised) as an XLSX download, built in a temporary file."""
    # An anonymous temporary file disappears when FileResponse closes it after streaming.
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    xlsx_write(rows, target, sheet_title)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def spreadsheet_response(fmt: str, rows: Iterable[list], filename_stem: str, sheet_title: str):
    """``fmt`` is "csv" or "xlsx" (the caller has checked it against ``FORMATS``)."""
    if fmt == "xlsx":
        return xlsx_response(rows, f"{filename_stem}.xlsx", sheet_title)
    return csv_response(rows, f"{filename_stem}.csv")
