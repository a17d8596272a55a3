"""Survey mail: invitations, reminders and the closing summary, sent reliably.

The invitation rows are the outbox (STYLE.md section 3):

* ``survey_open_and_invite`` opens the survey and records the invitations in the caller's
  transaction; send tasks are published only after commit, and a broker failure is logged and
  left to ``invitations_sweep``.
* ``invitations_send`` claims rows with a conditional UPDATE (queued -> sending, or a "sending"
  row older than any task can live), commits, sends outside any transaction over one SMTP
  connection, then marks each row sent as soon as the server has accepted it. A task delivered
  twice or run by two workers therefore sends each invitation once.
* An attempt is counted, and the message's link issued, just before that message is handed to
  the server: rows the batch never reached keep their count.
* A recipient's server refusing one message for now (4xx to RCPT or DATA: mailbox full,
  greylisting) puts that row back to queued, to be retried alone with its own backoff, and the
  batch goes on. Only a failure of the connection itself (refused, dropped, timed out, 421, or the
  sender refused for now) stops the batch: the row in flight and the rows not reached go back to
  queued and are retried together. Permanent errors mark the row failed with the server's answer.

Every attempt is logged in ``common.SentEmail`` with the personal link removed.
"""

import datetime
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from cohorts.models import Cohort, Membership
from common.mail import mail_error_is_transient, mail_error_text, mail_message, mail_render, sent_email_record
from common.models import SentEmail
from modules.models import Module
from surveys.models import Invitation, Survey
from surveys.selectors import survey_summary_counts

from .surveys import invitation_issue_token, invitation_link_withdraw, survey_close, survey_open_for_module

logger = logging.getLogger(__name__)

KIND_INVITATION = "surveys.invitation"
KIND_REMINDER = "surveys.reminder"
KIND_SUMMARY = "surveys.summary"

# Invitations per send task: one SMTP connection per chunk, and a chunk finishes well inside the
# soft time limit even when a trust's server takes a second per message.
SEND_CHUNK_SIZE = 25
# A queued row is left to the task that was published for it for this long before the sweeper
# publishes it again (duplicates are harmless, only wasteful).
QUEUED_GRACE = datetime.timedelta(minutes=2)
# Modules that ended longer ago than this and were never marked delivered are left alone: a
# survey arriving weeks after the day would puzzle participants.
OPEN_DUE_LOOKBACK = datetime.timedelta(days=14)
# No reminder this close to the closing time: there would be no time left to answer.
REMINDER_MIN_TIME_LEFT = datetime.timedelta(hours=2)

ANSWER_URL_NAME = "surveys:answer_start"


def sending_stale_after() -> datetime.timedelta:
    """After this, a "sending" row belongs to a task that is certainly dead: the hard time limit
    kills every task, and the margin covers clock skew between workers."""
    return datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 1.5)


def mail_retry_countdown(retries: int) -> int:
    """Seconds before the next try after ``retries`` failed ones (the last step repeats)."""
    table = settings.MAIL_RETRY_COUNTDOWNS
    return table[min(retries, len(table) - 1)]


def _retry_quiet_period() -> datetime.timedelta:
    """A deferred row whose last try is older than the longest backoff has lost its retry."""
    return datetime.timedelta(seconds=max(settings.MAIL_RETRY_COUNTDOWNS)) + QUEUED_GRACE


def _chunks(ids: list[int], size: int = SEND_CHUNK_SIZE) -> list[list[int]]:
    ids = sorted(set(ids))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


@dataclass
class SendResult:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    # Put back to be sent again later.
    deferred: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    # Invitations a recipient's server refused for now, with their attempts so far: the caller
    # retries each alone after mail_retry_countdown(attempts - 1) while the others have gone.
    retry_alone: dict[int, int] = field(default_factory=dict)
    # Rows put back because the batch stopped on a connection-level failure (the one in flight
    # and those not reached): the caller retries them together later.
    retry_together: list[int] = field(default_factory=list)
    # Set when something must be retried as a whole (the batch stopped; a summary not finished).
    transient_error: BaseException | None = None


# -- publishing ------------------------------------------------------------------------------


