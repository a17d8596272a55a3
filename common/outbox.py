"""A small outbox for single e-mails that a request decides to send (e.g. a sign-in link).

The survey mail's rules (STYLE.md section 3), for one message at a time:

* ``outbox_enqueue`` writes an ``OutboxMail`` row in the caller's transaction and publishes the send
  task after commit; a rolled-back request sends nothing, and the request never waits for the mail
  server (nor for the broker more than its one-second connect timeout: the row stays queued and
  ``outbox_sweep`` publishes it later).
* ``outbox_send`` claims the row with a conditional UPDATE (queued -> sending), asks the function
  registered for its ``kind`` to make the message (a personal link is made only now, so none is
  stored), hands it to the mail backend and records the outcome on the row and in ``SentEmail``
  with the link removed. Temporary errors put the row back to queued and the task retries with
  ``MAIL_RETRY_COUNTDOWNS``; permanent ones fail the row.
* A row past its ``expires_at`` (a sign-in link nobody waits for any more) is cancelled, not sent.

Survey invitations keep their own batched outbox (surveys/services): they send thousands at once
over one connection; this one is for the odd message a person asked for.
"""

import datetime
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

# A module reference, not a name: common.tasks imports this module for its Celery tasks.
from . import tasks
from .mail import mail_error_is_transient, mail_error_text, sent_email_record
from .models import OutboxMail, SentEmail

logger = logging.getLogger(__name__)

SEND_TASK = "common.tasks.outbox_send"


@dataclass(frozen=True)
class OutboxMessage:
    message: EmailMessage
    # Strings (a link's token) replaced in the logged body.
    secrets: tuple[str, ...] = ()


# kind -> function(row) returning the message, or None when it is no longer wanted (cancelled).
_BUILDERS: dict[str, Callable[[OutboxMail], OutboxMessage | None]] = {}


def outbox_builder(kind: str):
    """Register how to make a kind's message at sending time. Register it in the app's
    ``AppConfig.ready()`` so that web processes and workers both know it."""

    def register(function):
        _BUILDERS[kind] = function
        return function

    return register


# kind -> function(row, changes) told each outcome written on a row (``changes``: the fields written),
# e.g. to mirror it on the row's target. Optional; a kind without one is only recorded here.
_OUTCOME_LISTENERS: dict[str, Callable[[OutboxMail, dict], None]] = {}


def outbox_outcome_listener(kind: str):
    """Register a function told each outcome of a kind's rows (sent, failed, cancelled, queued
    again), in the transaction that records it. Register it in the app's ``AppConfig.ready()``."""

    def register(function):
        _OUTCOME_LISTENERS[kind] = function
        return function

    return register


def mail_retry_countdown(retries: int) -> int:
    """Seconds before the next try after ``retries`` failed ones (the last step repeats)."""
    table = settings.MAIL_RETRY_COUNTDOWNS
    return table[min(retries, len(table) - 1)]


def _sending_stale_after() -> datetime.timedelta:
    """A "sending" row older than this belongs to a task the hard time limit has killed."""
    return datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 1.5)


def _left_behind_after() -> datetime.timedelta:
    """A queued row untouched for longer than the longest backoff has lost its task (or its retry)."""
    return datetime.timedelta(seconds=max(settings.MAIL_RETRY_COUNTDOWNS) + 60)


def outbox_enqueue(
    *, kind: str, to: str, target: models.Model | None = None, expires_in: datetime.timedelta | None = None
) -> OutboxMail:
    """Record one e-mail to send and publish its send task once the caller's transaction commits."""
    if kind not in _BUILDERS:
        raise LookupError(f"no outbox builder registered for {kind!r}")
    row = OutboxMail.objects.create(
        kind=kind,
        to=to,
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=target.pk if target is not None else None,
        expires_at=timezone.now() + expires_in if expires_in is not None else None,
    )
    transaction.on_commit(lambda: outbox_publish(ids=[row.pk]))
    return row


def outbox_publish(*, ids: list[int]) -> int:
    """Publish a send task per row; on a broker failure log it and stop (the rows stay queued and
    ``outbox_sweep`` publishes them again). Returns the number of tasks published."""
    published = 0
    for pk in ids:
        try:
            tasks.task_publish(SEND_TASK, args=[pk])
        except (BrokerError, OSError) as error:
            logger.warning("broker unavailable, outgoing e-mail %s left queued: %s", pk, error)
            break
        published += 1
    return published


