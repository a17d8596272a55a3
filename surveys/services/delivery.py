"""Handing messages to the mail server: one connection per batch, every outcome recorded.

Invitations, reminders and the facilitators' summary all go through ``deliver``. Each outgoing item
builds its message just before it is handed over and records what became of it:

* accepted: ``on_sent``;
* refused for good (5xx): ``on_failed``, and the batch goes on;
* a recipient's server refusing this one message for now (4xx to RCPT or DATA: mailbox full,
  greylisting): ``on_deferred`` then ``on_refused_for_now``, and the batch goes on, so one full
  mailbox never holds back the others;
* a failure of the connection itself (refused, dropped, timed out, 421, the sender refused for now):
  ``on_deferred`` for the message in flight, then the batch stops; the items not reached are
  handed to ``release`` and all of them are retried together later.
"""

import datetime
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from common.mail import mail_error_is_transient, mail_error_text

logger = logging.getLogger(__name__)


def sending_stale_after() -> datetime.timedelta:
    """After this, a "sending" row belongs to a task that is certainly dead: the hard time limit
    kills every task, and the margin covers clock skew between workers."""
    return datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 1.5)


def mail_retry_countdown(retries: int) -> int:
    """Seconds before the next try after ``retries`` failed ones (the last step repeats)."""
    table = settings.MAIL_RETRY_COUNTDOWNS
    return table[min(retries, len(table) - 1)]


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


class Outgoing:
    """One message to hand to the server, and what to record after each outcome."""

    pk: int

    def message(self) -> EmailMessage:
        """Build the message, just before it is handed over."""
        raise NotImplementedError

    def on_sent(self, message: EmailMessage) -> None:
        raise NotImplementedError

    def on_failed(self, message: EmailMessage, error: BaseException) -> None:
        raise NotImplementedError

    def on_deferred(self, message: EmailMessage, error: BaseException) -> None:
        raise NotImplementedError

    def on_refused_for_now(self, error: BaseException, result: SendResult) -> None:
        """The recipient's server refused this message for now and the batch went on: say in
        ``result`` how it is to be retried (by default, it is simply still due next time)."""


def refused_for_this_message(error: BaseException) -> bool:
    """Whether the server refused this one message (its recipient or its content) and the connection
    goes on: RCPT or DATA answered with an error other than 421, which closes the connection.

    Everything else that goes wrong (refused or dropped connection, timeout, 421, the sender
    refused) is not this recipient's doing and would happen to the next message too.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code != 421 for code, _reply in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code != 421


def server_refused(error: BaseException) -> bool:
    """The server answered the message with an error, so it did not take it (a dropped connection
    leaves that open: the message may have been accepted just before)."""
    return isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPResponseException)


def _keep(items: list[Outgoing], error: str) -> None:
    """Nothing was claimed for these items, so nothing is given back."""


def deliver(
    items: list[Outgoing],
    result: SendResult,
    *,
    release: Callable[[list[Outgoing], str], None] = _keep,
    connection_refused: Callable[[list[Outgoing], BaseException], None] | None = None,
) -> None:
    """Send each item over one connection and record the outcome item by item.

    ``release(items, error text)`` gives back the items never handed over: those after a connection
    failure, or all of them when the server cannot be reached for now. ``connection_refused(items,
    error)`` records that the server refused the connection for good (without it, the error is
    raised). Items not reached when this stops early (connection failure, time limit, a crash while
    rendering) are released in the ``finally``, so that nothing is stranded.
    """
    remaining = list(items)
    connection = get_connection()
    try:
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as error:
            _connection_failed(remaining, error, result, release=release, connection_refused=connection_refused)
            remaining = []
            return
        while remaining:
            item = remaining[0]
            message = item.message()
            try:
                connection.send_messages([message])
            except (smtplib.SMTPException, OSError) as error:
                remaining.pop(0)
                if not mail_error_is_transient(error):
                    item.on_failed(message, error)
                    result.failed.append(item.pk)
                    continue
                item.on_deferred(message, error)
                result.deferred.append(item.pk)
                if refused_for_this_message(error):
                    item.on_refused_for_now(error, result)
                    continue
                result.retry_together.append(item.pk)
                result.transient_error = error
                return
            remaining.pop(0)
            item.on_sent(message)
            result.sent.append(item.pk)
    finally:
        if remaining:
            release(remaining, "")
            result.deferred.extend(item.pk for item in remaining)
            result.retry_together.extend(item.pk for item in remaining)
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            logger.info("closing the mail connection failed", exc_info=True)


def _connection_failed(items, error, result, *, release, connection_refused) -> None:
    """No connection at all: nothing was tried, so no attempt is counted."""
    text = mail_error_text(error)
    if mail_error_is_transient(error):
        logger.warning("mail server unavailable, %d messages deferred: %s", len(items), text)
        release(items, text)
        result.deferred.extend(item.pk for item in items)
        result.retry_together.extend(item.pk for item in items)
        result.transient_error = error
        return
    if connection_refused is None:
        raise error
    logger.error("mail server refused the connection, %d messages failed: %s", len(items), text)
    connection_refused(items, error)
    result.failed.extend(item.pk for item in items)