def _publish(task, chunks: Iterable[list], what: str, countdown: int | None = None) -> int:
    """Publish one task per chunk; on a broker failure log it and stop (the rows stay queued)."""
    published = 0
    for chunk in chunks:
        try:
            task.apply_async(args=[chunk], countdown=countdown, retry=False)
        except (BrokerError, OSError) as error:
            logger.warning("broker unavailable, %s left queued for the sweeper: %s", what, error, extra={"ids": chunk})
            return published
        published += 1
    return published


def invitations_publish(*, invitation_ids: list[int]) -> int:
    """Publish send tasks for these invitations now. Returns the number of tasks published."""
    from surveys.tasks import invitations_send_task

    return _publish(invitations_send_task, _chunks(invitation_ids), "invitations")


def invitation_publish_retry(*, invitation_id: int, countdown: int) -> bool:
    """Publish a send task for this one invitation in ``countdown`` seconds (False if the broker is
    down: the row stays queued and ``invitations_sweep`` publishes it after its quiet period)."""
    from surveys.tasks import invitations_send_task

    return bool(_publish(invitations_send_task, [[invitation_id]], "an invitation's retry", countdown=countdown))


def invitations_queue(*, invitation_ids: list[int]) -> None:
    """Publish send tasks once the current transaction commits (nothing is sent on rollback)."""
    ids = list(invitation_ids)
    if ids:
        transaction.on_commit(lambda: invitations_publish(invitation_ids=ids))


@transaction.atomic
def survey_open_and_invite(*, module: Module, now: datetime.datetime | None = None) -> Survey | None:
    """Open the module's survey, record one invitation per invited participant, mail them after commit.

    Call it inside the transaction that marks the module delivered. Idempotent: calling it again
    invites only participants who were not invited yet (and re-publishes rows still queued).
    Returns None for a module without a survey (module 6).
    """
    if not module.has_survey:
        return None
    survey = survey_open_for_module(module=module, now=now)
    if survey.status == Survey.Status.OPEN:
        queued = list(survey.invitations.filter(status=Invitation.Status.QUEUED).values_list("pk", flat=True))
        invitations_queue(invitation_ids=queued)
    return survey


# -- sending invitations ---------------------------------------------------------------------


def answer_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(ANSWER_URL_NAME, kwargs={"token": token})


