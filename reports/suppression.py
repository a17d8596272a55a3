"""Counts in the report: shown, or replaced by a marker that holds no number at all.

The report leaves the app for the commissioner, so every count of people in it follows
``surveys.disclosure.MIN_GROUP``: a cell of fewer than 3 people is "fewer than 3" (zero included,
so that a small count cannot be told from none), and when the hidden cells of a breakdown whose
total is known add up to 1 or 2 people, the smallest shown cell is hidden too ("not shown"). The
rule is the practice log's (``evaluation.selectors.suppress_small_groups``), applied to plain counts.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from evaluation.selectors import COMPLEMENTARY, SHOWN, SMALL, suppress_small_groups
from surveys.disclosure import MIN_GROUP

__all__ = ["COMPLEMENTARY", "MIN_GROUP", "SMALL", "cell", "cells", "hidden"]


def hidden(reason: str = SMALL) -> dict:
    """The marker that stands for a suppressed count: the reason and the words, never the number."""
    display = _("fewer than %(n)s") % {"n": MIN_GROUP} if reason == SMALL else _("not shown")
    return {"value": None, "suppressed": reason, "display": display}


def cell(n: int, *, min_group: int = MIN_GROUP) -> dict:
    """One count on its own (no total beside it to subtract from)."""
    if n < min_group:
        return hidden(SMALL)
    return {"value": n, "suppressed": "", "display": str(n)}


def cells(counts: list[int]) -> list[dict]:
    """Counts of one breakdown whose total is shown: each person in one cell."""
    members, start = [], 0
    for n in counts:
        members.append(set(range(start, start + n)))  # stand-ins for distinct people
        start += n
    states = suppress_small_groups(members, counts)
    return [{"value": n, "suppressed": "", "display": str(n)} if state == SHOWN else hidden(state)
            for n, state in zip(counts, states, strict=True)]  # fmt: skip
