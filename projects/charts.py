"""Geometry of a run chart drawn as server-side SVG (pure Python; the template draws it).

Points are spaced evenly in time order, as on a paper run chart; dates label the x axis.
Signals are shown by shape as well as colour: a square for a shift, a triangle for a trend,
a diamond for an astronomical point, a circle otherwise.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass

from . import runchart

WIDTH = 720
HEIGHT = 320
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 24, 64


@dataclass(frozen=True)
class Marker:
    date: datetime.date
    label: str
    title: str


def _nice_step(span, ticks=5):
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _format(value):
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.3g}"


def _shape(rules):
    if runchart.ASTRONOMICAL in rules:
        return "diamond"
    if runchart.SHIFT in rules:
        return "square"
    if runchart.TREND in rules:
        return "triangle"
    return "circle"


def _shape_points(shape, x, y, size=6):
    if shape == "triangle":
        return f"{x:.1f},{y - size:.1f} {x + size:.1f},{y + size * 0.8:.1f} {x - size:.1f},{y + size * 0.8:.1f}"
    if shape == "diamond":
        half = size + 1
        return f"{x:.1f},{y - half:.1f} {x + half:.1f},{y:.1f} {x:.1f},{y + half:.1f} {x - half:.1f},{y:.1f}"
    return ""


def run_chart_layout(
    *,
    dates: Sequence[datetime.date],
    values: Sequence[float],
    analysis: runchart.RunChartAnalysis,
    baseline_mask: Sequence[bool],
    markers: Sequence[Marker] = (),
) -> dict:
    """Everything the SVG template needs, in pixel coordinates."""
    count = len(values)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    layout = {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
              "bottom": HEIGHT - BOTTOM, "points": [], "markers": [], "y_ticks": [], "x_labels": [],
              "median_y": None, "polyline": "", "baseline_end_x": None, "empty": count == 0,
              "tick_x": LEFT - 8, "unit_x": LEFT - 48, "unit_y": TOP + (HEIGHT - TOP - BOTTOM) // 2,
              "marker_label_y": TOP + 10, "date_label_y": HEIGHT - 4}  # fmt: skip
    if not count:
        return layout
    floats = [float(v) for v in values]
    low = min([*floats, analysis.median if analysis.median is not None else floats[0]])
    high = max([*floats, analysis.median if analysis.median is not None else floats[0]])
    if high == low:
        low, high = low - 1, high + 1
    step = _nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step

    def x_at(index):
        return LEFT + (plot_w * (index + 0.5) / count)

    def y_at(value):
        return TOP + plot_h * (1 - (value - low) / (high - low))

    tick = low
    while tick <= high + step / 1000:
        layout["y_ticks"].append({"y": round(y_at(tick), 1), "label": _format(round(tick, 6))})
        tick += step
    label_every = max(1, math.ceil(count / 12))
    marks: dict[int, set] = {}
    if analysis.enough_data:
        for signal in analysis.signals:
            for index in signal.indices:
                marks.setdefault(index, set()).add(signal.rule)
    for index, date in enumerate(dates):
        rules = marks.get(index, set())
        shape = _shape(rules)
        x, y = x_at(index), y_at(floats[index])
        layout["points"].append(
            {
                "x": round(x, 1),
                "y": round(y, 1),
                "date": date,
                "value": values[index],
                "shape": shape,
                "polygon": _shape_points(shape, x, y),
                "sq_x": round(x - 5, 1),
                "sq_y": round(y - 5, 1),
                "rules": sorted(rules),
                "in_baseline": baseline_mask[index],
            }
        )
        if index % label_every == 0:
            layout["x_labels"].append({"x": round(x, 1), "y": HEIGHT - BOTTOM + 14, "label": date})
    layout["polyline"] = " ".join(f"{p['x']},{p['y']}" for p in layout["points"])
    if analysis.median is not None:
        layout["median_y"] = round(y_at(analysis.median), 1)
        last_baseline = max((i for i, keep in enumerate(baseline_mask) if keep), default=count - 1)
        layout["baseline_end_x"] = round(x_at(last_baseline) + plot_w / count / 2, 1)
        layout["median_label"] = _format(round(analysis.median, 3))
        layout["median_label_y"] = round(layout["median_y"] - 5, 1)
    for marker in markers:
        position = _date_position(dates, marker.date)
        if position is None:
            continue
        layout["markers"].append(
            {
                "x": round(LEFT + plot_w * (position + 0.5) / count, 1),
                "text_x": round(LEFT + plot_w * (position + 0.5) / count + 3, 1),
                "label": marker.label,
                "title": marker.title,
            }
        )
    return _as_text(layout)


_COORDINATES = {
    "x",
    "y",
    "sq_x",
    "sq_y",
    "text_x",
    "width",
    "height",
    "left",
    "right",
    "top",
    "bottom",
    "median_y",
    "baseline_end_x",
    "median_label_y",
    "tick_x",
    "unit_x",
    "unit_y",
    "marker_label_y",
    "date_label_y",
}


def _as_text(layout):
    """Coordinates as plain strings: the template prints hundreds of them, and numbers would
    each go through Django's number localisation (slow, and a locale could add separators)."""

    def convert(mapping):
        return {
            key: (f"{value:g}" if key in _COORDINATES and isinstance(value, int | float) else value)
            for key, value in mapping.items()
        }

    layout = convert(layout)
    for key in ("points", "markers", "y_ticks", "x_labels"):
        layout[key] = [convert(item) for item in layout[key]]
    return layout


def _date_position(dates, date):
    """Fractional index of ``date`` among the chart's dates (None outside the chart)."""
    if not dates or date < dates[0] or date > dates[-1]:
        return None
    for index in range(len(dates) - 1):
        start, end = dates[index], dates[index + 1]
        if start <= date <= end:
            span = (end - start).days or 1
            return index + (date - start).days / span
    return float(len(dates) - 1)
