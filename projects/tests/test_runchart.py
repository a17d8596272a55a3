"""Run-chart rules on textbook series. Pure function: no database needed."""

import itertools
from collections import Counter

import pytest

from projects import runchart
from projects.runchart import analyse, runs_limits

# Twelve baseline points varying around 50 (median 50, four runs of mixed lengths).
NOISY_BASELINE = [48, 52, 47, 53, 49, 51, 46, 54, 50.5, 49.5, 52.5, 47.5]


def test_analyse_too_few_points_reports_not_enough_data():
    result = analyse([10, 12, 11, 30, 31, 32, 33, 34, 35])

    assert result.enough_data is False
    assert result.useful_observations == 8  # the median (31) itself is not useful
    assert result.signals == ()


def test_analyse_points_on_median_are_not_useful_observations():
    # 13 points but 5 of them on the median: only 8 useful, so no rules.
    values = [5, 5, 5, 5, 5, 1, 9, 1, 9, 1, 9, 1, 9]
    result = analyse(values)

    assert result.median == 5
    assert result.useful_observations == 8
    assert result.enough_data is False
    assert result.signals == ()


def test_analyse_empty_baseline_reports_not_enough_data():
    result = analyse([1, 2, 3], baseline=[False, False, False])

    assert result.median is None
    assert result.enough_data is False


def test_analyse_detects_clear_shift_against_baseline_median():
    values = [*NOISY_BASELINE, 58, 61, 59, 62, 60, 63, 59]
    result = analyse(values, baseline=12)

    assert result.median == 50.0
    assert len(result.shifts) == 1
    shift = result.shifts[0]
    assert shift.direction == "up"
    assert shift.indices == tuple(range(12, 19))
    assert runchart.SHIFT in result.rules_at(15)
    assert runchart.SHIFT not in result.rules_at(3)


def test_analyse_five_on_one_side_is_not_a_shift():
    values = [*NOISY_BASELINE, 58, 61, 59, 62, 60, 45]
    result = analyse(values, baseline=12)

    assert result.enough_data is True
    assert result.shifts == []


def test_analyse_point_on_median_neither_breaks_nor_counts_in_shift():
    # Five above, one on the median, one more above: a shift of six useful points.
    values = [*NOISY_BASELINE, 55, 56, 57, 55, 56, 50, 57, 44]
    result = analyse(values, baseline=12)

    assert len(result.shifts) == 1
    assert result.shifts[0].indices == (12, 13, 14, 15, 16, 18)
    assert 17 not in result.shifts[0].indices


def test_analyse_five_on_one_side_plus_point_on_median_is_not_a_shift():
    values = [*NOISY_BASELINE, 55, 56, 57, 55, 50, 56, 44]
    result = analyse(values, baseline=12)

    assert result.shifts == []


def test_analyse_detects_clear_trend_down():
    values = [*NOISY_BASELINE, 60, 56, 52, 49, 45, 52]
    result = analyse(values, baseline=12)

    trends = result.trends
    assert len(trends) == 1
    assert trends[0].direction == "down"
    assert trends[0].indices == (12, 13, 14, 15, 16)


def test_analyse_four_steps_of_five_points_make_a_trend_but_four_points_do_not():
    four = analyse([*NOISY_BASELINE, 40, 45, 50.2, 55], baseline=12)
    five = analyse([*NOISY_BASELINE, 40, 45, 50.2, 55, 56], baseline=12)

    assert [t for t in four.trends if t.indices[0] >= 12] == []
    assert [t.indices for t in five.trends if t.direction == "up" and t.indices[-1] == 16] == [(12, 13, 14, 15, 16)]


def test_analyse_repeated_values_neither_make_nor_break_a_trend():
    # 40, 45, 45, 50.2, 55: only four different values going up -> no trend.
    tie_no_trend = analyse([*NOISY_BASELINE, 40, 45, 45, 50.2, 55, 30], baseline=12)
    # 40, 45, 45, 50.2, 55, 56: five different values going up -> a trend; the tie is marked too.
    tie_trend = analyse([*NOISY_BASELINE, 40, 45, 45, 50.2, 55, 56], baseline=12)

    assert [t for t in tie_no_trend.trends if t.indices[0] >= 12 and t.direction == "up"] == []
    late = [t for t in tie_trend.trends if t.indices[0] >= 12 and t.direction == "up"]
    assert late[0].indices == (12, 13, 14, 15, 16, 17)


