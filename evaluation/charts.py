"""Geometry of the practice log's server-rendered SVG bar charts (markup: templates/evaluation/partials/).

The same style as the survey charts (surveys/charts.py): horizontal bars, label on the left, value
on the right. A hidden cell gets no bar, only its words ("fewer than 3" or "not shown"), so the
chart never shows more than the table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BarGeometry:
    label: str
    value: str
    y: float
    width: float
    text_y: float
    value_x: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[BarGeometry]


LABEL_CHARACTERS = 30


def bar_chart(cells, *, width: int = 520, label_width: int = 220, bar_height: int = 22, gap: int = 8) -> BarChart:
    """Bars for ``cells`` (label, shown, moments, display), sized by moments against the largest shown cell."""
    room = width - label_width - 110
    largest = max((cell.moments for cell in cells if cell.shown), default=0) or 1
    bars = []
    for index, cell in enumerate(cells):
        y = gap + index * (bar_height + gap)
        length = round(room * cell.moments / largest, 1) if cell.shown else 0.0
        label = cell.label if len(cell.label) <= LABEL_CHARACTERS else cell.label[: LABEL_CHARACTERS - 1] + "…"
        bars.append(
            BarGeometry(
                label=label,
                value=cell.display,
                y=y,
                width=length,
                text_y=y + bar_height * 0.7,
                value_x=label_width + length + 6,
            )
        )
    return BarChart(width, gap + len(cells) * (bar_height + gap), label_width, bar_height, bars)
