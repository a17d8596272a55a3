"""Paired change, the Wilcoxon signed-rank test, the rank-biserial effect size and their wording.

Pure functions: no database. Every expected figure is worked out here by hand or by brute force
over sign patterns, or taken from a published worked example, never from scipy itself.
"""

import dataclasses
import itertools
import math
import re
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import analysis, wording
from evaluation.analysis import (
    Comparison,
    PairedChange,
    PValueMethod,
    Suppressed,
    analyse_dimensions,
    analyse_items,
    paired_change,
)
from surveys import disclosure

# Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, 3rd ed. (Wiley 2014), Example 3.1:
# Hamilton depression scale factor IV of 9 patients at the first visit (x) and at the second visit,
# after a tranquilliser (y). The same data are the example on R's wilcox.test help page.
# Printed there: T+ = 40 (the sum of the ranks of the positive x - y) and the exact upper-tail
# probability P0(T+ >= 40) = .020 (R: "V = 40, p-value = 0.01953" for alternative = "greater").
HW_FIRST_VISIT = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
HW_SECOND_VISIT = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
HW_PAIRS = list(zip(HW_FIRST_VISIT, HW_SECOND_VISIT, strict=True))

# 17 pairs: 13 improved (8 by one point, 4 by two, 1 by three), 3 stayed the same, 1 declined by one.
SEVENTEEN = [(3, 4)] * 8 + [(2, 4)] * 4 + [(2, 5)] + [(3, 3)] * 3 + [(4, 3)]


def _midranks(values):
    """Average ranks of ``values`` (1-based), written out independently of the code under test."""
    ordered = sorted(values)
    return [
        (ordered.index(v) + 1 + len(ordered) - ordered[::-1].index(v)) / 2  # first and last position of v
        for v in values
    ]


def _exact_two_sided_p(differences):
    """Two-sided p over all 2**n sign patterns of the non-zero differences (ranks fixed)."""
    nonzero = [d for d in differences if d != 0]
    ranks = _midranks([abs(d) for d in nonzero])
    observed = sum(r for r, d in zip(ranks, nonzero, strict=True) if d > 0)
    totals = [
        sum(r for r, positive in zip(ranks, signs, strict=True) if positive)
        for signs in itertools.product([True, False], repeat=len(nonzero))
    ]
    upper = sum(1 for t in totals if t >= observed) / len(totals)
    lower = sum(1 for t in totals if t <= observed) / len(totals)
    return min(1.0, 2 * min(upper, lower))


def test_min_group_is_the_surveys_constant():
    # One rule, one owner: the evaluation never shows a smaller group than survey results do.
    assert analysis.MIN_GROUP is disclosure.MIN_GROUP
    assert analysis.MIN_GROUP == 3


def test_paired_change_matches_hollander_wolfe_example_3_1():
    result = paired_change(HW_PAIRS, comparison=Comparison.POST_PRE)

    # Our differences are later - earlier = y - x, so their T+ (ranks of x - y > 0) is our W-.
    assert result.test.w_minus == 40
    assert result.test.w_plus == 5
    assert result.test.n == 9
    assert result.test.method == PValueMethod.EXACT
    assert round(result.test.p_value / 2, 3) == 0.020  # the printed one-sided probability
    assert round(result.test.p_value / 2, 5) == 0.01953  # R's printed value
    assert result.test.p_value == pytest.approx(20 / 512)  # 10 of 512 sign patterns reach T+ >= 40, both tails
    assert result.test.p_value == pytest.approx(_exact_two_sided_p([y - x for x, y in HW_PAIRS]))
    assert (result.improved, result.same, result.declined) == (2, 0, 7)


def test_rank_biserial_hand_computed():
    # Differences +2, +1, +1, -1, 0, +3. The zero is dropped (zero_method="wilcox"); |d| = 1, 1, 1
    # share ranks 1-3 (2 each), 2 has rank 4, 3 has rank 5: W+ = 4 + 2 + 2 + 5 = 13, W- = 2.
    result = paired_change([(3, 5), (2, 3), (3, 4), (4, 3), (4, 4), (1, 4)], comparison=Comparison.POST_PRE)

    assert (result.test.w_plus, result.test.w_minus) == (13, 2)
    assert result.effect_size == pytest.approx((13 - 2) / 15)
    assert result.test.n == 5
    assert (result.improved, result.same, result.declined) == (4, 1, 1)
    assert result.mean_change == pytest.approx(6 / 6)
    assert result.median_change == 1.0


