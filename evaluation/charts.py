"""Geometry of the practice log's server-rendered SVG bar charts (markup: templates/evaluation/partials/).

The bars are laid out as the survey charts are (``surveys.charts.bars_layout``): horizontal bars,
label on the left, value on the right. A hidden cell gets no bar, only its words ("fewer than 3" or
"not shown"), so the chart never shows more than the table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from surveys.charts import BarChart, bars_layout


def bar_chart(cells, *, width: int = 520, label_width: int = 220) -> BarChart:
    """Bars for ``cells`` (label, shown, moments, display), sized by moments against the largest shown cell."""
    largest = max((cell.moments for cell in cells if cell.shown), default=0) or 1
    rows = [(cell.label, cell.moments if cell.shown else 0, cell.display) for cell in cells]
    return bars_layout(rows, scale=largest, width=width, label_width=label_width, value_room=110, label_characters=30)


# -- the self-assessment's levels: pre, then and post per dimension, on the 1-5 scale ----------


@dataclass(frozen=True)
class LevelMarker:
    """One phase's mean on one row. ``shape`` is what tells the phases apart, not only the colour."""

    phase: str
    shape: str  # "circle" (pre), "square" (then), "diamond" (post)
    x: float
    y: float
    points: str = ""  # the diamond's corners
    corner_x: float = 0.0  # the square's top left corner
    corner_y: float = 0.0


@dataclass(frozen=True)
class LevelRow:
    label: str
    y: float
    text_y: float
    markers: list[LevelMarker]


@dataclass(frozen=True)
class ScaleTick:
    value: int
    x: float


@dataclass(frozen=True)
class LevelChart:
    width: int
    height: int
    label_width: int
    plot_right: int
    axis_y: float
    ticks: list[ScaleTick]
    rows: list[LevelRow]


SHAPES = {"pre": "circle", "then": "square", "post": "diamond"}
MARKER_SIZE = 6


def level_chart(rows, *, low: int = 1, high: int = 5, width: int = 640, label_width: int = 250, row_height: int = 28):
    """Markers for each row's pre, then and post means (``rows`` have label, pre, then, post levels
    or None); a suppressed comparison's markers are left out, as its figures are in the table."""
    plot_left, plot_right = label_width + 10, width - 20

    def x_of(value: float) -> float:
        return round(plot_left + (value - low) / (high - low) * (plot_right - plot_left), 1)

    chart_rows = []
    for index, row in enumerate(rows):
        y = 10 + index * row_height + row_height / 2
        markers = []
        for phase in ("pre", "then", "post"):
            level = getattr(row, phase)
            if level is None:
                continue
            x = x_of(level.mean)
            points = ""
            if SHAPES[phase] == "diamond":
                s = MARKER_SIZE + 1
                points = f"{x},{y - s} {x + s},{y} {x},{y + s} {x - s},{y}"
            markers.append(
                LevelMarker(
                    phase=phase,
                    shape=SHAPES[phase],
                    x=x,
                    y=y,
                    points=points,
                    corner_x=x - MARKER_SIZE + 1,
                    corner_y=y - MARKER_SIZE + 1,
                )
            )
        label = row.label if len(row.label) <= 36 else row.label[:35] + "…"
        chart_rows.append(LevelRow(label=label, y=y, text_y=y + 4, markers=markers))
    axis_y = 10 + len(rows) * row_height + 6
    ticks = [ScaleTick(value=v, x=x_of(v)) for v in range(low, high + 1)]
    return LevelChart(width, int(axis_y + 24), label_width, plot_right, axis_y, ticks, chart_rows)