def _claim(ids: list[int], now: datetime.datetime) -> list[int]:
    """Move the given rows that are claimable to "sending"; returns the ids this call won.

    Claimable: queued, or "sending" for longer than any task can live. Call inside a transaction.
    On PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED (the condition is re-checked on
    the locked row) and updated in one statement. Elsewhere (SQLite: one writer at a time) each
    row gets a conditional UPDATE on its own columns, and its row count says who won it.
    """
    claimable = Q(status=Invitation.Status.QUEUED) | Q(
        status=Invitation.Status.SENDING, sending_started_at__lt=now - sending_stale_after()
    )
    # No attempt is counted here: only for the messages actually handed to the server (_try).
    claim = {"status": Invitation.Status.SENDING, "sending_started_at": now, "updated_at": now}
    ids = sorted(set(ids))
    if connection.features.has_select_for_update_skip_locked:
        won = list(
            Invitation.objects.select_for_update(skip_locked=True)
            .filter(claimable, pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        Invitation.objects.filter(pk__in=won).update(**claim)
        return won
    return [pk for pk in ids if Invitation.objects.filter(claimable, pk=pk).update(**claim)]


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


def _invitation_context(invitation: Invitation, link: str, *, reminder: bool = False) -> dict:
    survey = invitation.survey
    module = survey.module
    return {
        "person": invitation.membership.person,
        "cohort": module.cohort,
        "module": module,
        "survey": survey,
        "closes_at": timezone.localtime(survey.closes_at),
        "link": link,
        "reminder": reminder,
        "reminder_number": invitation.reminders_sent,
        "site_url": settings.SITE_URL,
    }


def invitation_message(invitation: Invitation, token: str, *, reminder: bool = False):
    """The personalised message (plain text and HTML) carrying the participant's link."""
    template = "surveys/emails/reminder" if reminder else "surveys/emails/invitation"
    context = _invitation_context(invitation, answer_url(token), reminder=reminder)
    with translation.override(settings.LANGUAGE_CODE):
        mail = mail_render(template=template, context=context)
    return mail_message(
        to=invitation.membership.person.email,
        mail=mail,
        headers={"X-LC-Invitation": str(invitation.pk), "Auto-Submitted": "auto-generated"},
    )


def _record(invitation, message, token, *, kind, status, error=""):
    sent_email_record(message=message, kind=kind, status=status, target=invitation, error=error, secrets=[token])


def invitations_send(*, invitation_ids: list[int], now: datetime.datetime | None = None) -> SendResult:
    """Send the given invitations that are still to be sent, over one mail connection.

    Safe to call twice with the same ids, from two workers at once, or after a crash.
    """
    now = now or timezone.now()
    result = SendResult()
    with transaction.atomic():
        result.failed.extend(_fail_unsendable(invitation_ids, now))
        eligible = list(
            Invitation.objects.with_active_membership()
            .filter(pk__in=invitation_ids, survey__status=Survey.Status.OPEN, survey__closes_at__gt=now)
            .values_list("pk", flat=True)
        )
        claimed = _claim(eligible, now)
        # Least tried first: a row whose message keeps breaking the connection does not stand in
        # front of the others on every retry.
        invitations = list(
            Invitation.objects.filter(pk__in=claimed)
            .select_related("survey__module__cohort", "membership__person")
            .order_by("attempts", "pk")
        )
    result.skipped = sorted(set(invitation_ids) - set(claimed) - set(result.failed))
    if invitations:
        _deliver(invitations, result, kind=KIND_INVITATION)
    return result


def _refused_for_this_message(error: BaseException) -> bool:
    """Whether the server refused this one message (its recipient or its content) and the connection
    goes on: RCPT or DATA answered with an error other than 421, which closes the connection.

    Everything else that goes wrong (refused or dropped connection, timeout, 421, the sender
    refused) is not this recipient's doing and would happen to the next message too.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code != 421 for code, _reply in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code != 421


def _try(invitation: Invitation, *, reminder: bool) -> str:
    """Count the attempt (invitation mails only) and issue the link this message will carry.

    Two commits, not one: a crash between them leaves an attempt counted for a message never
    handed over, which is harmless, and a transaction here would cost two statements a message.
    """
    if not reminder:
        Invitation.objects.filter(pk=invitation.pk).update(attempts=F("attempts") + 1)
        invitation.attempts += 1
    return invitation_issue_token(invitation=invitation)


def _deliver(invitations: list[Invitation], result: SendResult, *, kind: str) -> None:
    """Send each claimed invitation (or reminder) and record the outcome row by row.

    Rows still "sending" when this stops early (connection failure, time limit, crash in
    rendering) are put back to queued in the ``finally`` so that nothing is stranded.
    """
    reminder = kind == KIND_REMINDER
    remaining = list(invitations)
    connection = get_connection()
    try:
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as error:
            _connection_failed(remaining, error, result, reminder=reminder)
            remaining = []
            return
        while remaining:
            invitation = remaining[0]
            token = _try(invitation, reminder=reminder)
            message = invitation_message(invitation, token, reminder=reminder)
            try:
                connection.send_messages([message])
            except (smtplib.SMTPException, OSError) as error:
                remaining.pop(0)
                if not mail_error_is_transient(error):
                    _mark_failed(invitation, message, token, error, kind=kind, reminder=reminder)
                    result.failed.append(invitation.pk)
                    continue
                _mark_deferred(invitation, message, token, error, kind=kind, reminder=reminder)
                result.deferred.append(invitation.pk)
                if _refused_for_this_message(error):
                    # A reminder refused for now is simply still due: reminders_queue_due offers it
                    # again on its next run, which is its backoff.
                    if not reminder:
                        result.retry_alone[invitation.pk] = invitation.attempts
                    continue
                result.retry_together.append(invitation.pk)
                result.transient_error = error
                return
            remaining.pop(0)
            _mark_sent(invitation, message, token, kind=kind, reminder=reminder)
            result.sent.append(invitation.pk)
    finally:
        if remaining:
            _release(remaining, reminder=reminder)
            result.deferred.extend(invitation.pk for invitation in remaining)
            result.retry_together.extend(invitation.pk for invitation in remaining)
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            logger.info("closing the mail connection failed", exc_info=True)


def _connection_failed(invitations, error, result, *, reminder):
    """No connection at all: nothing was tried, so no attempt is counted."""
    text = mail_error_text(error)
    if mail_error_is_transient(error):
        logger.warning("mail server unavailable, %d messages deferred: %s", len(invitations), text)
        _release(invitations, reminder=reminder, error=text)
        result.deferred.extend(invitation.pk for invitation in invitations)
        result.retry_together.extend(invitation.pk for invitation in invitations)
        result.transient_error = error
        return
    logger.error("mail server refused the connection, %d messages failed: %s", len(invitations), text)
    now = timezone.now()
    ids = [invitation.pk for invitation in invitations]
    if reminder:
        Invitation.objects.filter(pk__in=ids).update(last_error=_("Reminder: %(error)s") % {"error": text})
    else:
        Invitation.objects.filter(pk__in=ids, status=Invitation.Status.SENDING).update(
            status=Invitation.Status.FAILED, last_error=text, updated_at=now
        )
    result.failed.extend(ids)


def _mark_sent(invitation, message, token, *, kind, reminder):
    now = timezone.now()
    with transaction.atomic():
        if not reminder:
            Invitation.objects.filter(pk=invitation.pk).update(
                status=Invitation.Status.SENT, sent_at=now, last_error="", updated_at=now
            )
        _record(invitation, message, token, kind=kind, status=SentEmail.Status.SENT)


def _server_refused(error: BaseException) -> bool:
    """The server answered the message with an error, so it did not take it (a dropped connection
    leaves that open: the message may have been accepted just before)."""
    return isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPResponseException)


def _mark_failed(invitation, message, token, error, *, kind, reminder):
    text = mail_error_text(error)
    logger.warning("mail to invitation %s refused permanently: %s", invitation.pk, text)
    now = timezone.now()
    with transaction.atomic():
        if _server_refused(error):
            invitation_link_withdraw(token=token)
        if reminder:
            # The reminder stays counted: the address is refused, so trying again would only repeat it.
            Invitation.objects.filter(pk=invitation.pk).update(
                last_error=_("Reminder: %(error)s") % {"error": text}, updated_at=now
            )
        else:
            Invitation.objects.filter(pk=invitation.pk).update(
                status=Invitation.Status.FAILED, last_error=text, updated_at=now
            )
        _record(invitation, message, token, kind=kind, status=SentEmail.Status.FAILED, error=text)


def _mark_deferred(invitation, message, token, error, *, kind, reminder):
    text = mail_error_text(error)
    logger.info("temporary mail error for invitation %s, will retry: %s", invitation.pk, text)
    with transaction.atomic():
        if _server_refused(error):
            invitation_link_withdraw(token=token)
        _release([invitation], reminder=reminder, error=text)
        _record(invitation, message, token, kind=kind, status=SentEmail.Status.DEFERRED, error=text)


def _release(invitations: list[Invitation], *, reminder: bool, error: str = "") -> None:
    """Give claimed rows back: invitations to queued, reminders un-counted (only if still ours)."""
    now = timezone.now()
    for invitation in invitations:
        if reminder:
            Invitation.objects.filter(
                pk=invitation.pk,
                reminders_sent=invitation.reminders_sent,
                last_reminder_at=invitation.last_reminder_at,
            ).update(
                reminders_sent=invitation.reminders_sent - 1,
                last_reminder_at=invitation.previous_reminder_at,
                last_error=_("Reminder: %(error)s") % {"error": error} if error else F("last_error"),
                updated_at=now,
            )
        else:
            Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENDING).update(
                status=Invitation.Status.QUEUED, last_error=error or F("last_error"), updated_at=now
            )


@transaction.atomic
def invitation_resend(*, invitation: Invitation, now: datetime.datetime | None = None) -> Invitation:
    """Send an invitation again with a new link (earlier links keep working), after commit."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_related("survey", "membership").get(pk=invitation.pk)
    if invitation.survey.status != Survey.Status.OPEN or invitation.survey.closes_at <= now:
        raise ValidationError(_("The survey is not open, so no invitation can be sent."), code="survey_not_open")
    if not invitation.membership.is_active:
        raise ValidationError(_("This participant has withdrawn from the cohort."), code="withdrawn")
    if invitation.answer_is_final:
        raise ValidationError(
            _("This participant has answered an anonymous survey; a new link would not reach their answers."),
            code="anonymous_responded",
        )
    if (
        invitation.status == Invitation.Status.SENDING
        and invitation.sending_started_at
        and invitation.sending_started_at >= now - sending_stale_after()
    ):
        raise ValidationError(_("This invitation is being sent right now."), code="sending")
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.QUEUED, queued_at=now, last_error="", updated_at=now
    )
    invitations_queue(invitation_ids=[invitation.pk])
    invitation.refresh_from_db()
    return invitation


def invitations_sweep(*, now: datetime.datetime | None = None) -> int:
    """Publish again every invitation left behind: never published (broker down), a lost retry,
    or "sending" by a worker that died. Returns the number of invitations published."""
    now = now or timezone.now()
    open_surveys = Q(survey__status=Survey.Status.OPEN, survey__closes_at__gt=now)
    stale = Q(status=Invitation.Status.SENDING, sending_started_at__lt=now - sending_stale_after())
    left_queued = (
        Q(status=Invitation.Status.QUEUED)
        & (Q(queued_at__isnull=True) | Q(queued_at__lt=now - QUEUED_GRACE))
        & (Q(sending_started_at__isnull=True) | Q(sending_started_at__lt=now - _retry_quiet_period()))
    )
    ids = list(Invitation.objects.filter(open_surveys).filter(stale | left_queued).values_list("pk", flat=True))
    if not ids:
        return 0
    published = invitations_publish(invitation_ids=ids)
    logger.info("sweep: %d invitations left behind, %d tasks published", len(ids), published)
    return len(ids) if published else 0


# -- reminders -------------------------------------------------------------------------------


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
        from surveys.tasks import reminders_send_task

        _publish(reminders_send_task, _chunks(ids), "reminders")
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
        .select_related("survey__module__cohort", "membership__person")
        .order_by("pk")
    }
    claimed = []
    with transaction.atomic():
        for pk, invitation in sorted(rows.items()):
            if Invitation.objects.filter(
                pk=pk,
                reminders_sent=invitation.reminders_sent,
                last_reminder_at=invitation.last_reminder_at,
                responded_at__isnull=True,
            ).update(reminders_sent=F("reminders_sent") + 1, last_reminder_at=now, updated_at=now):
                invitation.previous_reminder_at = invitation.last_reminder_at
                invitation.reminders_sent += 1
                invitation.last_reminder_at = now
                claimed.append(invitation)
    result.skipped = sorted(set(invitation_ids) - {invitation.pk for invitation in claimed})
    if claimed:
        _deliver(claimed, result, kind=KIND_REMINDER)
    return result