def test_rank_biserial_hollander_wolfe_hand_computed():
    result = paired_change(HW_PAIRS, comparison=Comparison.POST_PRE)

    # W+ = 5, W- = 40 (ranks 2 and 3 are the two increases): r = (5 - 40) / 45.
    assert result.effect_size == pytest.approx(-35 / 45)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_paired_change_under_three_pairs_is_suppressed(n):
    result = paired_change([(2, 4), (3, 5)][:n], comparison=Comparison.POST_THEN)

    assert isinstance(result, Suppressed)
    assert result.suppressed is True
    assert result.comparison == Comparison.POST_THEN
    # The marker carries no figure at all, not even the number of pairs.
    assert [f.name for f in dataclasses.fields(result)] == ["comparison"]


def test_paired_change_three_pairs_is_shown():
    result = paired_change([(2, 4), (3, 5), (3, 3)], comparison=Comparison.POST_PRE)

    assert isinstance(result, PairedChange)
    assert result.suppressed is False
    assert result.n_pairs == 3


def test_paired_change_with_ties_and_zeros_uses_corrected_normal_approximation():
    result = paired_change(SEVENTEEN, comparison=Comparison.POST_PRE)

    assert (result.n_pairs, result.improved, result.same, result.declined) == (17, 13, 3, 1)
    assert result.test.n == 14  # the three zeros are left out of the test
    assert result.test.method == PValueMethod.NORMAL
    # |d| = 1 nine times (ranks 1-9, 5 each), 2 four times (ranks 10-13, 11.5 each), 3 once (rank 14).
    assert (result.test.w_plus, result.test.w_minus) == (8 * 5 + 4 * 11.5 + 14, 5)
    n = 14
    variance = n * (n + 1) * (2 * n + 1) / 24 - ((9**3 - 9) + (4**3 - 4)) / 48  # tie correction
    z = (100 - n * (n + 1) / 4 - 0.5) / math.sqrt(variance)  # continuity correction towards the mean
    assert result.test.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert result.effect_size == pytest.approx(95 / 105)
    assert result.mean_change == pytest.approx((8 + 8 + 3 - 1) / 17)
    assert result.median_change == 1.0


def test_paired_change_few_tied_pairs_never_below_smallest_exact_p():
    # Five people each up one point: the normal approximation says p = 0.037, but no arrangement of
    # five signs can be rarer than 2 in 32 (both tails), so the p-value is held at 0.0625.
    result = paired_change([(3, 4)] * 5 + [(4, 4)] * 2, comparison=Comparison.POST_PRE)

    assert result.test.method == PValueMethod.NORMAL
    assert result.test.p_value == pytest.approx(_exact_two_sided_p([1] * 5)) == pytest.approx(2 / 32)
    assert result.test.p_value >= analysis.ALPHA
    assert result.is_clear is False


def test_paired_change_untied_after_dropping_zeros_is_exact():
    pairs = [(1, 2), (1, 3), (1, 4), (1, 5), (4, 4), (3, 3)]  # +1 +2 +3 +4 and two zeros
    result = paired_change(pairs, comparison=Comparison.POST_PRE)

    assert result.test.method == PValueMethod.EXACT
    assert result.test.n == 4
    assert result.test.p_value == pytest.approx(_exact_two_sided_p([1, 2, 3, 4])) == pytest.approx(2 / 16)


def test_paired_change_all_equal_does_not_crash():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's division-by-zero or NaN warnings would fail here
        result = paired_change([(4, 4), (2, 2), (5, 5), (3, 3)], comparison=Comparison.POST_PRE)

    assert (result.n_pairs, result.improved, result.same, result.declined) == (4, 0, 4, 0)
    assert result.test.method == PValueMethod.NONE
    assert result.test.p_value == 1.0
    assert result.effect_size == 0.0
    assert result.mean_change == 0.0
    assert result.median_change == 0.0
    assert not math.isnan(result.test.p_value)


