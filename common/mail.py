"""E-mail for every app: render a personalised message, classify errors, log each attempt.

Mail always goes through Django's e-mail backends (``EMAIL_BACKEND``), so an SMTP server or a
provider's backend can be used. The from-address is ``DEFAULT_FROM_EMAIL`` and replies go to
``EMAIL_REPLY_TO``. Every attempt is written to ``SentEmail`` with personal links removed.
"""

import contextlib
import datetime
import functools
import logging
import smtplib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import make_msgid, parseaddr
from importlib import import_module
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPEmailBackend
from django.db import models
from django.template.loader import render_to_string

from .mime import MimeSkeleton, SkeletonMessage, plain_address
from .models import SentEmail

logger = logging.getLogger(__name__)

REDACTED = "[personal link removed]"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class SkeletonFill(NamedTuple):
    """A message's own values in a batch's ``MimeSkeleton``: what replaces each mark in its text
    and in its HTML."""

    skeleton: MimeSkeleton
    text_values: dict[str, str]
    html_values: dict[str, str]


def mail_render(*, template: str, context: dict) -> RenderedMail:
    """Render ``<template>_subject.txt``, ``<template>.txt`` and ``<template>.html``."""
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    return RenderedMail(
        subject=subject,
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
    )


def _message_id_domain() -> str:
    return _domain_of(settings.DEFAULT_FROM_EMAIL)


@functools.lru_cache(maxsize=8)
def _domain_of(from_email: str) -> str:
    # Parsed once per address: a batch of invitations asks for every message.
    address = parseaddr(from_email)[1]
    return address.rpartition("@")[2] or "localhost"


def mail_message(
    *, to: str, mail: RenderedMail, headers: dict | None = None, skeleton: SkeletonFill | None = None
) -> EmailMultiAlternatives:
    """A plain-text message with an HTML alternative, from and reply-to as the settings say; its MIME
    bytes made from ``skeleton`` where they can be (``common.mime``)."""
    kind, fill = (EmailMultiAlternatives, {}) if skeleton is None else (SkeletonMessage, skeleton._asdict())
    message = kind(
        subject=mail.subject,
        body=mail.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=list(settings.EMAIL_REPLY_TO) or None,
        # Set here rather than by the backend so that the log can name the message.
        headers={"Message-ID": make_msgid(domain=_message_id_domain()), **(headers or {})},
        **fill,
    )
    message.attach_alternative(mail.html, "text/html")
    return message


