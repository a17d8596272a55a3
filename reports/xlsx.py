"""The data behind the report as a spreadsheet: a sheet per section, from the same dict as the page.

Every text cell goes through ``surveys.exports.neutralise`` (a text starting with =, +, -, @ is
not read as a formula); a suppressed count is its words ("fewer than 3"), never a number.
"""

from __future__ import annotations

import io
import json

import openpyxl
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from common.exports import XLSX_TYPE, neutralise

from . import downloads
from .selectors import section_titles

__all__ = ["XLSX_TYPE", "report_xlsx"]

BOLD = Font(bold=True)


def _count(value):
    """A count cell: the number, or the suppression's words."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return value["value"] if value["value"] is not None else value["display"]
    return value


def _sheet(sheets: list, title: str, header: list[str], rows) -> None:
    sheets.append((title[:31], [neutralise(h) for h in header], [[neutralise(v) for v in row] for row in rows]))


def _bold(sheet, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = BOLD
    return cell


def _workbook(sheets: list) -> bytes:
    # Write-only: each row is written as it is appended, instead of kept as cell objects to the end.
    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title)
        sheet.freeze_panes = "A2"  # before the first row: a write-only sheet writes its view first
        sheet.append([_bold(sheet, h) for h in header])
        for row in rows:
            sheet.append(row)
    target = io.BytesIO()
    workbook.save(target)
    return target.getvalue()


def _summary_rows(data):
    c, s = data["cohort"], data["summary"]
    yield _("Programme"), c["programme"]
    yield _("Cohort"), c["name"]
    yield _("Commissioner"), c["commissioner"]
    yield _("Provider"), c["provider"]
    yield _("Start date"), c["start_date"]
    yield _("End date"), c["end_date"] or ""
    yield _("Report status"), data["status"]
    yield _("Published"), data["published_at"] or ""
    yield _("Published by"), data["published_by"]
    yield _("Participants (active)"), s["participants"]
    yield _("Participants who withdrew"), _count(s["withdrawn_cell"])
    for row in s["professions"]:
        yield _("Participants: %(profession)s") % {"profession": row["label"]}, _count(row["count"])
    for f in s["facilitators"]:
        yield _("Facilitator"), f"{f['name']}, {f['job_title'] or f['role']}"


def _change_cells(change):
    if change["suppressed"]:
        return [_("not shown (fewer than %(n)s pairs)") % {"n": 3}, "", "", "", "", "", "", "", ""]
    return [
        change["n_pairs"],
        change["mean_change"],
        change["median_change"],
        _count(change["improved"]),
        _count(change["same"]),
        _count(change["declined"]),
        change["p_value"],
        change["p_method"],
        change["effect_size"],
    ]


def _self_assessment_rows(data):
    for dimension in data["self_assessment"]["dimensions"]:
        for row, level in [(dimension, _("dimension"))] + [(item, _("item")) for item in dimension["items"]]:
            yield [
                dimension["label"],
                level,
                row["label"],
                row["pre"],
                row["then"],
                row["post"],
                *_change_cells(row["post_pre"]),
                *_change_cells(row["post_then"]),
            ]


def _level_rows(section):
    for group in section.get("groups", []):
        for question in group["questions"]:
            distribution = "; ".join(f"{bar['label']}: {_count(bar['count'])}" for bar in question["bars"])
            yield [
                group["name"],
                question["code"],
                question["text"],
                _count(question["answered"]),
                question["score"],
                question["score_kind"],
                distribution,
            ]


def report_xlsx(data: dict, *, stamp=None) -> bytes:
    """The spreadsheet's bytes: a sheet per section, each with a bold header row kept in view.

    The rows are exactly what the file shows: it is written only when no file of these rows is in the
    cache; with the report's ``stamp`` the rows are made only then (``reports.downloads``)."""

    def sources() -> list:
        return [openpyxl.__version__, json.dumps(_sheets(data))]

    return downloads.file_cached("xlsx", sources, lambda sources: _workbook(json.loads(sources[1])), stamp=stamp)


