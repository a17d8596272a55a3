"""Read-side helpers of the cohorts app. (The home page and cohort page show modules too, so their
selectors live in modules/selectors.py.)"""

from collections import Counter
from dataclasses import dataclass

from common.models import choice_label

from .models import Person


@dataclass
class ProfessionCount:
    code: str
    label: str
    count: int
    percent: int


def profession_mix(memberships) -> list[ProfessionCount]:
    """The mix of professions among the given (already loaded) memberships, largest first."""
    counts = Counter(m.person.profession for m in memberships)
    total = sum(counts.values())
    # Translated once per language and process (common.models.choice_label), not once a profession.
    labels = {code: choice_label(Person.Profession, code) for code in counts}
    return [
        ProfessionCount(code=code, label=labels[code], count=n, percent=round(100 * n / total))
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], labels[item[0]]))
    ]