# -- opening and closing on time ---------------------------------------------------------------


def surveys_open_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Modules 1-5 that have ended: mark the undelivered ones delivered and open their surveys.

    Also opens the survey of a module marked delivered without one (e.g. before surveys were set up).
    Returns the ids of the modules handled.
    """
    from modules.services import module_mark_delivered

    now = now or timezone.now()
    recent = Q(ends_at__lte=now, ends_at__gte=now - OPEN_DUE_LOOKBACK)
    modules = (
        Module.objects.filter(recent, number__lte=5)
        .exclude(cohort__status=Cohort.Status.FINISHED)
        .filter(Q(state=Module.State.PLANNED) | Q(survey__isnull=True) | Q(survey__status=Survey.Status.DRAFT))
        .order_by("ends_at")
    )
    handled = []
    for module in modules:
        with transaction.atomic():
            if module.is_delivered:
                survey_open_and_invite(module=module, now=now)
            else:
                module = module_mark_delivered(module=module)  # opens the survey and invites too
        handled.append(module.pk)
        logger.info("module %s ended without being marked delivered; survey opened", module.pk)
    return handled


def surveys_close_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Close every survey past its closing time and queue the facilitators' summary. Returns survey ids."""
    now = now or timezone.now()
    closed = []
    # Summaries whose task was lost (broker down at closing time, retries exhausted).
    for survey in Survey.objects.filter(
        status=Survey.Status.CLOSED,
        summary_sent_at__isnull=True,
        closed_at__lt=now - QUEUED_GRACE,
        closed_at__gte=now - OPEN_DUE_LOOKBACK,
    ):
        summary_queue(survey=survey)
    for survey in Survey.objects.due_to_close(now):
        with transaction.atomic():
            if not survey_close(survey=survey, now=now):
                continue
            Invitation.objects.filter(survey=survey, status=Invitation.Status.QUEUED).update(
                status=Invitation.Status.FAILED, last_error=_("Not sent: the survey closed first."), updated_at=now
            )
            summary_queue(survey=survey)
        closed.append(survey.pk)
    return closed