def test_paired_change_dimension_means_do_not_split_ties_by_rounding():
    # Three-item dimension means, each one point apart, but in floating point
    # 7/3 - 4/3 = 1.0000000000000002 and 10/3 - 13/3 = -0.9999999999999996.
    pairs = [((1 + 1 + 2) / 3, (2 + 2 + 3) / 3), ((4 + 4 + 5) / 3, (3 + 3 + 4) / 3), (2, 3), (1, 2)]
    result = paired_change(pairs, comparison=Comparison.POST_PRE)

    # Four tied ranks of 2.5, not ranks 1 to 4 in the order of the rounding errors.
    assert (result.test.w_plus, result.test.w_minus) == (7.5, 2.5)
    assert result.test.method == PValueMethod.NORMAL
    assert result.median_change == 1.0


RATINGS = {
    # pseudonym: {item: {phase: rating}}; d1 has items a and b, d2 has item c.
    "p1": {"a": {"pre": 2, "then": 2, "post": 4}, "b": {"pre": 3, "then": 2, "post": 4}, "c": {"pre": 3, "post": 3}},
    "p2": {"a": {"pre": 3, "then": 2, "post": 3}, "b": {"pre": 3, "then": 3, "post": 5}, "c": {"pre": 4, "post": 4}},
    "p3": {"a": {"pre": 4, "then": 3, "post": 4}, "b": {"pre": 2, "then": 2, "post": 3}, "c": {"pre": 2}},
    # p4 skipped b after the programme, so has no d1 score after it; its item a still counts.
    "p4": {"a": {"pre": 1, "then": 1, "post": 3}, "b": {"pre": 2, "then": 2}, "c": {"pre": 1, "post": 2}},
}
ITEM_DIMENSIONS = {"a": "d1", "b": "d1", "c": "d2"}


def test_analyse_dimensions_uses_complete_persons_and_their_item_means():
    results = analyse_dimensions(RATINGS, ITEM_DIMENSIONS)

    assert [r.dimension for r in results] == ["d1", "d2"]
    d1 = results[0]
    assert d1.item_codes == ("a", "b")
    post_pre = d1.changes[Comparison.POST_PRE]
    # p1: 2.5 -> 4.0 (+1.5); p2: 3.0 -> 4.0 (+1.0); p3: 3.0 -> 3.5 (+0.5); p4 incomplete.
    assert post_pre.n_pairs == 3
    assert post_pre.mean_change == pytest.approx(1.0)
    assert post_pre.median_change == pytest.approx(1.0)
    assert (post_pre.improved, post_pre.same, post_pre.declined) == (3, 0, 0)
    assert (post_pre.test.w_plus, post_pre.test.w_minus) == (6, 0)
    assert post_pre.effect_size == 1.0
    post_then = d1.changes[Comparison.POST_THEN]
    # p1: 2.0 -> 4.0 (+2.0); p2: 2.5 -> 4.0 (+1.5); p3: 2.5 -> 3.5 (+1.0).
    assert post_then.mean_change == pytest.approx(1.5)
    # d2: three complete pairs before/after (p3 skipped c after the programme); nobody rated c "then".
    assert results[1].changes[Comparison.POST_PRE].n_pairs == 3
    assert results[1].changes[Comparison.POST_THEN].suppressed is True


def test_analyse_items_pairs_each_item_separately():
    results = {r.item_code: r for r in analyse_items(RATINGS, ITEM_DIMENSIONS)}

    assert list(results) == ["a", "b", "c"]
    assert results["a"].dimension == "d1"
    item_a = results["a"].changes[Comparison.POST_PRE]
    assert item_a.n_pairs == 4  # p4's answer to a counts although p4 skipped b
    assert (item_a.improved, item_a.same, item_a.declined) == (2, 2, 0)
    assert item_a.median_change == 1.0
    assert results["b"].changes[Comparison.POST_PRE].n_pairs == 3
    assert results["c"].changes[Comparison.POST_PRE].suppressed is False
    assert results["c"].changes[Comparison.POST_THEN].suppressed is True


