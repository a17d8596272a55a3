"""Sending invitations reliably: the invitation rows are the outbox (STYLE.md section 3).

``invitations_send`` claims rows with a conditional UPDATE (queued -> sending, or a "sending" row
older than any task can live) that also counts their attempt, commits, sends outside any transaction
over one SMTP connection (``delivery.deliver``), then marks each row sent as soon as the server has
accepted it. A task delivered twice or run by two workers therefore sends each invitation once.
Rows the batch never hands to the server are given back un-counted (``invitation_mail._release``).
"""

import datetime

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cohorts.models import Membership
from surveys.models import Invitation, Survey

from .delivery import SendResult, sending_stale_after
from .invitation_mail import KIND_INVITATION, invitation_mails_deliver
from .surveys import invitation_links_issue


def _claim(ids: list[int], now: datetime.datetime) -> list[Invitation]:
    """Move the given rows that can be sent and are claimable to "sending" and count their attempt;
    returns the invitations this call won, with their survey, module, cohort and person, least tried
    first (a row whose message keeps breaking the connection does not stand in front of the others
    on every retry).

    Can be sent: a participant still taking part, a survey open and not past its closing time.
    Claimable: queued, or "sending" for longer than any task can live. Call inside a transaction.
    On PostgreSQL the rows are read and locked in one statement, FOR UPDATE OF the invitation SKIP
    LOCKED (both conditions re-checked on the locked row), and updated in a second; the rows read
    are given what the UPDATE wrote. Elsewhere (SQLite: one writer at a time) each row gets a
    conditional UPDATE on its own columns, and its row count says who won it.
    """
    claimable = Q(status=Invitation.Status.QUEUED) | Q(
        status=Invitation.Status.SENDING, sending_started_at__lt=now - sending_stale_after()
    )
    sendable = (
        Invitation.objects.with_active_membership()
        .filter(pk__in=sorted(set(ids)), survey__status=Survey.Status.OPEN, survey__closes_at__gt=now)
        .select_related("survey__module", "survey__cohort", "membership__person")
        .order_by("pk")
    )
    # Counted for the whole batch in this one statement, rather than one UPDATE before each message;
    # the rows the batch never hands to the server are un-counted when they are given back.
    claim = {
        "status": Invitation.Status.SENDING,
        "sending_started_at": now,
        "attempts": F("attempts") + 1,
        "updated_at": now,
    }
    if connection.features.has_select_for_update_skip_locked:
        won = list(sendable.select_for_update(skip_locked=True, of=("self",)).filter(claimable))
        Invitation.objects.filter(pk__in=[invitation.pk for invitation in won]).update(**claim)
        for invitation in won:
            invitation.status = Invitation.Status.SENDING
            invitation.sending_started_at = invitation.updated_at = now
            invitation.attempts += 1
    else:
        eligible = list(sendable.values_list("pk", flat=True))
        won_ids = [pk for pk in eligible if Invitation.objects.filter(claimable, pk=pk).update(**claim)]
        won = list(sendable.filter(pk__in=won_ids))
    return sorted(won, key=lambda invitation: (invitation.attempts, invitation.pk))


def _fail_unsendable(ids: list[int], now: datetime.datetime) -> list[int]:
    """Queued rows that must not be sent any more: closed survey, withdrawn participant."""
    failed = []
    rows = Invitation.objects.filter(pk__in=ids, status=Invitation.Status.QUEUED).filter(
        Q(survey__status=Survey.Status.CLOSED)
        | Q(survey__closes_at__lte=now)
        | ~Q(membership__status=Membership.Status.ACTIVE)
    )
    for invitation in rows.select_related("survey", "membership"):
        reason = (
            _("Not sent: the participant has withdrawn.")
            if not invitation.membership.is_active
            else _("Not sent: the survey closed first.")
        )
        if Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.QUEUED).update(
            status=Invitation.Status.FAILED, last_error=reason, updated_at=now
        ):
            failed.append(invitation.pk)
    return failed


def invitations_send(*, invitation_ids: list[int], now: datetime.datetime | None = None) -> SendResult:
    """Send the given invitations that are still to be sent, over one mail connection.

    Safe to call twice with the same ids, from two workers at once, or after a crash.
    """
    now = now or timezone.now()
    result = SendResult()
    with transaction.atomic():
        result.failed.extend(_fail_unsendable(invitation_ids, now))
        invitations = _claim(invitation_ids, now)
        tokens = invitation_links_issue(invitations=invitations)
    claimed = {invitation.pk for invitation in invitations}
    result.skipped = sorted(set(invitation_ids) - claimed - set(result.failed))
    if invitations:
        invitation_mails_deliver(invitations=invitations, tokens=tokens, result=result, kind=KIND_INVITATION)
    return result
