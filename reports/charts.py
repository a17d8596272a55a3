"""Chart geometry of the report, computed from the report's dict (live or the published snapshot),
with the helpers the evaluation and survey pages use. The SVG markup is in
templates/reports/partials/ and uses presentation attributes only, so that the page and the PDF
(WeasyPrint) draw the same vectors; each chart has a title, a description and a table beside it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from types import SimpleNamespace

from django.utils.translation import gettext as _

from evaluation.charts import bar_chart, level_chart
from surveys.charts import line_chart


@dataclass(frozen=True)
class _Cell:
    label: str
    shown: bool
    moments: float
    display: str


def attendance_chart(attendance: dict):
    """Participants present at each delivered module, as bars (suppressed modules have no bar)."""
    cells = [
        _Cell(
            label=_("Module %(n)s") % {"n": m["number"]},
            shown=m["present"]["value"] is not None,
            moments=m["present"]["value"] or 0,
            display=m["present"]["display"] + (f" ({m['percent']}%)" if m["percent"] is not None else ""),
        )
        for m in attendance["modules"]
        if m["delivered"]
    ]
    return bar_chart(cells, width=560, label_width=110) if cells else None


def practice_chart(breakdown: dict):
    cells = [
        _Cell(label=c["label"], shown=c["value"] is not None, moments=c["value"] or 0, display=c["display"])
        for c in breakdown["cells"]
    ]
    return bar_chart(cells, width=600, label_width=250) if cells else None


def headline_charts(pdsa: list[dict]) -> list[dict]:
    """One line a headline score across modules 1-5 (1-5 means; the NPS on its own -100..100 scale)."""
    if not pdsa or not pdsa[0]["headline"]:
        return []
    charts = []
    for index, first in enumerate(pdsa[0]["headline"]):
        points = [(entry["number"], entry["headline"][index]["value"]) for entry in pdsa if entry["headline"]]
        if not any(value is not None for _n, value in points):
            continue
        low, high = (-100, 100) if first["kind"] == "nps" else (1, 5)
        chart = line_chart(points, low=low, high=high)
        charts.append({"code": first["code"], "label": first["label"], "kind": first["kind"], "chart": chart})
    return charts


def _level(value):
    return None if value is None else SimpleNamespace(mean=value)


def self_assessment_chart(self_assessment: dict):
    rows = [
        SimpleNamespace(label=d["label"], pre=_level(d["pre"]), then=_level(d["then"]), post=_level(d["post"]))
        for d in self_assessment["dimensions"]
    ]
    return level_chart(rows) if rows else None


def run_chart(measure: dict | None) -> dict | None:
    """A project's run chart in the shape projects' run-chart partial takes: the report's dict (and a
    published snapshot) keeps the layout's dates as ISO strings, the partial formats dates."""
    if not measure or not measure["rows"]:
        return None
    layout = measure["layout"]
    return {
        **layout,
        "points": [{**p, "date": datetime.date.fromisoformat(p["date"])} for p in layout["points"]],
        "x_labels": [{**x, "label": datetime.date.fromisoformat(x["label"])} for x in layout["x_labels"]],
    }


def report_charts(data: dict) -> dict:
    return {
        "projects": [(project, run_chart(project["measure"])) for project in data["projects"]],
        "attendance": attendance_chart(data["attendance"]),
        "headlines": headline_charts(data["pdsa"]),
        "self_assessment": self_assessment_chart(data["self_assessment"]),
        "practice": [{"breakdown": b, "chart": practice_chart(b)} for b in data["practice"].get("breakdowns", [])],
    }