def summary_queue(*, survey: Survey) -> None:
    from surveys.tasks import summary_send_task

    survey_id = survey.pk

    def publish():
        try:
            summary_send_task.apply_async(args=[survey_id], retry=False)
        except (BrokerError, OSError) as error:
            logger.warning("broker unavailable, summary of survey %s left for the next run: %s", survey_id, error)

    transaction.on_commit(publish)


def _summary_context(survey: Survey) -> dict:
    counts = survey_summary_counts(survey=survey)
    return {
        "survey": survey,
        "module": survey.module,
        "cohort": survey.module.cohort,
        "counts": counts,
        "rate": counts.rate,
        "results_link": settings.SITE_URL.rstrip("/") + survey.results_url(),
        "closed_at": timezone.localtime(survey.closed_at or timezone.now()),
    }


def summary_send(*, survey_id: int) -> SendResult:
    """Mail each active facilitator of the cohort one summary of a closed survey.

    Facilitators who already have one (per the mail log) are skipped, so a retry or a second
    delivery of the task does not mail anyone twice.
    """
    result = SendResult()
    survey = Survey.objects.select_related("module__cohort").filter(pk=survey_id, status=Survey.Status.CLOSED).first()
    if survey is None:
        return result
    already = set(
        SentEmail.objects.filter(
            kind=KIND_SUMMARY,
            status=SentEmail.Status.SENT,
            content_type__app_label="surveys",
            content_type__model="survey",
            object_id=survey.pk,
        ).values_list("to", flat=True)
    )
    facilitators = [
        membership.person
        for membership in Membership.objects.active()
        .facilitators()
        .filter(cohort=survey.module.cohort_id)
        .select_related("person")
        if membership.person.email not in already
    ]
    if not facilitators:
        Survey.objects.filter(pk=survey.pk, summary_sent_at__isnull=True).update(summary_sent_at=timezone.now())
        return result
    with translation.override(settings.LANGUAGE_CODE):
        context = _summary_context(survey)
    connection = get_connection()
    try:
        connection.open()
        for person in facilitators:
            with translation.override(settings.LANGUAGE_CODE):
                mail = mail_render(template="surveys/emails/summary", context={**context, "person": person})
            message = mail_message(to=person.email, mail=mail, headers={"Auto-Submitted": "auto-generated"})
            try:
                connection.send_messages([message])
            except (smtplib.SMTPException, OSError) as error:
                text = mail_error_text(error)
                if mail_error_is_transient(error):
                    sent_email_record(
                        message=message, kind=KIND_SUMMARY, status=SentEmail.Status.DEFERRED, target=survey, error=text
                    )
                    result.deferred.append(person.pk)
                    result.transient_error = error
                    # As for invitations: one facilitator's full mailbox does not hold back the
                    # others; a failed connection stops here. The retry mails only who is missing.
                    if _refused_for_this_message(error):
                        continue
                    return result
                sent_email_record(
                    message=message, kind=KIND_SUMMARY, status=SentEmail.Status.FAILED, target=survey, error=text
                )
                result.failed.append(person.pk)
                continue
            sent_email_record(message=message, kind=KIND_SUMMARY, status=SentEmail.Status.SENT, target=survey)
            result.sent.append(person.pk)
    except (smtplib.SMTPException, OSError) as error:
        # Opening the connection failed.
        if not mail_error_is_transient(error):
            raise
        result.transient_error = error
        return result
    finally:
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            logger.info("closing the mail connection failed", exc_info=True)
    if result.transient_error is None:
        Survey.objects.filter(pk=survey.pk, summary_sent_at__isnull=True).update(summary_sent_at=timezone.now())
    return result


@transaction.atomic
def invitations_resend_failed(*, survey: Survey, now: datetime.datetime | None = None) -> int:
    """Queue again every failed invitation of an open survey to a participant still taking part."""
    now = now or timezone.now()
    if survey.status != Survey.Status.OPEN or survey.closes_at <= now:
        raise ValidationError(_("The survey is not open, so no invitation can be sent."), code="survey_not_open")
    rows = Invitation.objects.with_active_membership().filter(survey=survey, status=Invitation.Status.FAILED)
    ids = list(rows.values_list("pk", flat=True))
    Invitation.objects.filter(pk__in=ids, status=Invitation.Status.FAILED).update(
        status=Invitation.Status.QUEUED, queued_at=now, last_error="", updated_at=now
    )
    invitations_queue(invitation_ids=ids)
    return len(ids)
