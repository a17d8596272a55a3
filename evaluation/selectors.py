"""Read side of the practice log: a participant's own moments, their set's shared reflections, the
facilitators' counts and who is due a monthly nudge. Each selector runs a fixed number of queries.

**What facilitators see (``practice_summary``).** Counts only, over the moments of the cohort's
active participants: by method, by whom with and by module interval, and how many participants
logged at least one. Never a reflection, never a name. The "group" behind a count is the people
whose moments it counts, so a cell is shown only when at least ``MIN_GROUP`` different people are
in it; otherwise it reads "fewer than 3" (zero included, so that a small count cannot be told
from none).

**Complementary suppression.** The total number of moments is shown (and every breakdown adds up
to it, so hiding it in one place would not hide it), so total − shown cells = the hidden cells
together. That sum is itself a count for the people in the hidden cells. When those people are
fewer than ``MIN_GROUP`` (but not none), the smallest shown cell is hidden too, marked "not shown",
until the hidden cells together hold at least ``MIN_GROUP`` people. Participant counts are not
additive (one person is in several cells), so no sum reveals them. What cannot be prevented is
comparing the page on two days; that is the same for every count the app shows.

When fewer than ``MIN_GROUP`` participants have logged anything, nothing but that fact is shown.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Membership, Person
from common.compiled import CompiledQuery, attnames, instance, instances_from_row, row_columns
from modules.models import Module
from projects.models import ActionLearningSet

# The surveys app owns the rule "no group under 3 is shown"; the practice log follows it.
from surveys.models import Survey
from surveys.selectors import MIN_GROUP

from .charts import BarChart, bar_chart
from .models import CohortEvaluation, PracticeMoment, PracticeNudge, PracticeNudgePreference

__all__ = ["MIN_GROUP"]

# -- a participant's own log -----------------------------------------------------------------


def practice_moments_of(*, membership: Membership) -> list[PracticeMoment]:
    return list(PracticeMoment.objects.filter(membership=membership))


def _cohort_moment(cohort_pk, pk):
    return PracticeMoment.objects.filter(membership__cohort_id=cohort_pk, pk=pk).values_list(*attnames(PracticeMoment))


# The moment and set pages read these on every request: compiled once per process (common.compiled).
_COHORT_MOMENT = CompiledQuery(_cohort_moment, cohort_pk=-7421, pk=-7422)


def practice_moment_get(*, cohort: Cohort, pk: int) -> PracticeMoment:
    """A moment of this cohort (404 otherwise); whose it is, the caller checks."""
    row = _COHORT_MOMENT.fetchone(cohort_pk=cohort.pk, pk=pk)
    if row is None:
        raise Http404("No practice moment of this cohort has this id.")
    return instance(PracticeMoment, **dict(zip(attnames(PracticeMoment), row, strict=True)))


def practice_nudges_are_on(*, membership: Membership) -> bool:
    preference = PracticeNudgePreference.objects.filter(membership=membership).first()
    return preference is None or preference.nudges_on


# A set with its facilitator's membership and person (``practice_set_of``'s select_related), in this order.
_SET_ROW = ((ActionLearningSet, ""), (Membership, "set_facilitator__"), (Person, "set_facilitator__person__"))


def _member_set(membership_pk):
    return (
        ActionLearningSet.objects.filter(set_memberships__membership_id=membership_pk)
        .order_by("cohort", "name")  # as first() orders them (the model's ordering)
        .values_list(*row_columns(_SET_ROW))[:1]
    )


_MEMBER_SET = CompiledQuery(_member_set, membership_pk=-7423)


def practice_set_of(*, membership: Membership) -> ActionLearningSet | None:
    """The set a participant's shared reflections go to (their set in this cohort), with its facilitator
    (and the facilitator's person) loaded. One statement, compiled once per process."""
    row = _MEMBER_SET.fetchone(membership_pk=membership.pk)
    if row is None:
        return None
    (action_learning_set, facilitator, person), _rest = instances_from_row(row, *(m for m, _p in _SET_ROW))
    if facilitator.pk is None:
        facilitator = None
    else:
        Membership.person.field.set_cached_value(facilitator, person)
    ActionLearningSet.set_facilitator.field.set_cached_value(action_learning_set, facilitator)
    return action_learning_set


# -- reflections shared with a set -----------------------------------------------------------


@dataclass
class SetReflections:
    action_learning_set: ActionLearningSet
    moments: list[PracticeMoment]


def practice_set_reflections(*, membership: Membership | None) -> list[SetReflections]:
    """Shared moments of the sets this member is in or facilitates (the person named as the set's
    facilitator, whatever their role in the cohort). Cohort facilitators as such and staff see no
    set here: they see the counts. Only active members' moments are shown."""
    if membership is None:
        return []
    sets = list(
        ActionLearningSet.objects.filter(
            Q(set_memberships__membership=membership) | Q(set_facilitator=membership), cohort_id=membership.cohort_id
        )
        .distinct()
        .order_by("name")
    )
    if not sets:
        return []
    # A participant is in at most one set of a cohort (SetMembership's unique constraint), so the
    # join gives one row a moment, carrying the set it is shared with.
    moments = (
        PracticeMoment.objects.filter(
            shared_with_set=True,
            membership__status=Membership.Status.ACTIVE,
            membership__role=Membership.Role.PARTICIPANT,
            membership__set_memberships__action_learning_set__in=sets,
        )
        .select_related("membership__person")
        .annotate(set_pk=F("membership__set_memberships__action_learning_set"))
    )
    by_set: dict[int, list[PracticeMoment]] = defaultdict(list)
    for moment in moments:
        by_set[moment.set_pk].append(moment)
    return [SetReflections(s, by_set.get(s.pk, [])) for s in sets]


# -- counts for facilitators -----------------------------------------------------------------

SHOWN = "shown"
# Fewer than MIN_GROUP people in the cell.
SMALL = "small"
# Hidden so that total − shown cells cannot reveal a small cell.
COMPLEMENTARY = "complementary"


def suppress_small_groups(members: list[set[int]], moments: list[int], *, min_group: int = MIN_GROUP) -> list[str]:
    """The state of each cell of one breakdown whose total is known: SHOWN, SMALL or COMPLEMENTARY.

    ``members[i]`` are the people counted in cell ``i`` and ``moments[i]`` its count. A cell with
    fewer than ``min_group`` people is SMALL. Then, while the hidden cells together hold some
    people but fewer than ``min_group`` (so that their sum, which anyone can work out from the
    total, would be a count for a small group), the smallest shown cell is hidden as well.
    """
    states = [SHOWN if len(people) >= min_group else SMALL for people in members]

    def hidden_people() -> set[int]:
        return set().union(*(members[i] for i, state in enumerate(states) if state != SHOWN))

    while 0 < len(hidden_people()) < min_group:
        shown = [i for i, state in enumerate(states) if state == SHOWN]
        if not shown:
            break
        states[min(shown, key=lambda i: (moments[i], len(members[i]), i))] = COMPLEMENTARY
    return states


@dataclass(frozen=True)
class Cell:
    label: str
    state: str
    # Zero unless shown: a hidden count never leaves this module.
    moments: int = 0
    participants: int = 0

    @property
    def shown(self) -> bool:
        return self.state == SHOWN

    @property
    def small(self) -> bool:
        return self.state == SMALL

    @property
    def display(self) -> str:
        """What the page says for the cell's number of moments."""
        if self.shown:
            return str(self.moments)
        if self.small:
            return _("fewer than %(n)s") % {"n": MIN_GROUP}
        return _("not shown")


@dataclass
class Breakdown:
    key: str
    title: str
    heading: str
    cells: list[Cell]
    chart: BarChart | None = None

    @property
    def has_hidden(self) -> bool:
        return any(not cell.shown for cell in self.cells)


@dataclass
class PracticeSummary:
    active_participants: int
    # Whether anything beyond "fewer than MIN_GROUP have logged" may be shown.
    visible: bool
    loggers: int | None = None
    total_moments: int | None = None
    breakdowns: list[Breakdown] = field(default_factory=list)
    min_group: int = MIN_GROUP

    @property
    def all_but_few(self) -> bool:
        """Fewer than MIN_GROUP participants have logged nothing: their number is not shown either."""
        return self.loggers is not None and 0 < self.active_participants - self.loggers < MIN_GROUP

    @property
    def everyone(self) -> bool:
        return self.loggers is not None and self.loggers == self.active_participants

    @property
    def share_percent(self) -> int | None:
        if self.loggers is None or not self.active_participants or self.all_but_few:
            return None
        return round(100 * self.loggers / self.active_participants)


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _intervals(cohort: Cohort, modules: list[Module]) -> tuple[list[datetime.date], list[tuple[int, str]]]:
    """Boundaries (module start dates, in date order) and the (index, label) of each interval.

    Interval 0 is before the first module (listed only if the cohort starts earlier); interval k
    runs from module k's day to the day before the next module; the last one is after the last
    module. A moment on a module's day counts after that module. Intervals that have not begun are
    left out: no moment can be dated in the future.
    """
    modules = sorted(modules, key=lambda m: (m.starts_at, m.number))
    if not modules:
        return [], [(0, _("Since the programme started (no module dates yet)"))]
    dates = [_local_date(m.starts_at) for m in modules]
    labels = []
    if cohort.start_date < dates[0]:
        labels.append((0, _("Before module %(n)s") % {"n": modules[0].number}))
    today = timezone.localdate()
    for k, module in enumerate(modules, start=1):
        if dates[k - 1] > today:
            break
        if k < len(modules):
            label = _("Between module %(n)s and module %(next)s") % {"n": module.number, "next": modules[k].number}
        else:
            label = _("After module %(n)s") % {"n": module.number}
        labels.append((k, label))
    return dates, labels


def _breakdown(key, title, heading, keys_labels, rows, attribute) -> Breakdown:
    members: dict = defaultdict(set)
    moments: dict = defaultdict(int)
    for row in rows:
        members[row[attribute]].add(row["membership_id"])
        moments[row[attribute]] += row["n"]
    keys = [k for k, _label in keys_labels]
    states = suppress_small_groups([members[k] for k in keys], [moments[k] for k in keys])
    cells = [
        Cell(label=str(label), state=state, moments=moments[k], participants=len(members[k]))
        if state == SHOWN
        else Cell(label=str(label), state=state)
        for (k, label), state in zip(keys_labels, states, strict=True)
    ]
    return Breakdown(key=key, title=title, heading=heading, cells=cells, chart=bar_chart(cells))


def _practice_moments(cohort: Cohort):
    """The moments counted: those of the cohort's active participants."""
    return PracticeMoment.objects.filter(
        membership__cohort=cohort,
        membership__role=Membership.Role.PARTICIPANT,
        membership__status=Membership.Status.ACTIVE,
    )


def _practice_counts(cohort_pk):
    # One row an active participant, with their moments (those _practice_moments counts), each
    # participant's counted by a subquery on the moments' membership index: joining the moments to
    # the cohort's memberships made PostgreSQL read every moment of every cohort (3 ms on the scale
    # data, against 0.2 ms).
    moments = (
        PracticeMoment.objects.filter(membership=OuterRef("pk"))
        .order_by()
        .values("membership")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Membership.objects.active()
        .participants()
        .filter(cohort_id=cohort_pk)
        .annotate(n=Coalesce(Subquery(moments), 0))
        .order_by()
        .values_list("n")
    )


# The evaluation overview counts these on every request: compiled once per process (common.compiled),
# as compiling the statements cost more CPU than running them (issue 14).
_PRACTICE_COUNTS = CompiledQuery(_practice_counts, cohort_pk=-7411)


def practice_totals(*, cohort: Cohort) -> PracticeSummary:
    """``practice_summary`` without its breakdowns (one query, one row an active participant): what a page
    that shows only how many logged how many moments needs."""
    counts = [n for (n,) in _PRACTICE_COUNTS.fetchall(cohort_pk=cohort.pk)]
    active = len(counts)
    loggers = sum(1 for n in counts if n)
    if loggers < MIN_GROUP:
        return PracticeSummary(active_participants=active, visible=False)
    return PracticeSummary(active_participants=active, visible=True, loggers=loggers, total_moments=sum(counts))


def practice_summary(
    *, cohort: Cohort, active_participants: int | None = None, modules: list[Module] | None = None
) -> PracticeSummary:
    """The counts facilitators see, in three queries whatever the number of participants or moments;
    one when the caller has counted the active participants and read the cohort's modules."""
    if active_participants is None:
        # Their ids, not only how many: the moments are then read by the ids (the moments' membership
        # index), where the join to the cohort's memberships made PostgreSQL read every cohort's
        # moments (3.3 -> 0.3 ms on the scale data).
        ids = list(Membership.objects.active().participants().filter(cohort=cohort).values_list("pk", flat=True))
        active, moments = len(ids), PracticeMoment.objects.filter(membership_id__in=ids)
    else:
        active, moments = active_participants, _practice_moments(cohort)
    if modules is None:
        modules = list(Module.objects.filter(cohort=cohort).only("pk", "number", "starts_at"))
    dates, interval_labels = _intervals(cohort, modules)
    interval = Case(
        *[When(date__lt=boundary, then=Value(index)) for index, boundary in enumerate(dates)],
        default=Value(len(dates)),
        output_field=IntegerField(),
    )
    rows = list(
        moments.annotate(interval=interval)
        .values("membership_id", "method", "with_whom", "interval")
        .annotate(n=Count("id"))
        .order_by()
    )
    loggers = len({row["membership_id"] for row in rows})
    if loggers < MIN_GROUP:
        return PracticeSummary(active_participants=active, visible=False)
    breakdowns = [
        _breakdown("method", _("Moments by method"), _("Method"), PracticeMoment.Method.choices, rows, "method"),
        _breakdown(
            "with_whom",
            _("Who the moments were with"),
            _("With whom"),
            PracticeMoment.WithWhom.choices,
            rows,
            "with_whom",
        ),
        _breakdown("interval", _("Moments by module interval"), _("When"), interval_labels, rows, "interval"),
    ]
    return PracticeSummary(
        active_participants=active,
        visible=True,
        loggers=loggers,
        total_moments=sum(row["n"] for row in rows),
        breakdowns=breakdowns,
    )


# -- the monthly nudge -----------------------------------------------------------------------


def nudge_month(now: datetime.datetime) -> datetime.date:
    """The month a nudge sent at ``now`` belongs to: its first day, in local time."""
    return timezone.localtime(now).date().replace(day=1)


def nudge_quiet_since(now: datetime.datetime) -> datetime.datetime:
    """A participant is nudged only if they have logged nothing since the first day of last month."""
    last_month = (nudge_month(now) - datetime.timedelta(days=1)).replace(day=1)
    return timezone.make_aware(datetime.datetime.combine(last_month, datetime.time.min))


def practice_nudge_wanted(*, now: datetime.datetime) -> QuerySet[Membership]:
    """Participants this month's nudge is for, whether or not they have had it.

    Active participants of running cohorts that started by the first of last month (a new cohort
    gets a whole month first), who can sign in to log (a user account), have not switched nudges
    off, and have logged nothing since the first of last month.
    """
    since = nudge_quiet_since(now)
    return (
        Membership.objects.active()
        .participants()
        .filter(
            cohort__status=Cohort.Status.RUNNING,
            cohort__start_date__lte=timezone.localtime(since).date(),
            person__user__isnull=False,
            person__user__is_active=True,
        )
        .exclude(practice_nudge_preference__nudges_on=False)
        .exclude(practice_moments__created_at__gte=since)
    )


def practice_nudge_due(*, now: datetime.datetime) -> QuerySet[Membership]:
    """Those of them not yet nudged this month."""
    return practice_nudge_wanted(now=now).exclude(
        pk__in=PracticeNudge.objects.filter(month=nudge_month(now)).values("membership_id")
    )


def months_later(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class CohortEvaluationDates:
    follow_up_on: datetime.date | None
    follow_up_opened: bool


def follow_up_default(*, cohort: Cohort) -> datetime.date | None:
    """The follow-up's default day: the last module's day plus ``FOLLOW_UP_MONTHS`` (None without modules)."""
    last = Module.objects.filter(cohort=cohort).order_by("-number").values_list("starts_at", flat=True).first()
    return None if last is None else months_later(timezone.localdate(last), CohortEvaluation.FOLLOW_UP_MONTHS)


def _evaluation_dates(cohort_pk):
    cohort = OuterRef("pk")
    return Cohort.objects.filter(pk=cohort_pk).values_list(
        Subquery(CohortEvaluation.objects.filter(cohort=cohort).values("follow_up_on")[:1]),
        Subquery(Module.objects.filter(cohort=cohort).order_by("-number").values("starts_at")[:1]),
        Exists(Survey.objects.filter(cohort=cohort, kind=Survey.Kind.FOLLOW_UP)),
    )


_EVALUATION_DATES = CompiledQuery(_evaluation_dates, cohort_pk=-7412)


def cohort_evaluation_dates(*, cohort: Cohort) -> CohortEvaluationDates:
    """When the follow-up opens: the saved date, else the default (module 6's day + 3 months), without
    writing anything; ``follow_up_opened`` once that survey exists (its date can no longer move). One
    statement, compiled once per process: the saved date, the last module's day (``follow_up_default``'s)
    and whether the follow-up exists."""
    saved, last, opened = _EVALUATION_DATES.fetchone(cohort_pk=cohort.pk)
    if saved is None and last is not None:
        saved = months_later(timezone.localdate(last), CohortEvaluation.FOLLOW_UP_MONTHS)
    return CohortEvaluationDates(follow_up_on=saved, follow_up_opened=opened)