@dataclass
class OutboxResult:
    status: str  # the row's status afterwards, or "skipped" when another call holds it
    transient_error: BaseException | None = None


def _finish(row: OutboxMail, status: str, *, error: str = "", now=None) -> None:
    changes = {"status": status, "last_error": error, "updated_at": now or timezone.now()}
    if status == OutboxMail.Status.SENT:
        changes["sent_at"] = changes["updated_at"]
    updated = OutboxMail.objects.filter(pk=row.pk, status=OutboxMail.Status.SENDING).update(**changes)
    listener = _OUTCOME_LISTENERS.get(row.kind)
    if updated and listener is not None:
        listener(row, changes)


def outbox_send(*, outbox_id: int, now: datetime.datetime | None = None) -> OutboxResult:
    """Send one outgoing e-mail if it is still to be sent. Safe to call twice, from two workers at
    once, or after a crash: only the call whose UPDATE claims the row sends it."""
    now = now or timezone.now()
    claimable = Q(status=OutboxMail.Status.QUEUED) | Q(
        status=OutboxMail.Status.SENDING, sending_started_at__lt=now - _sending_stale_after()
    )
    claimed = OutboxMail.objects.filter(claimable, pk=outbox_id).update(
        status=OutboxMail.Status.SENDING, sending_started_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return OutboxResult("skipped")
    row = OutboxMail.objects.select_related("content_type").get(pk=outbox_id)
    if row.expires_at is not None and row.expires_at <= now:
        _finish(row, OutboxMail.Status.CANCELLED, error="expired before it could be sent", now=now)
        return OutboxResult(OutboxMail.Status.CANCELLED)
    builder = _BUILDERS.get(row.kind)
    if builder is None:
        _finish(row, OutboxMail.Status.FAILED, error=f"no outbox builder registered for {row.kind!r}", now=now)
        return OutboxResult(OutboxMail.Status.FAILED)
    built = builder(row)
    if built is None:
        _finish(row, OutboxMail.Status.CANCELLED, error="no longer wanted", now=now)
        return OutboxResult(OutboxMail.Status.CANCELLED)
    return _hand_over(row, built)


def _hand_over(row: OutboxMail, built: OutboxMessage) -> OutboxResult:
    message = built.message
    connection = get_connection()
    try:
        connection.send_messages([message])
    except (smtplib.SMTPException, OSError) as error:
        text = mail_error_text(error)
        transient = mail_error_is_transient(error)
        with transaction.atomic():
            _finish(row, OutboxMail.Status.QUEUED if transient else OutboxMail.Status.FAILED, error=text)
            sent_email_record(
                message=message,
                kind=row.kind,
                status=SentEmail.Status.DEFERRED if transient else SentEmail.Status.FAILED,
                target=row.target,
                error=text,
                secrets=built.secrets,
            )
        if transient:
            logger.info("temporary mail error for outgoing e-mail %s, will retry: %s", row.pk, text)
            return OutboxResult(OutboxMail.Status.QUEUED, transient_error=error)
        logger.warning("outgoing e-mail %s refused permanently: %s", row.pk, text)
        return OutboxResult(OutboxMail.Status.FAILED)
    with transaction.atomic():
        _finish(row, OutboxMail.Status.SENT)
        sent_email_record(
            message=message, kind=row.kind, status=SentEmail.Status.SENT, target=row.target, secrets=built.secrets
        )
    return OutboxResult(OutboxMail.Status.SENT)


def outbox_sweep(*, now: datetime.datetime | None = None) -> int:
    """Cancel expired rows and publish again those left behind: queued with no task (broker down,
    retries given up) or "sending" under a dead task. Returns the number of rows published."""
    now = now or timezone.now()
    OutboxMail.objects.filter(
        status__in=[OutboxMail.Status.QUEUED, OutboxMail.Status.SENDING], expires_at__lte=now
    ).exclude(status=OutboxMail.Status.SENDING, sending_started_at__gte=now - _sending_stale_after()).update(
        status=OutboxMail.Status.CANCELLED, last_error="expired before it could be sent", updated_at=now
    )
    left_behind = Q(status=OutboxMail.Status.QUEUED, updated_at__lt=now - _left_behind_after()) | Q(
        status=OutboxMail.Status.SENDING, sending_started_at__lt=now - _sending_stale_after()
    )
    ids = list(OutboxMail.objects.filter(left_behind).order_by("pk").values_list("pk", flat=True)[:1000])
    return outbox_publish(ids=ids)
