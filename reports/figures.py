"""Sections 3 to 7 of the report (attendance, PDSA, self-assessment, evaluation and follow-up,
projects) as HTML, drawn once per process for the same figures.

They are the report's charts and tables: most of the page's drawing, and the same from one request to
the next while the figures stay the same (the facilitators' key impacts and narrative, which they
edit on the page, are not among them). The HTML is a function of the figures in ``data``, the
language and whether it is for the PDF (``_report_figures.html`` reads nothing else), so it is kept
under a digest of exactly those: a change to any figure gives another key, and the old HTML is never
shown again. Each process keeps its own (no cache outage can touch the page), at most ``MAXSIZE``.
"""

from __future__ import annotations

import hashlib
import json

from django.template.loader import render_to_string
from django.utils.translation import get_language

from common.memo import Memo

from .charts import report_charts
from .selectors import template_titles

# Every key of the report's dict that _report_figures.html reads.
FIGURE_KEYS = (
    "min_group",
    "attendance",
    "pdsa",
    "self_assessment",
    "kirkpatrick",
    "practice",
    "follow_up",
    "projects",
    "set_reflections",
)
MAXSIZE = 32

_drawn = Memo(MAXSIZE)


def figures_digest(data: dict) -> str:
    figures = json.dumps([data.get(key) for key in FIGURE_KEYS], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(figures.encode()).hexdigest()


def figures_html(data: dict, *, pdf: bool) -> str:
    """Sections 3 to 7 of the report whose dict is ``data``: drawn, or as drawn before for the same figures."""
    key = (get_language(), pdf, figures_digest(data))

    def draw() -> str:
        context = {"data": data, "charts": report_charts(data), "titles": template_titles(), "pdf": pdf}
        return render_to_string("reports/partials/_report_figures.html", context)

    return _drawn.get_or_make(key, draw)


def figures_clear() -> None:
    _drawn.clear()
