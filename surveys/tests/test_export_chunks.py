"""The CSV export is sent in pieces of many rows (issue 14: one write per response was most of its
cost over the COPY floor); the pieces add up to exactly the rows ``exports.rows`` makes."""

import csv
import io

from common.exports import csv_chunks
from surveys import exports
from surveys.services import survey_close
from surveys.tests.factories import responses_bulk_create


def test_csv_pieces_hold_every_row_once_in_order(open_survey):
    responses_bulk_create(open_survey, 7)
    survey_close(survey=open_survey)
    expected = io.StringIO()
    writer = csv.writer(expected)
    for row in exports.rows(open_survey):
        writer.writerow(row)

    pieces = list(csv_chunks(exports.rows(open_survey), rows_per_chunk=3))

    assert len(pieces) == 3  # rows 1-3, 4-6, 7-8 (the header and 7 responses)
    assert "".join(pieces) == "\ufeff" + expected.getvalue()
    assert len(list(csv.reader(io.StringIO("".join(pieces).removeprefix("\ufeff"))))) == 8


def test_a_small_export_read_at_once_holds_the_rows_the_chunked_reads_hold(open_survey, django_assert_num_queries):
    """Up to SMALL_EXPORT responses the three reads run at once (one round trip each); more go through
    server-side cursors in chunks. Both give the same rows, in the same order."""
    responses_bulk_create(open_survey, 12)
    survey_close(survey=open_survey)

    chunked = list(exports.rows(open_survey))
    # Responses, answers and chosen labels (the questions: the set version's cached structure).
    with django_assert_num_queries(3):
        at_once = list(exports.rows(open_survey, responses=12))

    assert at_once == chunked
    assert len(at_once) == 13
    assert all("About right" in row for row in at_once[1:])


def test_a_large_export_is_read_in_chunks(open_survey, monkeypatch):
    """Over SMALL_EXPORT responses the reads go through cursors that fetch CHUNK_SIZE rows a time."""
    responses_bulk_create(open_survey, 7)
    survey_close(survey=open_survey)
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    monkeypatch.setattr(exports, "SMALL_EXPORT", 3)

    rows = list(exports.rows(open_survey, responses=7))

    assert rows == list(exports.rows(open_survey, responses=3))
    assert len(rows) == 8