def mail_error_is_transient(error: BaseException) -> bool:
    """Whether trying again later may succeed: SMTP 4xx replies, dropped or refused connections, timeouts.

    5xx replies (unknown mailbox, message rejected) are permanent and must not be retried.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPException):
        # e.g. SMTPNotSupportedError: the server lacks something we need; waiting will not help.
        return False
    # Refused or reset connections, timeouts, unreachable hosts, failed DNS look-ups (all OSError).
    return isinstance(error, OSError)


def mail_error_text(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
            for address, (code, reply) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        reply = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"{error.smtp_code} {reply}"
    return f"{type(error).__name__}: {error}"[:1000]


def _redact(text: str, secrets: Iterable[str]) -> tuple[str, bool]:
    redacted = False
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
            redacted = True
    return text, redacted


def sent_email_values(
    *,
    message: EmailMultiAlternatives,
    kind: str,
    status: str,
    target: models.Model | None = None,
    error: str = "",
    secrets: Iterable[str] = (),
) -> dict:
    """The columns of the log row of one attempt, by attname, but its time stamps (for a caller that
    writes it without a model instance: ``common.compiled.update_and_insert_values``). ``secrets``
    (e.g. the link token) never reach the database."""
    body, redacted = _redact(message.body, secrets)
    return {
        "kind": kind,
        "to": ", ".join(message.to),
        "subject": message.subject[:300],
        "body": body,
        "redacted": redacted,
        "status": status,
        "error": error,
        "message_id": message.extra_headers.get("Message-ID", "")[:300],
        "content_type_id": ContentType.objects.get_for_model(target).pk if target is not None else None,
        "object_id": target.pk if target is not None else None,
    }


def sent_email_build(**fields) -> SentEmail:
    """The log row of one attempt (the keyword arguments of ``sent_email_values``), not saved yet
    (for a caller that saves it in a statement of its own)."""
    return SentEmail(**sent_email_values(**fields))


def sent_email_record(**fields) -> SentEmail:
    """Log one attempt (the keyword arguments of ``sent_email_build``)."""
    row = sent_email_build(**fields)
    row.save(force_insert=True)
    return row


# -- resending from the log ---------------------------------------------------------------

_RESENDERS: dict[str, Callable[[SentEmail], str]] = {}


def mail_resender(kind: str):
    """Register how to resend a kind of mail: the app's service makes a fresh message (and link).

    The function takes the ``SentEmail`` and returns "queued", "sent", "failed" or "impossible".
    """

    def register(function):
        _RESENDERS[kind] = function
        return function

    return register


def sent_email_resend(*, sent_email: SentEmail) -> str:
    """Send a logged e-mail again: "queued" (its app remakes it), "sent", "failed" or "impossible".

    A kind ``<app>.<name>`` registers its resender in ``<app>.tasks`` (which Celery imports
    anyway), so that module is imported before the look-up. A mail without a resender is sent
    again word for word, unless a secret was removed from its logged body.
    """
    app_label = sent_email.kind.partition(".")[0]
    if app_label and sent_email.kind not in _RESENDERS:
        with contextlib.suppress(ModuleNotFoundError):
            import_module(f"{app_label}.tasks")
    resender = _RESENDERS.get(sent_email.kind)
    if resender is not None:
        return resender(sent_email)
    if sent_email.redacted:
        return "impossible"
    message = EmailMultiAlternatives(
        subject=sent_email.subject,
        body=sent_email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[sent_email.to],
        reply_to=list(settings.EMAIL_REPLY_TO) or None,
        headers={"Message-ID": make_msgid(domain=_message_id_domain())},
    )
    target = sent_email.target
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("resending mail %s failed: %s", sent_email.pk, error)
        sent_email_record(
            message=message,
            kind=sent_email.kind,
            status=SentEmail.Status.FAILED,
            target=target,
            error=mail_error_text(error),
        )
        return "failed"
    sent_email_record(message=message, kind=sent_email.kind, status=SentEmail.Status.SENT, target=target)
    return "sent"


# -- backends -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _quoteaddr(address: str) -> str:
    return smtplib.quoteaddr(address)


def smtp_quoted(address: str) -> str:
    """What smtplib's ``quoteaddr`` gives for ``address`` (a pure function): a plain address in angle
    brackets without parsing it, any other worked out once a process (the sender of every message)."""
    return f"<{address}>" if plain_address(address) else _quoteaddr(address)


class _QuotingOnce:
    """``mail`` and ``rcpt`` of Python 3.11's ``smtplib.SMTP``, with ``smtp_quoted`` for ``quoteaddr``
    (which parses every address again); a sender with the SMTPUTF8 option goes smtplib's way."""

    def mail(self, sender, options=()):
        if any(option.lower() == "smtputf8" for option in options):
            return super().mail(sender, options)
        optionlist = " " + " ".join(options) if options and self.does_esmtp else ""
        self.putcmd("mail", f"FROM:{smtp_quoted(sender)}{optionlist}")
        return self.getreply()

    def rcpt(self, recip, options=()):
        optionlist = " " + " ".join(options) if options and self.does_esmtp else ""
        self.putcmd("rcpt", f"TO:{smtp_quoted(recip)}{optionlist}")
        return self.getreply()


class _SMTP(_QuotingOnce, smtplib.SMTP):
    pass


class _SMTPSSL(_QuotingOnce, smtplib.SMTP_SSL):
    pass


class SMTPEmailBackend(DjangoSMTPEmailBackend):
    """Django's SMTP backend (``EMAIL_BACKEND``), except that a batch's message (``SkeletonMessage``)
    gives its own envelope: the sender parsed once a process and a plain recipient address as it is,
    where Django parses both again for every message (``sanitize_address``, a sixth of the worker's
    time per invitation). Every other message, and any address that is not plain, goes Django's way.
    Its connection (``_QuotingOnce``) does not parse them a third time either (smtplib's
    ``quoteaddr``, another twelfth).
    """

    @property
    def connection_class(self):
        return _SMTPSSL if self.use_ssl else _SMTP

    def _send(self, email_message):
        if not isinstance(email_message, SkeletonMessage):
            return super()._send(email_message)
        # Django 5.2's ``_send``, with the envelope from the message.
        if not email_message.recipients():
            return False
        from_email, recipients = email_message.envelope(email_message.encoding or settings.DEFAULT_CHARSET)
        message = email_message.message()
        try:
            self.connection.sendmail(from_email, recipients, message.as_bytes(linesep="\r\n"))
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True


class FolderEmailBackend(BaseEmailBackend):
    """Writes each message to its own ``.eml`` file in ``EMAIL_FILE_PATH`` (open it in any mail program)."""

    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.path = Path(file_path or settings.EMAIL_FILE_PATH)
        self.path.mkdir(parents=True, exist_ok=True)

    def send_messages(self, email_messages):
        count = 0
        for message in email_messages:
            stamp = datetime.datetime.now(tz=datetime.UTC).strftime("%Y%m%d-%H%M%S")
            recipient = (message.to or ["nobody"])[0].replace("@", "_at_").replace("/", "_")
            name = f"{stamp}-{recipient}-{uuid.uuid4().hex[:8]}.eml"
            (self.path / name).write_bytes(message.message().as_bytes())
            count += 1
        return count
