"""What the survey mail has done: the facilitators' delivery page and the closing summary's figures."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q

from cohorts.models import Membership
from common.compiled import CompiledQuery
from common.models import choice_label
from surveys.models import Invitation, Survey


@dataclass(frozen=True)
class DeliveryCounts:
    invited: int
    queued: int
    sending: int
    sent: int
    failed: int
    responded: int
    reminders: int


def _delivery_rows(survey_pk):
    return (
        Invitation.objects.filter(survey=survey_pk)
        .order_by("membership__person__full_name", "pk")
        .values_list(
            *("pk", "membership__person__full_name", "membership__person__email", "membership__status", "status"),
            *("sent_at", "attempts", "last_error", "responded_at", "reminders_sent", "last_reminder_at"),
        )
    )


# The delivery page reads them on every request, and refreshes itself while mail is waiting: one
# statement compiled once per process (common.compiled), plain rows, no model instances.
_DELIVERY_ROWS = CompiledQuery(_delivery_rows, survey_pk=-7385)

_QUEUED, _SENDING, _SENT, _FAILED = (
    Invitation.Status.QUEUED,
    Invitation.Status.SENDING,
    Invitation.Status.SENT,
    Invitation.Status.FAILED,
)


def invitation_delivery_for_survey(*, survey: Survey) -> tuple[list[tuple], DeliveryCounts]:
    """Every invitation of the survey as a plain row (pk, the person's full name and e-mail, the
    membership's status, then the invitation's status, sent_at, attempts, last_error, responded_at,
    reminders_sent, last_reminder_at), by name; and the totals, counted from the same rows (one query)."""
    rows = _DELIVERY_ROWS.fetchall(survey_pk=survey.pk)
    statuses = Counter(row[4] for row in rows)
    counts = DeliveryCounts(
        invited=len(rows),
        queued=statuses[_QUEUED],
        sending=statuses[_SENDING],
        sent=statuses[_SENT],
        failed=statuses[_FAILED],
        responded=sum(1 for row in rows if row[8] is not None),
        reminders=sum(row[9] for row in rows),
    )
    return rows, counts


def invitation_rows(invitations, *, survey: Survey, can_send: bool, resend) -> list[dict]:
    """What the delivery page's table shows of each invitation (rows of ``invitation_delivery_for_survey``),
    as plain values (``common.drawn`` keeps the table drawn under them). ``resend(pk)`` is a row's resend
    address, given where the row may be resent: while the survey is open, to an active member, not while
    sending, and in an anonymous survey only to someone who has not answered (``Invitation.answer_is_final``)."""
    anonymous = survey.is_anonymous
    active_status = Membership.Status.ACTIVE
    labels = {status: choice_label(Invitation.Status, status) for status in Invitation.Status.values}
    return [
        {
            "pk": pk,
            "name": name,
            "email": email,
            "active": membership_status == active_status,
            "status": status,
            "status_label": labels.get(status, status),
            "sent_at": sent_at,
            "attempts": attempts,
            "last_error": last_error,
            "responded": responded_at is not None,
            "reminders_sent": reminders_sent,
            "last_reminder_at": last_reminder_at,
            # Invitation.answer_is_final: an anonymous survey's answer, once given.
            "resend_url": resend(pk)
            if can_send
            and membership_status == active_status
            and status != _SENDING
            and not (anonymous and responded_at is not None)
            else "",
        }
        for (
            pk,
            name,
            email,
            membership_status,
            status,
            sent_at,
            attempts,
            last_error,
            responded_at,
            reminders_sent,
            last_reminder_at,
        ) in invitations
    ]


@dataclass(frozen=True)
class SummaryCounts:
    invited: int
    delivered: int
    failed: int
    responded: int

    @property
    def rate(self) -> int | None:
        """Response rate in whole per cent, None when nobody was invited."""
        return round(100 * self.responded / self.invited) if self.invited else None


def survey_summary_counts(*, survey: Survey) -> SummaryCounts:
    """The figures of the facilitators' summary mail of a closed survey (one query)."""
    counts = survey.invitations.aggregate(
        invited=Count("pk"),
        delivered=Count("pk", filter=Q(status=Invitation.Status.SENT)),
        failed=Count("pk", filter=Q(status=Invitation.Status.FAILED)),
        responded=Count("pk", filter=Q(responded_at__isnull=False)),
    )
    return SummaryCounts(**counts)