def test_analyse_detects_too_few_runs():
    values = [10, 11, 12, 10, 11, 12, 10, 11, 12, 10, 30, 31, 32, 30, 31, 32, 30, 31, 32, 30]
    result = analyse(values)

    assert result.runs == 2
    assert result.runs_lower == 7  # 20 useful observations: 6 runs or fewer is too few (P = 0.019)
    assert result.too_few_runs is True
    assert result.too_many_runs is False


def test_analyse_detects_too_many_runs():
    values = [10, 30] * 10
    result = analyse(values)

    assert result.runs == 20
    assert result.too_many_runs is True
    assert result.too_few_runs is False


def test_analyse_random_looking_series_has_no_signal():
    values = [50, 52, 53, 47, 49, 55, 51, 48, 46, 54, 56, 49, 47, 53, 48, 45]
    result = analyse(values)

    assert result.enough_data is True
    assert result.signals == ()


def test_analyse_single_spike_is_astronomical():
    values = [*NOISY_BASELINE, 51, 95, 49, 52]
    result = analyse(values, baseline=12)

    assert result.astronomical == [13]
    assert runchart.ASTRONOMICAL in result.rules_at(13)


def test_analyse_sustained_shift_is_not_astronomical():
    values = [*NOISY_BASELINE, 90, 91, 92, 90, 91, 92]
    result = analyse(values, baseline=12)

    assert result.astronomical == []
    assert len(result.shifts) == 1


def test_analyse_high_point_at_the_end_of_a_shift_is_not_astronomical():
    # Outside the baseline limits, but only a small step from its neighbour in the shift.
    values = [32, 29, 26, 44, 27, 48, 31, 38, 26, 16, 32, 28, 21, 31, 24, 38, 81, 69, 78, 84, 78, 73, 63, 80]
    result = analyse(values, baseline=12)

    assert result.astronomical == []
    assert result.shifts[0].indices == tuple(range(15, 24))


def test_analyse_flat_baseline_has_no_astronomical_limits():
    result = analyse([5, 5, 5, 5, 1, 9, 1, 9, 1, 9, 1, 9, 1, 9, 1], baseline=4)

    assert result.astronomical_limits is None
    assert result.astronomical == []


def test_analyse_baseline_mask_selects_median_points():
    result = analyse([1, 2, 3, 100, 200], baseline=[True, True, True, False, False])

    assert result.median == 2
    assert result.baseline_size == 3


def test_analyse_rejects_mask_of_wrong_length():
    with pytest.raises(ValueError, match="one flag per value"):
        analyse([1, 2, 3], baseline=[True])


def _runs_limits_by_enumeration(useful):
    """Every arrangement of the points above/below the median, counted one by one."""
    above = useful // 2
    counts = Counter()
    for positions in itertools.combinations(range(useful), above):
        sides = [i in positions for i in range(useful)]
        counts[1 + sum(a != b for a, b in itertools.pairwise(sides))] += 1
    total = sum(counts.values())
    cumulative, lower = 0, None
    for runs in sorted(counts):
        cumulative += counts[runs]
        if cumulative / total > 0.025:
            lower = runs
            break
    cumulative, upper = 0, None
    for runs in sorted(counts, reverse=True):
        cumulative += counts[runs]
        if cumulative / total > 0.025:
            upper = runs
            break
    return lower, upper


@pytest.mark.parametrize("useful", [10, 11, 12, 13, 14, 15, 16, 17, 20])
def test_runs_limits_equal_a_brute_force_count_of_every_arrangement(useful):
    assert runs_limits(useful) == _runs_limits_by_enumeration(useful)


def test_runs_limits_beyond_exact_range_are_close_to_exact():
    exact = runchart.runs_limits_calculated(300)
    approximated = runchart.runs_limits_approximated(300)
    assert abs(exact[0] - approximated[0]) <= 1
    assert abs(exact[1] - approximated[1]) <= 1
    lower, upper = runs_limits(100)
    assert 40 < lower < 50 < upper < 62
