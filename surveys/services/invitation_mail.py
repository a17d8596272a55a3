"""The personal mail of one invitation or reminder, and what its sending records on the invitation row.

Every attempt is logged in ``common.SentEmail`` with the personal link removed. An invitation's
attempt is counted, and the message's link issued, just before the message is handed to the server:
rows a batch never reached keep their count. A message the server refused takes its link with it.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.mail import mail_error_text, mail_message, mail_render, sent_email_record
from common.models import SentEmail
from surveys.models import Invitation

from .delivery import Outgoing, SendResult, deliver, server_refused
from .surveys import invitation_issue_token, invitation_link_withdraw

logger = logging.getLogger(__name__)

KIND_INVITATION = "surveys.invitation"
KIND_REMINDER = "surveys.reminder"

ANSWER_URL_NAME = "surveys:answer_start"


def answer_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(ANSWER_URL_NAME, kwargs={"token": token})


def _invitation_context(invitation: Invitation, link: str, *, reminder: bool = False) -> dict:
    survey = invitation.survey
    return {
        "person": invitation.membership.person,
        "cohort": survey.cohort,
        # None for the surveys that follow no module: the mails then name ``survey.title``.
        "module": survey.module,
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


class InvitationMail(Outgoing):
    """An invitation (or a reminder) claimed by this batch."""

    def __init__(self, invitation: Invitation, *, kind: str):
        self.invitation = invitation
        self.pk = invitation.pk
        self.kind = kind
        self.reminder = kind == KIND_REMINDER
        self.token = ""

    def message(self):
        """Count the attempt (invitation mails only) and issue the link this message will carry.

        Two commits, not one: a crash between them leaves an attempt counted for a message never
        handed over, which is harmless, and a transaction here would cost two statements a message.
        """
        if not self.reminder:
            Invitation.objects.filter(pk=self.pk).update(attempts=F("attempts") + 1)
            self.invitation.attempts += 1
        self.token = invitation_issue_token(invitation=self.invitation)
        return invitation_message(self.invitation, self.token, reminder=self.reminder)

    def _record(self, message, *, status, error=""):
        sent_email_record(
            message=message, kind=self.kind, status=status, target=self.invitation, error=error, secrets=[self.token]
        )

    def on_sent(self, message):
        now = timezone.now()
        with transaction.atomic():
            if not self.reminder:
                Invitation.objects.filter(pk=self.pk).update(
                    status=Invitation.Status.SENT, sent_at=now, last_error="", updated_at=now
                )
            self._record(message, status=SentEmail.Status.SENT)

    def on_failed(self, message, error):
        text = mail_error_text(error)
        logger.warning("mail to invitation %s refused permanently: %s", self.pk, text)
        now = timezone.now()
        with transaction.atomic():
            if server_refused(error):
                invitation_link_withdraw(token=self.token)
            if self.reminder:
                # The reminder stays counted: the address is refused, so trying again would only repeat it.
                Invitation.objects.filter(pk=self.pk).update(
                    last_error=_("Reminder: %(error)s") % {"error": text}, updated_at=now
                )
            else:
                Invitation.objects.filter(pk=self.pk).update(
                    status=Invitation.Status.FAILED, last_error=text, updated_at=now
                )
            self._record(message, status=SentEmail.Status.FAILED, error=text)

    def on_deferred(self, message, error):
        text = mail_error_text(error)
        logger.info("temporary mail error for invitation %s, will retry: %s", self.pk, text)
        with transaction.atomic():
            if server_refused(error):
                invitation_link_withdraw(token=self.token)
            _release([self], error=text)
            self._record(message, status=SentEmail.Status.DEFERRED, error=text)

    def on_refused_for_now(self, error, result: SendResult):
        # A reminder refused for now is simply still due: reminders_queue_due offers it again on its
        # next run, which is its backoff. An invitation is retried alone, by its own attempts.
        if not self.reminder:
            result.retry_alone[self.pk] = self.invitation.attempts


def _release(mails: list[InvitationMail], error: str = "") -> None:
    """Give claimed rows back: invitations to queued, reminders un-counted (only if still ours)."""
    now = timezone.now()
    for mail in mails:
        invitation = mail.invitation
        if mail.reminder:
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


def _connection_refused(mails: list[InvitationMail], error: BaseException) -> None:
    """The server refused the connection for good: invitations fail, reminders stay counted."""
    text = mail_error_text(error)
    ids = [mail.pk for mail in mails]
    if mails and mails[0].reminder:
        Invitation.objects.filter(pk__in=ids).update(last_error=_("Reminder: %(error)s") % {"error": text})
    else:
        Invitation.objects.filter(pk__in=ids, status=Invitation.Status.SENDING).update(
            status=Invitation.Status.FAILED, last_error=text, updated_at=timezone.now()
        )


def invitation_mails_deliver(*, invitations: list[Invitation], result: SendResult, kind: str) -> None:
    """Send these claimed invitations (or reminders) over one connection, recording each outcome."""
    mails = [InvitationMail(invitation, kind=kind) for invitation in invitations]
    deliver(mails, result, release=_release, connection_refused=_connection_refused)
