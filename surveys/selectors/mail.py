"""What the survey mail has done: the facilitators' delivery page and the closing summary's figures."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

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


def invitation_delivery_for_survey(*, survey: Survey) -> tuple[list[Invitation], DeliveryCounts]:
    """Every invitation of the survey with its person (and the survey), and the totals (two queries)."""
    invitations = list(
        Invitation.objects.filter(survey=survey)
        .select_related("membership__person")
        # Only the columns the page shows: a cohort's worth of rows, each with a dozen timestamps otherwise.
        .only(
            *("status", "sent_at", "attempts", "last_error", "responded_at", "reminders_sent", "last_reminder_at"),
            *("membership__status", "membership__person__full_name", "membership__person__email"),
        )
        .order_by("membership__person__full_name", "pk")
    )
    counts = Invitation.objects.filter(survey=survey).aggregate(
        invited=Count("pk"),
        queued=Count("pk", filter=Q(status=Invitation.Status.QUEUED)),
        sending=Count("pk", filter=Q(status=Invitation.Status.SENDING)),
        sent=Count("pk", filter=Q(status=Invitation.Status.SENT)),
        failed=Count("pk", filter=Q(status=Invitation.Status.FAILED)),
        responded=Count("pk", filter=Q(responded_at__isnull=False)),
        reminders=Coalesce(Sum("reminders_sent"), 0),
    )
    for invitation in invitations:
        invitation.survey = survey  # for the rules that read it (Invitation.answer_is_final), no query each
    return invitations, DeliveryCounts(**counts)


def invitation_rows(invitations, *, survey: Survey, can_send: bool, resend) -> list[dict]:
    """What the delivery page's table shows of each invitation, as plain values (``common.drawn`` keeps the
    table drawn under them). ``resend(pk)`` is a row's resend address, given where the row may be resent:
    while the survey is open, to an active member, not while sending, and in an anonymous survey only to
    someone who has not answered (``Invitation.answer_is_final``)."""
    return [
        {
            "pk": invitation.pk,
            "name": invitation.membership.person.full_name,
            "email": invitation.membership.person.email,
            "active": invitation.membership.is_active,
            "status": invitation.status,
            "status_label": invitation.get_status_display(),
            "sent_at": invitation.sent_at,
            "attempts": invitation.attempts,
            "last_error": invitation.last_error,
            "responded": invitation.responded_at is not None,
            "reminders_sent": invitation.reminders_sent,
            "last_reminder_at": invitation.last_reminder_at,
            "resend_url": resend(invitation.pk)
            if can_send
            and invitation.membership.is_active
            and invitation.status != Invitation.Status.SENDING
            and not invitation.answer_is_final
            else "",
        }
        for invitation in invitations
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
