"""Geometry for the server-rendered SVG charts; the markup is in templates/surveys/partials/."""

from dataclasses import dataclass


@dataclass(frozen=True)
class BarGeometry:
    label: str
    value: object  # what is written after the bar: a count, or a cell's words
    y: float
    width: float  # 0: no bar (a hidden figure has only its words)
    text_y: float
    value_x: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[BarGeometry]

    def values(self) -> dict:
        """The chart as plain values, as ``dataclasses.asdict`` gives them (a page's ``common.drawn``
        values), without its deep copy of every number."""
        return {
            "width": self.width,
            "height": self.height,
            "label_width": self.label_width,
            "bar_height": self.bar_height,
            "bars": [
                {
                    "label": b.label,
                    "value": b.value,
                    "y": b.y,
                    "width": b.width,
                    "text_y": b.text_y,
                    "value_x": b.value_x,
                }
                for b in self.bars
            ],
        }


def bars_layout(
    rows, *, scale: float, width: int, label_width: int, value_room: int, label_characters: int, bar_height=22, gap=8
) -> BarChart:
    """Horizontal bars, label on the left, value after the bar: the layout of every bar chart (survey
    answers here, the practice log and the impact report in evaluation). ``rows`` are (label, amount,
    value); a bar is ``amount / scale`` of the width the label and the value leave."""
    room = width - label_width - value_room
    bars = []
    for index, (label, amount, value) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        length = round(room * amount / scale, 1)
        bars.append(
            BarGeometry(
                label=label if len(label) <= label_characters else label[: label_characters - 1] + "…",
                value=value,
                y=y,
                width=max(length, 0),
                text_y=y + bar_height * 0.7,
                value_x=label_width + length + 6,
            )
        )
    return BarChart(width, gap + len(bars) * (bar_height + gap), label_width, bar_height, bars)


def bar_chart(bars, *, width: int = 560, label_width: int = 230) -> BarChart:
    """Survey answers: bars sized by share of answers (``bars`` have label, count and share), with their count."""
    rows = [(bar.label, bar.share, bar.count) for bar in bars]
    return bars_layout(rows, scale=1, width=width, label_width=label_width, value_room=70, label_characters=34)


@dataclass(frozen=True)
class LinePoint:
    x: float
    y: float
    label: str
    value: float


@dataclass(frozen=True)
class GridLine:
    y: float
    label: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    points: list[LinePoint]
    path: str
    grid: list[GridLine]
    x_labels: list[tuple[float, str]]

    def values(self) -> dict:
        """The chart as plain values, as ``dataclasses.asdict`` gives them, without its deep copy."""
        return {
            "width": self.width,
            "height": self.height,
            "points": [{"x": p.x, "y": p.y, "label": p.label, "value": p.value} for p in self.points],
            "path": self.path,
            "grid": [{"y": g.y, "label": g.label} for g in self.grid],
            "x_labels": [tuple(x_label) for x_label in self.x_labels],
        }


def line_chart(points, *, low: float, high: float, width: int = 480, height: int = 220) -> LineChart:
    """Values by module number (``points`` = [(number, value or None)]), on a fixed ``low``-``high`` axis."""
    left, right, top, bottom = 44, 16, 12, 32
    plot_w, plot_h = width - left - right, height - top - bottom
    numbers = [n for n, _v in points] or [1]
    first, last = min(numbers), max(numbers)
    span = max(last - first, 1)

    def x_of(n):
        return round(left + plot_w * (n - first) / span, 1)

    def y_of(v):
        return round(top + plot_h * (high - v) / (high - low), 1)

    drawn = [LinePoint(x_of(n), y_of(v), str(n), v) for n, v in points if v is not None]
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(drawn))
    steps = 4
    grid = [
        GridLine(y_of(low + (high - low) * i / steps), f"{low + (high - low) * i / steps:g}") for i in range(steps + 1)
    ]
    x_labels = [(x_of(n), str(n)) for n in numbers]
    return LineChart(width, height, drawn, path, grid, x_labels)
