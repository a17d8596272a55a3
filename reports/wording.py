"""Plain-language sentences of the report's self-assessment change.

The evaluation pages' sentences (``evaluation.wording.describe_change``) give the numbers of people
who improved, stayed the same and declined; in the report those counts follow the report's
suppression (a table cell of 1 or 2 people is hidden), so the sentences here leave them out and
keep the rest: the number of pairs, the median change, the test and the effect size, and never
"significant".
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from evaluation.analysis import ALPHA, Comparison, PairedChange
from evaluation.wording import effect_size_label, number, signed

BETWEEN = {
    Comparison.POST_PRE: gettext_lazy("before and after the programme"),
    Comparison.POST_THEN: gettext_lazy("looking back at the start (“then”) and after the programme"),
}


def p_value(p: float) -> str:
    return _("p < 0.001") if p < 0.001 else _("p = %(p)s") % {"p": number(p, 3)}


def change_sentence(result: PairedChange, *, subject: str) -> str:
    values = {
        "n": result.n_pairs,
        "subject": subject,
        "between": str(BETWEEN[result.comparison]),
        "median": signed(result.median_change, 1),
        "p": p_value(result.p_value),
        "r": signed(result.effect_size, 2).lstrip("+"),
        "size": effect_size_label(result.effect_size),
    }
    if not result.test.n:
        return _("With %(n)d pairs, no one's self-rating of %(subject)s changed between %(between)s.") % values
    if result.is_clear:
        values["direction"] = _("higher") if result.effect_size > 0 else _("lower")
        return (
            _(
                "With %(n)d pairs, self-ratings of %(subject)s were %(direction)s comparing %(between)s "
                "(median change %(median)s on a 5-point scale). A change this large would be unlikely by chance "
                "alone (Wilcoxon signed-rank %(p)s; effect size r = %(r)s, %(size)s)."
            )
            % values
        )
    sentence = (
        _(
            "With %(n)d pairs, self-ratings of %(subject)s showed no clear change between %(between)s "
            "(median change %(median)s; Wilcoxon signed-rank %(p)s, effect size r = %(r)s)."
        )
        % values
    )
    if result.test.smallest_possible_p >= ALPHA:
        return sentence + " " + _("So few ratings changed that no result of this test could have been clear.")
    return (
        sentence
        + " "
        + ngettext(
            "This does not rule out a change too small to show with %(n)d pair.",
            "This does not rule out a change too small to show with %(n)d pairs.",
            result.n_pairs,
        )
        % values
    )
