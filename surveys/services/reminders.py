"""Reminders to participants who have not answered yet."""

import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from surveys.models import Invitation, Survey

from .delivery import SendResult
from .invitation_mail import KIND_REMINDER, invitation_mails_deliver
from .publishing import reminders_publish
from .surveys import invitation_links_issue

# No reminder this close to the closing time: there would be no time left to answer.
REMINDER_MIN_TIME_LEFT = datetime.timedelta(hours=2)


def reminders_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Invitations owed a reminder: delivered, no answer, still a participant, survey open for a while yet."""
    now = now or timezone.now()
    ids: list[int] = []
    surveys = Survey.objects.open().filter(closes_at__gt=now + REMINDER_MIN_TIME_LEFT)
    for survey in surveys.only("pk", "reminder_after_days", "max_reminders"):
        cutoff = now - datetime.timedelta(days=survey.reminder_after_days)
        ids.extend(
            Invitation.objects.with_active_membership()
            .not_responded()
            .filter(survey=survey, status=Invitation.Status.SENT, reminders_sent__lt=survey.max_reminders)
            .filter(Q(last_reminder_at__isnull=True, sent_at__lte=cutoff) | Q(last_reminder_at__lte=cutoff))
            .values_list("pk", flat=True)
        )
    return ids


def reminders_queue_due(*, now: datetime.datetime | None = None) -> int:
    ids = reminders_due(now=now)
    if ids:
        reminders_publish(invitation_ids=ids)
    return len(ids)


def reminders_send(*, invitation_ids: list[int], now: datetime.datetime | None = None) -> SendResult:
    """Send reminders to those of these invitations still owed one. Each is counted before it is
    sent by a conditional UPDATE, so a task delivered twice reminds once; a temporary error, or the
    batch stopping before it, un-counts it."""
    now = now or timezone.now()
    result = SendResult()
    due = set(reminders_due(now=now)) & set(invitation_ids)
    rows = {
        invitation.pk: invitation
        for invitation in Invitation.objects.filter(pk__in=due)
        .select_related("survey__module", "survey__cohort", "membership__person")
        .order_by("pk")
    }
    claimed = []
    with transaction.atomic():
        for pk, invitation in sorted(rows.items()):
            if (
                Invitation.objects.not_responded()
                .filter(pk=pk, reminders_sent=invitation.reminders_sent, last_reminder_at=invitation.last_reminder_at)
                .update(reminders_sent=F("reminders_sent") + 1, last_reminder_at=now, updated_at=now)
            ):
                invitation.previous_reminder_at = invitation.last_reminder_at
                invitation.reminders_sent += 1
                invitation.last_reminder_at = now
                claimed.append(invitation)
        tokens = invitation_links_issue(invitations=claimed)
    result.skipped = sorted(set(invitation_ids) - {invitation.pk for invitation in claimed})
    if claimed:
        invitation_mails_deliver(invitations=claimed, tokens=tokens, result=result, kind=KIND_REMINDER)
    return result
