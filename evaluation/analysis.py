"""Paired change in leadership self-ratings (pre, then, post), as pure functions: no ORM here.

Input: ``ratings`` = {pseudonym: {item code: {"pre": x, "then": y, "post": z}}} (a phase missing or
``None`` means not answered) and ``item_dimensions`` = {item code: dimension code}, in the order the
results should come in. Conventions, so that anyone can check a figure by hand:

* **Pairs**: a person counts for a comparison (post − pre, or post − then) when they rated both
  phases. The difference is later − earlier, so a positive change is a higher self-rating after
  the programme. Differences are rounded to 9 decimals first: dimension means such as 7/3 − 4/3
  would otherwise differ in the last bit and be ranked apart although they are tied (scipy's own
  documentation warns of this).
* **Dimension score**: a person's score for a dimension in a phase is the mean of their ratings of
  the dimension's items, and they count only if they rated *every* item of the dimension in both
  phases compared. With two or three items a dimension, a partial score would be one item standing
  in for the dimension, and a person who skipped different items before and after would be
  compared on different questions. The self-assessment items are required, so this loses few.
  ``item_dimensions`` should list only the items asked in both surveys compared.
* **Counts and location**: improved / stayed the same / declined, the mean and the median change
  are over all pairs, zeros included.
* **Test**: the two-sided Wilcoxon signed-rank test, ``scipy.stats.wilcoxon`` with
  ``zero_method="wilcox"``: pairs with no change are left out of the ranking (Wilcoxon 1945; the
  convention of Hollander & Wolfe's textbook and of R's ``wilcox.test``), so ``test.n`` is the
  number of pairs that changed and every figure can be checked by hand or in R. Pratt's method
  (ranking the zeros, then dropping their ranks) is the more conservative one when many people
  stayed the same; that is why the "stayed the same" count always stands beside the p-value.
  The p-value is exact (the null distribution of W over all 2**n sign patterns of the changes)
  when fewer than 50 pairs changed and no two changes tie in size. Zeros do not prevent this:
  once they are left out, the changes' ranks are fixed and under "no change" each sign is a fair
  coin, so the exact distribution for n is the right one. With ties (rating scales give them
  nearly always) it is the normal approximation with the tie correction and a continuity
  correction, as R's ``wilcox.test(later, earlier, paired = TRUE)`` prints it. With few pairs
  that approximation can come out too small: no exact test on n changes can give less than
  2 / 2**n (the observed signs and their mirror image, each of probability 1 / 2**n), so a smaller
  approximate p is raised to that bound, which is always nearer the exact value. No adjustment for
  testing many items at once.
* **Effect size**: the matched-pairs rank-biserial correlation r = (W+ − W−) / (W+ + W−) from the
  same signed ranks as the test, zeros left out as in the test (Kerby 2014, "The simple
  difference formula", Comprehensive Psychology 3: 11.IT.3.1). It runs from −1 (everyone who
  changed went down) to +1 (everyone who changed went up); 0 when nobody changed.
* **Suppression**: a comparison with fewer than ``MIN_GROUP`` pairs gives ``Suppressed``, which
  holds no figure at all, not even the number of pairs.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from scipy import stats

# The surveys app owns the rule "no group under 3 is shown"; the evaluation follows the same rule.
from surveys.disclosure import MIN_GROUP

__all__ = [
    "ALPHA",
    "MIN_GROUP",
    "Comparison",
    "DimensionResult",
    "ItemResult",
    "PValueMethod",
    "PairedChange",
    "Phase",
    "SignedRankTest",
    "Suppressed",
    "analyse_dimensions",
    "analyse_items",
    "paired_change",
    "signed_rank_test",
]

# Conventional 5% two-sided level below which a change is called clear (no multiplicity correction).
ALPHA = 0.05
# As in R's wilcox.test, so that its output checks ours.
EXACT_BELOW = 50
DECIMALS = 9


class Phase(models.TextChoices):
    PRE = "pre", _("before the programme")
    THEN = "then", _("looking back, before the programme")
    POST = "post", _("after the programme")


class Comparison(models.TextChoices):
    POST_PRE = "post_pre", _("after compared with before")
    POST_THEN = "post_then", _("after compared with looking back")

    @property
    def phases(self) -> tuple[Phase, Phase]:
        """(earlier, later)."""
        return {Comparison.POST_PRE: (Phase.PRE, Phase.POST), Comparison.POST_THEN: (Phase.THEN, Phase.POST)}[self]


class PValueMethod(models.TextChoices):
    EXACT = "exact", _("exact")
    NORMAL = "normal", _("normal approximation")
    NONE = "none", _("no change to test")


@dataclass(frozen=True)
class SignedRankTest:
    n: int  # pairs that changed: the zeros are left out
    w_plus: float
    w_minus: float
    p_value: float
    method: PValueMethod

    @property
    def rank_biserial(self) -> float:
        total = self.w_plus + self.w_minus
        return (self.w_plus - self.w_minus) / total if total else 0.0

    @property
    def smallest_possible_p(self) -> float:
        """The smallest two-sided p-value any arrangement of signs of ``n`` changes could give."""
        return _smallest_possible_p(self.n)


@dataclass(frozen=True)
class PairedChange:
    comparison: Comparison
    n_pairs: int
    mean_change: float
    median_change: float
    improved: int
    same: int
    declined: int
    test: SignedRankTest

    suppressed = False

    @property
    def effect_size(self) -> float:
        return self.test.rank_biserial

    @property
    def p_value(self) -> float:
        return self.test.p_value

    @property
    def is_clear(self) -> bool:
        """Whether the change is unlikely by chance alone at the conventional 5% level."""
        return self.test.p_value < ALPHA


@dataclass(frozen=True)
class Suppressed:
    """Fewer than ``MIN_GROUP`` pairs: nothing about the group may be shown."""

    comparison: Comparison

    suppressed = True


@dataclass(frozen=True)
class ItemResult:
    item_code: str
    dimension: str
    changes: Mapping[Comparison, PairedChange | Suppressed]


@dataclass(frozen=True)
class DimensionResult:
    dimension: str
    item_codes: tuple[str, ...]
    changes: Mapping[Comparison, PairedChange | Suppressed]


def _smallest_possible_p(n: int) -> float:
    return min(1.0, 2.0 ** (1 - n))  # 2 / 2**n, without overflowing for large n


def _signed_rank_sums(nonzero: Sequence[float]) -> tuple[float, float]:
    """W+ and W−: sums of the average ranks of |d| of the positive and the negative differences."""
    order = sorted(range(len(nonzero)), key=lambda i: abs(nonzero[i]))
    ranks = [0.0] * len(nonzero)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and abs(nonzero[order[end + 1]]) == abs(nonzero[order[start]]):
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1  # tied values share their average rank
        start = end + 1
    w_plus = math.fsum(r for r, d in zip(ranks, nonzero, strict=True) if d > 0)
    w_minus = math.fsum(r for r, d in zip(ranks, nonzero, strict=True) if d < 0)
    return w_plus, w_minus


def signed_rank_test(differences: Iterable[float]) -> SignedRankTest:
    """Two-sided Wilcoxon signed-rank test of ``differences`` (later − earlier) against no change."""
    nonzero = [d for d in differences if d != 0]
    n = len(nonzero)
    if not n:
        # Nothing changed: scipy would return NaN (or warn); the only possible W is 0, whose
        # exact two-sided probability is 1.
        return SignedRankTest(n=0, w_plus=0.0, w_minus=0.0, p_value=1.0, method=PValueMethod.NONE)
    w_plus, w_minus = _signed_rank_sums(nonzero)
    tied = len({abs(d) for d in nonzero}) < n
    method = PValueMethod.EXACT if n < EXACT_BELOW and not tied else PValueMethod.NORMAL
    result = stats.wilcoxon(
        nonzero,
        zero_method="wilcox",
        correction=True,  # used by the normal approximation only
        alternative="two-sided",
        method="exact" if method == PValueMethod.EXACT else "asymptotic",
    )
    p_value = min(1.0, float(result.pvalue))
    if method == PValueMethod.NORMAL:
        p_value = max(p_value, _smallest_possible_p(n))
    return SignedRankTest(n=n, w_plus=w_plus, w_minus=w_minus, p_value=p_value, method=method)


def paired_change(pairs: Iterable[tuple[float, float]], *, comparison: Comparison) -> PairedChange | Suppressed:
    """Change from the first to the second value of each (earlier, later) pair."""
    differences = [round(later - earlier, DECIMALS) + 0.0 for earlier, later in pairs]  # + 0.0: no -0.0
    if len(differences) < MIN_GROUP:
        return Suppressed(comparison=comparison)
    return PairedChange(
        comparison=comparison,
        n_pairs=len(differences),
        mean_change=math.fsum(differences) / len(differences),  # fsum: the order of people cannot matter
        median_change=float(statistics.median(differences)),
        improved=sum(1 for d in differences if d > 0),
        same=sum(1 for d in differences if d == 0),
        declined=sum(1 for d in differences if d < 0),
        test=signed_rank_test(differences),
    )


def _rating(answers: Mapping, item_code: str, phase: Phase) -> float | None:
    value = (answers.get(item_code) or {}).get(phase)
    if value is None or isinstance(value, bool) or not math.isfinite(value):
        return None
    return float(value)


def _pairs(ratings: Mapping, item_codes: Sequence[str], comparison: Comparison) -> list[tuple[float, float]]:
    """One (earlier, later) pair of mean ratings per person who rated every item in both phases."""
    earlier_phase, later_phase = comparison.phases
    pairs = []
    for answers in ratings.values():
        earlier = [_rating(answers, code, earlier_phase) for code in item_codes]
        later = [_rating(answers, code, later_phase) for code in item_codes]
        if None in earlier or None in later:
            continue
        pairs.append((math.fsum(earlier) / len(earlier), math.fsum(later) / len(later)))
    return pairs


def _changes(ratings: Mapping, item_codes: Sequence[str]) -> dict[Comparison, PairedChange | Suppressed]:
    return {c: paired_change(_pairs(ratings, item_codes, c), comparison=c) for c in Comparison}


def analyse_items(ratings: Mapping, item_dimensions: Mapping[str, str]) -> list[ItemResult]:
    """Paired change per item, in the order of ``item_dimensions``."""
    return [
        ItemResult(item_code=code, dimension=dimension, changes=_changes(ratings, [code]))
        for code, dimension in item_dimensions.items()
    ]


def analyse_dimensions(ratings: Mapping, item_dimensions: Mapping[str, str]) -> list[DimensionResult]:
    """Paired change per dimension (mean of its items per person), in order of first appearance."""
    codes_by_dimension: dict[str, list[str]] = {}
    for code, dimension in item_dimensions.items():
        codes_by_dimension.setdefault(dimension, []).append(code)
    return [
        DimensionResult(dimension=dimension, item_codes=tuple(codes), changes=_changes(ratings, codes))
        for dimension, codes in codes_by_dimension.items()
    ]
