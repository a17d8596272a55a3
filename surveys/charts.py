"""Geometry for the server-rendered SVG charts; the markup is in templates/surveys/partials/."""

from dataclasses import dataclass


@dataclass(frozen=True)
class BarGeometry:
    label: str
    count: int
    share: float
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


def bar_chart(bars, *, width: int = 560, label_width: int = 230, bar_height: int = 22, gap: int = 8) -> BarChart:
    """Horizontal bars sized by share of answers; ``bars`` have label, count and share."""
    room = width - label_width - 70
    rows = []
    for i, bar in enumerate(bars):
        y = gap + i * (bar_height + gap)
        length = round(room * bar.share, 1)
        rows.append(
            BarGeometry(
                label=bar.label if len(bar.label) <= 34 else bar.label[:33] + "…",
                count=bar.count,
                share=bar.share,
                y=y,
                width=max(length, 0),
                text_y=y + bar_height * 0.7,
                value_x=label_width + length + 6,
            )
        )
    height = gap + len(bars) * (bar_height + gap)
    return BarChart(width, height, label_width, bar_height, rows)


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