def _sheets(data: dict) -> list:
    """Each sheet's title, header and rows."""
    titles = section_titles()
    sheets: list = []
    _sheet(sheets, titles["summary"], [_("Item"), _("Value")], _summary_rows(data))
    _sheet(
        sheets,
        titles["key-impacts"],
        [_("Order"), _("Key impact"), _("Evidence")],
        ([n, k["text"], k["evidence_label"]] for n, k in enumerate(data["key_impacts"], start=1)),
    )
    attendance = data["attendance"]
    attendance_rows = [
        [m["number"], m["title"], m["date"], m["delivered"], _count(m["present"]), m["percent"]]
        for m in attendance["modules"]
    ]
    attendance_rows.append(
        [
            _("Completed (present at %(n)s or more modules)") % {"n": attendance["completion_modules"]},
            "",
            "",
            "",
            _count(attendance["completed"]),
            attendance["completed_percent"],
        ]
    )
    _sheet(
        sheets,
        _("Attendance"),
        [_("Module"), _("Title"), _("Date"), _("Delivered"), _("Present"), _("Present (%)")],
        attendance_rows,
    )
    headline_labels = [h["label"] for h in (data["pdsa"][0]["headline"] if data["pdsa"] else [])]
    _sheet(
        sheets,
        _("PDSA"),
        [
            _("Module"),
            _("Title"),
            _("Invited"),
            _("Responded"),
            _("Response rate (%)"),
            *headline_labels,
            _("Facilitators' reading"),
            _("Changes made for the next module"),
            _("Scores in the next module"),
        ],
        (
            [
                e["number"],
                e["title"],
                e["invited"],
                _count(e["responded"]),
                e["response_rate"],
                *[h["value"] for h in e["headline"]],
                e["study"],
                " | ".join(e["changes"]),
                "; ".join(f"{m['label']}: {m['before']} → {m['after']}" for m in e["moves"]),
            ]
            for e in data["pdsa"]
        ),
    )
    comparison_header = [
        _("pairs"),
        _("mean change"),
        _("median change"),
        _("improved"),
        _("same"),
        _("declined"),
        _("p-value (Wilcoxon)"),
        _("p-value method"),
        _("effect size r"),
    ]
    _sheet(
        sheets,
        _("Self-assessment"),
        [_("Dimension"), _("Row"), _("Label"), _("Pre mean"), _("Then mean"), _("Post mean")]
        + [_("Post − pre: %(c)s") % {"c": h} for h in comparison_header]
        + [_("Post − then: %(c)s") % {"c": h} for h in comparison_header],
        _self_assessment_rows(data),
    )
    level_header = [_("Level"), _("Code"), _("Question"), _("Answered"), _("Score"), _("Score kind"), _("Answers")]
    _sheet(sheets, _("Evaluation"), level_header, _level_rows(data["kirkpatrick"]))
    practice = data["practice"]
    practice_rows = []
    if practice["visible"]:
        practice_rows.append([_("All moments"), _("Total"), practice["total"]])
        practice_rows.append([_("Participants who logged"), _("Share (%)"), practice["share_percent"] or ""])
        for breakdown in practice["breakdowns"]:
            for c in breakdown["cells"]:
                value = c["value"] if c["value"] is not None else c["display"]
                practice_rows.append([breakdown["title"], c["label"], value])
    else:
        practice_rows.append([_("Fewer than 3 participants logged a practice moment: no counts shown."), "", ""])
    _sheet(sheets, _("Practice log"), [_("Breakdown"), _("Category"), _("Moments")], practice_rows)
    _sheet(sheets, _("Follow-up"), level_header, _level_rows(data["follow_up"]))
    _sheet(
        sheets,
        titles["projects"],
        [
            _("Project"),
            _("Set"),
            _("Area"),
            _("Aim"),
            _("Status"),
            _("Progress score"),
            _("Meaning"),
            _("Key measure"),
            _("Signals"),
        ],
        (
            [
                p["title"],
                p["set"],
                p["area"],
                p["aim"],
                p["status"],
                p["progress_score"] or "",
                p["progress_meaning"],
                p["measure"]["name"] if p["measure"] else "",
                "; ".join(f"{f['label']}: {f['text']}" for f in p["measure"]["findings"]) if p["measure"] else "",
            ]
            for p in data["projects"]
        ),
    )
    _sheet(
        sheets,
        _("Run chart data"),
        [_("Project"), _("Measure"), _("Date"), _("Value"), _("Baseline"), _("Signals")],
        (
            [p["title"], p["measure"]["name"], row["date"], row["value"], row["baseline"], ", ".join(row["signals"])]
            for p in data["projects"]
            if p["measure"]
            for row in p["measure"]["rows"]
        ),
    )
    _sheet(
        sheets,
        titles["quotes"],
        [_("Quote"), _("Attribution"), _("Source")],
        ([q["text"], q["attribution"], q["source"]] for q in data["quotes"]),
    )
    _sheet(
        sheets,
        _("Narrative"),
        [_("Part"), _("Text")],
        [
            [_("Limitations"), data["narrative"]["limitations"]],
            [_("Recommendations"), data["narrative"]["recommendations"]],
        ]
        + [[_("Set reflection: %(set)s") % {"set": r["set"]}, r["text"]] for r in data["set_reflections"]],
    )
    return sheets