@settings(max_examples=60, deadline=None, database=None)
@given(
    pairs=st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=3, max_size=25),
    data=st.data(),
)
def test_paired_change_properties(pairs, data):
    result = paired_change(pairs, comparison=Comparison.POST_PRE)
    differences = [later - earlier for earlier, later in pairs]

    assert -1.0 <= result.effect_size <= 1.0
    assert 0.0 <= result.test.p_value <= 1.0
    # The matched-pairs rank-biserial is the balance of positive over negative Walsh averages
    # (d_i + d_j) / 2, i <= j, over the non-zero differences: its sign is the direction of the
    # Hodges-Lehmann median change.
    nonzero = [d for d in differences if d]
    walsh = [nonzero[i] + nonzero[j] for i in range(len(nonzero)) for j in range(i, len(nonzero))]
    positive, negative = sum(w > 0 for w in walsh), sum(w < 0 for w in walsh)
    expected = (positive - negative) / len(walsh) if walsh else 0.0
    assert result.effect_size == pytest.approx(expected)
    # Turning every pair round mirrors the effect and keeps the p-value.
    mirrored = paired_change([(b, a) for a, b in pairs], comparison=Comparison.POST_PRE)
    assert mirrored.effect_size == pytest.approx(-result.effect_size)
    assert mirrored.test.p_value == pytest.approx(result.test.p_value)
    # The order of participants makes no difference at all.
    shuffled = paired_change(data.draw(st.permutations(pairs)), comparison=Comparison.POST_PRE)
    assert shuffled == result


# Wording ---------------------------------------------------------------------------------------


def test_effect_size_label_thresholds():
    labels = [wording.effect_size_label(r) for r in (0.05, 0.1, 0.29, 0.3, 0.49, 0.5, 1.0, -0.6)]

    assert labels == ["negligible", "small", "small", "medium", "medium", "large", "large", "large"]


def test_describe_change_clear_increase():
    result = paired_change(SEVENTEEN, comparison=Comparison.POST_PRE)

    sentence = wording.describe_change(result, subject="engaging the team")

    assert sentence.startswith("With 17 pairs, self-ratings of engaging the team were higher after the programme")
    assert "median change +1.0; 13 improved, 3 stayed the same, 1 declined" in sentence
    assert re.search(r"Wilcoxon signed-rank p = 0\.00\d; effect size r = 0\.90, large", sentence)
    assert "significant" not in sentence.lower()


def test_describe_change_not_clear_small_group_says_little_either_way():
    result = paired_change([(3, 4), (3, 4), (3, 2), (4, 4), (3, 5)], comparison=Comparison.POST_THEN)

    sentence = wording.describe_change(result, subject="holding to account")

    assert sentence.startswith("With 5 pairs, ")
    assert "no clear evidence of change" in sentence
    assert "says little either way" in sentence
    assert "significant" not in sentence.lower()
    assert "higher" not in sentence
    assert "large" not in sentence  # no size label on an unclear result
    assert result.test.p_value == pytest.approx(0.3447, abs=1e-4)
    assert "p = 0.345," in sentence  # rounded, not cut off after three decimals


def test_describe_change_not_clear_larger_group_does_not_rule_out_change():
    pairs = [(3, 4)] * 6 + [(4, 3)] * 5 + [(3, 3)] * 4
    result = paired_change(pairs, comparison=Comparison.POST_PRE)

    sentence = wording.describe_change(result, subject="sharing the vision")

    assert result.test.p_value >= analysis.ALPHA
    assert sentence.startswith("With 15 pairs, ")
    assert "no clear evidence of change" in sentence
    assert "does not rule out a change too small to show with 15 pairs" in sentence
    assert "significant" not in sentence.lower()


def test_describe_change_clear_decrease():
    pairs = [(4, 3)] * 7 + [(5, 3)]
    result = paired_change(pairs, comparison=Comparison.POST_THEN)

    sentence = wording.describe_change(result, subject="leading with care")

    assert "were lower after the programme than" in sentence
    assert "median change −1.0" in sentence
    assert "r = −1.00, large" in sentence


def test_describe_change_nobody_changed():
    result = paired_change([(4, 4)] * 4, comparison=Comparison.POST_PRE)

    sentence = wording.describe_change(result, subject="evaluating information")

    assert sentence == (
        "With 4 pairs, no one's self-rating of evaluating information changed between before and after the programme."
    )


def test_describe_change_suppressed_gives_no_figures():
    result = paired_change([(2, 5), (3, 5)], comparison=Comparison.POST_PRE)

    sentence = wording.describe_change(result, subject="engaging the team")

    assert "Fewer than 3 pairs" in sentence
    assert re.findall(r"\d", sentence) == ["3"]


def test_interpretation_notes_name_the_design_limits():
    notes = " ".join(str(note) for note in wording.INTERPRETATION_NOTES)

    assert "no comparison group" in notes
    assert "response shift" in notes
