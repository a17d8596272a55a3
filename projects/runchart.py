"""Run-chart rules (IHI / NHS England ACT Academy), as a pure function: no Django here.

``analyse(values, baseline=...)`` takes the data in time order and returns the median of
the baseline and the non-random signals found against it. Conventions, so that anyone can
check a chart by hand:

* **Median**: the median of the baseline points (all points when no baseline is given).
  The rules are applied to every point against that median.
* **Useful observations**: points not exactly on the median. With fewer than
  ``MIN_USEFUL_OBSERVATIONS`` (10) the rules are not applied at all and the chart says
  "not enough data for the rules" rather than show a false signal.
* **Shift**: 6 or more consecutive points on the same side of the median. A point on the
  median neither breaks a shift nor counts towards it.
* **Trend**: 5 or more consecutive points all going up or all going down. Following the
  IHI convention, when successive points have the same value only the first counts: a
  repeated value neither adds to a trend nor breaks it (its points are still marked).
* **Runs**: a run is a series of useful observations on one side of the median; the number
  of runs is the number of median crossings + 1. "Too few" runs means fewer than the lower
  limit, "too many" more than the upper limit. The limits come from the exact distribution
  of the number of runs (Swed & Eisenhart 1943) for the useful observations split 50:50,
  with 2.5% risk on each side: the method behind the published tables (Perla, Provost &
  Murray, BMJ Qual Saf 2011), computed rather than typed in, so every limit can be checked;
  printed tables round some rows differently by one run. Beyond 300 points a normal
  approximation is used (within one run of the exact limits).
* **Astronomical point**: the IHI leaves this to judgement ("obviously different"); here a
  point is astronomical when (a) it lies outside baseline median ± 3.14 × the median moving
  range of the baseline (Wheeler's limits from the median moving range, robust to the
  outlier itself) and (b) it is isolated: the jump from each neighbour exceeds the upper
  range limit, 3.865 × the median moving range. So a one-off value is flagged, while a
  point inside a sustained shift (reported by the shift rule) is not. No point is
  astronomical when the baseline's moving ranges are all zero.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from math import comb

MIN_USEFUL_OBSERVATIONS = 10
SHIFT_LENGTH = 6
TREND_LENGTH = 5
ASTRONOMICAL_FACTOR = 3.14
MOVING_RANGE_FACTOR = 3.865
RUNS_TAIL_RISK = 0.025

SHIFT = "shift"
TREND = "trend"
ASTRONOMICAL = "astronomical"
TOO_FEW_RUNS = "too_few_runs"
TOO_MANY_RUNS = "too_many_runs"


@dataclass(frozen=True)
class Signal:
    rule: str
    indices: tuple[int, ...]
    direction: str = ""  # "up" or "down" for shifts, trends and astronomical points


@dataclass(frozen=True)
class RunChartAnalysis:
    median: float | None
    baseline_size: int
    useful_observations: int
    enough_data: bool
    runs: int | None = None
    runs_lower: int | None = None
    runs_upper: int | None = None
    astronomical_limits: tuple[float, float] | None = None
    signals: tuple[Signal, ...] = field(default_factory=tuple)

    def of_rule(self, rule):
        return [signal for signal in self.signals if signal.rule == rule]

    @property
    def shifts(self):
        return self.of_rule(SHIFT)

    @property
    def trends(self):
        return self.of_rule(TREND)

    @property
    def astronomical(self):
        return [i for signal in self.of_rule(ASTRONOMICAL) for i in signal.indices]

    @property
    def too_few_runs(self):
        return bool(self.of_rule(TOO_FEW_RUNS))

    @property
    def too_many_runs(self):
        return bool(self.of_rule(TOO_MANY_RUNS))

    def rules_at(self, index):
        """The point-level rules (shift, trend, astronomical) that mark point ``index``."""
        return {s.rule for s in self.signals if s.rule in (SHIFT, TREND, ASTRONOMICAL) and index in s.indices}


def analyse(values: Sequence[float], *, baseline: int | Sequence[bool] | None = None) -> RunChartAnalysis:
    """Analyse a series in time order.

    ``baseline`` is the number of leading points that form the baseline, or a mask with one
    flag per value, or ``None`` for all points.
    """
    values = [float(v) for v in values]
    if baseline is None:
        mask = [True] * len(values)
    elif isinstance(baseline, int):
        mask = [i < baseline for i in range(len(values))]
    else:
        mask = list(baseline)
        if len(mask) != len(values):
            raise ValueError("the baseline mask needs one flag per value")
    baseline_values = [v for v, keep in zip(values, mask, strict=True) if keep]
    if not baseline_values:
        return RunChartAnalysis(median=None, baseline_size=0, useful_observations=0, enough_data=False)
    median = statistics.median(baseline_values)
    sides = [_side(v, median) for v in values]
    useful = sum(1 for s in sides if s)
    if useful < MIN_USEFUL_OBSERVATIONS:
        return RunChartAnalysis(
            median=median, baseline_size=len(baseline_values), useful_observations=useful, enough_data=False
        )
    runs = _count_runs(sides)
    lower, upper = runs_limits(useful)
    signals = [*_shifts(sides), *_trends(values)]
    if runs < lower:
        signals.append(Signal(TOO_FEW_RUNS, ()))
    if runs > upper:
        signals.append(Signal(TOO_MANY_RUNS, ()))
    limits = _astronomical_limits(baseline_values, median)
    if limits:
        signals.extend(_astronomical(values, limits, baseline_values))
    return RunChartAnalysis(
        median=median,
        baseline_size=len(baseline_values),
        useful_observations=useful,
        enough_data=True,
        runs=runs,
        runs_lower=lower,
        runs_upper=upper,
        astronomical_limits=limits,
        signals=tuple(signals),
    )


def _side(value, median):
    return (value > median) - (value < median)


def _count_runs(sides):
    useful = [s for s in sides if s]
    return 1 + sum(1 for a, b in itertools.pairwise(useful) if a != b)


def _shifts(sides):
    signals = []
    current, side = [], 0
    for index, s in enumerate([*sides, None]):
        if s == 0:
            continue  # on the median: neither breaks nor counts
        if s != side:
            if len(current) >= SHIFT_LENGTH:
                signals.append(Signal(SHIFT, tuple(current), "up" if side > 0 else "down"))
            current, side = [], s
        if s is not None:
            current.append(index)
    return signals


def _trends(values):
    # Collapse repeated values: like values neither make nor break a trend.
    groups = []  # (value, [indices])
    for index, value in enumerate(values):
        if groups and groups[-1][0] == value:
            groups[-1][1].append(index)
        else:
            groups.append((value, [index]))
    signals = []
    for direction, step in (("up", 1), ("down", -1)):
        start = 0
        for end in range(1, len(groups) + 1):
            if end < len(groups) and (groups[end][0] - groups[end - 1][0]) * step > 0:
                continue
            # groups[start:end] all go one way; groups[end] (if any) does not continue them.
            if end - start >= TREND_LENGTH:
                indices = tuple(i for _, members in groups[start:end] for i in members)
                signals.append(Signal(TREND, indices, direction))
            start = end
    signals.sort(key=lambda s: s.indices[0])
    return signals


def _median_moving_range(baseline_values):
    moving_ranges = [abs(b - a) for a, b in itertools.pairwise(baseline_values)]
    if not moving_ranges:
        return 0.0
    return statistics.median(moving_ranges) or statistics.fmean(moving_ranges)


def _astronomical_limits(baseline_values, median):
    spread = _median_moving_range(baseline_values)
    if not spread:
        return None
    return (median - ASTRONOMICAL_FACTOR * spread, median + ASTRONOMICAL_FACTOR * spread)


def _astronomical(values, limits, baseline_values):
    low, high = limits
    jump = MOVING_RANGE_FACTOR * _median_moving_range(baseline_values)
    signals = []
    for index, value in enumerate(values):
        side = (value > high) - (value < low)
        if not side:
            continue
        neighbours = [values[i] for i in (index - 1, index + 1) if 0 <= i < len(values)]
        if all(abs(value - other) > jump for other in neighbours):
            signals.append(Signal(ASTRONOMICAL, (index,), "up" if side > 0 else "down"))
    return signals


EXACT_UP_TO = 300


def runs_limits(useful_observations: int) -> tuple[int, int]:
    """(lower, upper): fewer runs than ``lower`` are too few, more than ``upper`` too many."""
    if useful_observations > EXACT_UP_TO:
        return runs_limits_approximated(useful_observations)
    return runs_limits_calculated(useful_observations)


def runs_limits_approximated(useful_observations: int) -> tuple[int, int]:
    """Normal approximation of the runs distribution, for very long series (the exact sums
    grow slow with huge integers); it agrees with the exact limits within one run at 300."""
    n1 = useful_observations // 2
    n2 = useful_observations - n1
    n = useful_observations
    mean = 2 * n1 * n2 / n + 1
    sd = math.sqrt(2 * n1 * n2 * (2 * n1 * n2 - n) / (n * n * (n - 1)))
    return math.ceil(mean - 1.96 * sd), math.floor(mean + 1.96 * sd)


@lru_cache(maxsize=256)
def runs_limits_calculated(useful_observations: int) -> tuple[int, int]:
    """Limits from the exact distribution of the number of runs (50:50 split, 2.5% a side)."""
    n1 = useful_observations // 2
    n2 = useful_observations - n1
    total = comb(useful_observations, n1)

    def probability(runs):
        if runs % 2 == 0:
            k = runs // 2
            return 2 * comb(n1 - 1, k - 1) * comb(n2 - 1, k - 1)
        k = (runs - 1) // 2
        return comb(n1 - 1, k) * comb(n2 - 1, k - 1) + comb(n1 - 1, k - 1) * comb(n2 - 1, k)

    cumulative, lower = 0, 2
    for runs in range(2, useful_observations + 1):
        cumulative += probability(runs)
        if cumulative / total > RUNS_TAIL_RISK:
            lower = runs
            break
    cumulative, upper = 0, useful_observations
    for runs in range(useful_observations, 1, -1):
        cumulative += probability(runs)
        if cumulative / total > RUNS_TAIL_RISK:
            upper = runs
            break
    return lower, upper
