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
