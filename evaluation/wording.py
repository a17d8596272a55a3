"""Plain-language sentences for paired change that do not claim more than a small cohort can show.

Every sentence starts with the number of pairs, gives the counts of people who improved, stayed the
same and declined, and calls a change clear only when p < ``analysis.ALPHA``. An unclear result is
never read as "no effect": with few pairs it says that the test could hardly have shown anything.
Words such as "significant" are avoided: readers hear "important".
"""

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .analysis import ALPHA, MIN_GROUP, Comparison, PairedChange, Suppressed

# Cohen's conventional thresholds for a correlation r (Cohen 1988, Statistical Power Analysis for
# the Behavioral Sciences, 2nd ed., ch. 3: .10 small, .30 medium, .50 large), as commonly applied to
# the rank-biserial correlation. Below .10: negligible. Conventions, not laws: a "small" change in
# how a leader behaves can matter a great deal to a team.
EFFECT_SIZE_THRESHOLDS = (
    (0.5, gettext_lazy("large")),
    (0.3, gettext_lazy("medium")),
    (0.1, gettext_lazy("small")),
)

_HIGHER = {
    Comparison.POST_PRE: gettext_lazy("higher after the programme than before"),
    Comparison.POST_THEN: gettext_lazy(
        "higher after the programme than where participants, looking back, placed themselves before it"
    ),
}
_LOWER = {
    Comparison.POST_PRE: gettext_lazy("lower after the programme than before"),
    Comparison.POST_THEN: gettext_lazy(
        "lower after the programme than where participants, looking back, placed themselves before it"
    ),
}
_BETWEEN = {
    Comparison.POST_PRE: gettext_lazy("before and after the programme"),
    Comparison.POST_THEN: gettext_lazy(
        "the “then” ratings (looking back at the start) and the ratings after the programme"
    ),
}

INTERPRETATION_NOTES = (
    gettext_lazy("These are self-ratings: they show how participants see themselves, not how others see them."),
    gettext_lazy(
        "There is no comparison group, so a change cannot be put down to the programme alone: other "
        "things happened to participants over the same months."
    ),
    gettext_lazy(
        "The “then” ratings are given after the programme, looking back. People who learn more about "
        "leadership often judge their earlier selves more strictly (response shift), which can hide a "
        "change in before-and-after ratings; comparing with the “then” ratings allows for it."
    ),
    gettext_lazy(
        "Each item and dimension is tested on its own, at the 5% level. Among many tests a few clear "
        "results can appear by chance, so look for a pattern rather than a single result."
    ),
)


def effect_size_label(r: float) -> str:
    for threshold, label in EFFECT_SIZE_THRESHOLDS:
        if abs(r) >= threshold:
            return str(label)
    return _("negligible")


def number(value: float, decimals: int) -> str:
    # number_format cuts digits off rather than rounding (templates round first in floatformat).
    return formats.number_format(round(value, decimals), decimal_pos=decimals)


def signed(value: float, decimals: int) -> str:
    text = number(abs(value), decimals)
    if round(value, decimals) > 0:
        return f"+{text}"
    if round(value, decimals) < 0:
        return f"−{text}"  # a true minus sign: screen readers say "minus"
    return text


def _p_value(p: float) -> str:
    if p < 0.001:
        return _("p < 0.001")
    return _("p = %(p)s") % {"p": number(p, 3)}


def _counts(result: PairedChange) -> str:
    return _("%(improved)d improved, %(same)d stayed the same, %(declined)d declined") % {
        "improved": result.improved,
        "same": result.same,
        "declined": result.declined,
    }


def describe_change(result: PairedChange | Suppressed, *, subject: str) -> str:
    """One or two sentences on the change in ``subject`` (e.g. "engaging the team")."""
    if result.suppressed:
        return ngettext(
            "Fewer than %(min)d pair: not shown, so that no one's answers can be picked out.",
            "Fewer than %(min)d pairs: not shown, so that no one's answers can be picked out.",
            MIN_GROUP,
        ) % {"min": MIN_GROUP}
    values = {
        "n": result.n_pairs,
        "subject": subject,
        "between": _BETWEEN[result.comparison],
        "median": signed(result.median_change, 1),
        "counts": _counts(result),
        "p": _p_value(result.p_value),
        "r": signed(result.effect_size, 2).lstrip("+"),
    }
    if not result.test.n:
        return (
            ngettext(
                "With %(n)d pair, no one's self-rating of %(subject)s changed between %(between)s.",
                "With %(n)d pairs, no one's self-rating of %(subject)s changed between %(between)s.",
                result.n_pairs,
            )
            % values
        )
    if result.is_clear:
        values["direction"] = (_HIGHER if result.effect_size > 0 else _LOWER)[result.comparison]
        values["size"] = effect_size_label(result.effect_size)
        return (
            ngettext(
                "With %(n)d pair, self-ratings of %(subject)s were %(direction)s (median change %(median)s; "
                "%(counts)s). A change this large would be unlikely by chance alone (Wilcoxon signed-rank "
                "%(p)s; effect size r = %(r)s, %(size)s).",
                "With %(n)d pairs, self-ratings of %(subject)s were %(direction)s (median change %(median)s; "
                "%(counts)s). A change this large would be unlikely by chance alone (Wilcoxon signed-rank "
                "%(p)s; effect size r = %(r)s, %(size)s).",
                result.n_pairs,
            )
            % values
        )
    sentence = (
        ngettext(
            "With %(n)d pair, self-ratings of %(subject)s showed no clear evidence of change between "
            "%(between)s (median change %(median)s; %(counts)s; Wilcoxon signed-rank %(p)s, effect size "
            "r = %(r)s).",
            "With %(n)d pairs, self-ratings of %(subject)s showed no clear evidence of change between "
            "%(between)s (median change %(median)s; %(counts)s; Wilcoxon signed-rank %(p)s, effect size "
            "r = %(r)s).",
            result.n_pairs,
        )
        % values
    )
    if result.test.smallest_possible_p >= ALPHA:
        caveat = ngettext(
            "With only %(changed)d person's rating changing, no result of this test could have been "
            "clear, so this says little either way.",
            "With only %(changed)d people's ratings changing, no result of this test could have been "
            "clear, so this says little either way.",
            result.test.n,
        ) % {"changed": result.test.n}
    else:
        caveat = (
            ngettext(
                "This does not rule out a change too small to show with %(n)d pair.",
                "This does not rule out a change too small to show with %(n)d pairs.",
                result.n_pairs,
            )
            % values
        )
    return f"{sentence} {caveat}"
