"""Read-side helpers of the cohorts app. (The home page and cohort page show modules too, so their
selectors live in modules/selectors.py.)"""

from collections import Counter
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from common.compiled import CompiledQuery, instances_from_row, row_columns
from common.models import choice_label

from .models import Membership, Person


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


# A participant's membership with its person and the person's account (None where there is none):
# the columns of each, in this order, then whether the person has any membership beyond being a
# participant of this cohort.
_PARTICIPANT_ROW = ((Membership, ""), (Person, "person__"), (get_user_model(), "person__user__"))


def _participant(cohort_pk, membership_pk):
    beyond = Membership.objects.filter(person_id=OuterRef("person_id")).beyond_participant_of(cohort_pk)
    return (
        Membership.objects.participants()
        .filter(cohort_id=cohort_pk, pk=membership_pk)
        .annotate(beyond_participant=Exists(beyond))
        .order_by()
        .values_list(*row_columns(_PARTICIPANT_ROW), "beyond_participant")
    )


# The participant pages read it on every request: compiled once per process (common.compiled), as
# compiling it cost more CPU than running it (issue 14).
_PARTICIPANT = CompiledQuery(_participant, cohort_pk=-7431, membership_pk=-7432)


def participant_get(*, cohort_id: int, membership_pk: int) -> Membership | None:
    """The cohort's participant ``membership_pk`` (None if the cohort has no such participant), with
    its person and the person's account loaded as ``select_related("person__user")`` loads them, and
    ``beyond_participant``: whether the person has another role or another cohort (what
    ``cohorts.services.person_email_editable`` asks), in one statement."""
    row = _PARTICIPANT.fetchone(cohort_pk=cohort_id, membership_pk=membership_pk)
    if row is None:
        return None
    (membership, person, account), (beyond_participant,) = instances_from_row(
        row, *(model for model, _prefix in _PARTICIPANT_ROW)
    )
    _PERSON_USER.set_cached_value(person, None if account.pk is None else account)
    _MEMBERSHIP_PERSON.set_cached_value(membership, person)
    membership.beyond_participant = beyond_participant
    return membership


_PERSON_USER = Person.user.field
_MEMBERSHIP_PERSON = Membership.person.field
