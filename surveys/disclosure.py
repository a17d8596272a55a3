"""What a non-named survey may show: the one owner of the rule "no group of fewer than three".

A facilitator knows each participant's profession (the cohort page) and who has answered (the
survey page). A figure about one or two respondents of a pseudonymous or anonymous survey therefore
tells them what a known person said, whether it is shown directly (a profession of one), as a pool
of one, or as the difference between everyone and the groups that are shown. For the same reason
figures wait until the survey has closed: while it is open, comparing the page before and after a
person's "responded" mark appears gives that person's answers (and in an export, their pseudonym).
The results page, the exports, the trends and PDSA figures and the admin all ask this module; named
surveys are exempt.
"""

import functools
from collections.abc import Mapping

from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cohorts.models import Person

MIN_GROUP = 3

# Group keys returned by profession_groups besides the profession codes themselves.
POOLED = "__pooled__"
HIDDEN = None

POOLED_LABEL = _("Other professions (pooled)")
PROFESSION_LABELS = dict(Person.Profession.choices)


def figures_wait_for_close(survey) -> bool:
    return not survey.is_named and survey.status != survey.Status.CLOSED


def figures_visible(*, survey, responses: int) -> bool:
    """Whether a survey's figures may be shown at all, given its number of responses."""
    return survey.is_named or (not figures_wait_for_close(survey) and responses >= MIN_GROUP)


def profession_groups(sizes: Mapping[str, int]) -> dict[str, str | None]:
    """The group each profession is shown under, from the number of respondents of each.

    A profession of MIN_GROUP or more stands alone; smaller ones share one POOLED group. A pool of
    one or two would still name people: the facilitator reads it as "whoever is not in the groups
    shown", and blanking the profession on those rows says exactly the same. So the smallest standing
    groups join the pool until it reaches MIN_GROUP. When that leaves no group standing there is
    nothing to compare, and every profession is HIDDEN (no breakdown, blank in exports).
    """
    if sum(sizes.values()) < MIN_GROUP:
        return dict.fromkeys(sizes, HIDDEN)
    standing = sorted((code for code, n in sizes.items() if n >= MIN_GROUP), key=lambda code: (sizes[code], code))
    pooled = sum(n for n in sizes.values() if n < MIN_GROUP)
    while 0 < pooled < MIN_GROUP and standing:
        pooled += sizes[standing.pop(0)]
    if not standing:
        return dict.fromkeys(sizes, HIDDEN)
    return {code: code if code in standing else POOLED for code in sizes}


def group_label(group: str | None) -> str:
    if group is HIDDEN:
        return ""
    return _group_labels(get_language()).get(group, group)


@functools.cache
def _group_labels(language: str | None) -> dict[str, str]:
    """Each group's label in ``language``, translated once per language and process (a catalogue does
    not change while the process runs; the results page asked for them once per question and group)."""
    with translation.override(language):
        return {POOLED: str(POOLED_LABEL), **{code: str(label) for code, label in PROFESSION_LABELS.items()}}


_CODES = tuple(PROFESSION_LABELS)


def group_order(group: str | None) -> tuple[int, str]:
    """Professions in the order of their choices, the pool last."""
    return (_CODES.index(group) if group in _CODES else len(_CODES), "" if group is None else group)
