"""The personal mail of one invitation or reminder, and what its sending records on the invitation row.

Every attempt is logged in ``common.SentEmail`` with the personal link removed. A batch's links are
issued in one INSERT in the transaction that claims it (which also counts an invitation's attempt);
the rows the batch never hands to the server are given back with their attempt un-counted and their
links deleted, so they keep their count. A message the server refused takes its link with it. A
message the server accepted is marked sent and logged in one statement.

The parts of the mail that are the same for every participant of a survey are rendered once per
process for what they show (``_Skeleton``, ``_SKELETONS``); each message only puts in its own name
and link.
"""

import html
import logging
import secrets
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import gettext as _

from cohorts.models import Membership, Person
from common.compiled import attnames, update_and_insert_values
from common.mail import (
    RenderedMail,
    SkeletonFill,
    mail_error_text,
    mail_message,
    mail_render,
    sent_email_record,
    sent_email_values,
)
from common.memo import Memo
from common.mime import MimeSkeleton
from common.models import SentEmail
from surveys.models import Invitation

from .delivery import Outgoing, SendResult, deliver, server_refused
from .surveys import invitation_link_withdraw, invitation_links_withdraw

logger = logging.getLogger(__name__)

KIND_INVITATION = "surveys.invitation"
KIND_REMINDER = "surveys.reminder"

ANSWER_URL_NAME = "surveys:answer_start"


def answer_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(ANSWER_URL_NAME, kwargs={"token": token})


def _invitation_context(invitation: Invitation, link: str, *, reminder: bool = False, person=None) -> dict:
    survey = invitation.survey
    return {
        "person": person or invitation.membership.person,
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


def _template(reminder: bool) -> str:
    return "surveys/emails/reminder" if reminder else "surveys/emails/invitation"


def _message(invitation: Invitation, mail: RenderedMail, *, skeleton: SkeletonFill | None = None):
    return mail_message(
        to=invitation.membership.person.email,
        mail=mail,
        headers={"X-LC-Invitation": str(invitation.pk), "Auto-Submitted": "auto-generated"},
        skeleton=skeleton,
    )


def invitation_message(invitation: Invitation, token: str, *, reminder: bool = False):
    """The personalised message (plain text and HTML) carrying the participant's link, rendered in
    full (a batch renders what does not vary once: ``_Skeleton``)."""
    context = _invitation_context(invitation, answer_url(token), reminder=reminder)
    with translation.override(settings.LANGUAGE_CODE):
        mail = mail_render(template=_template(reminder), context=context)
    return _message(invitation, mail)


@dataclass(frozen=True)
class _Skeleton:
    """An invitation's (or a reminder's) mail rendered once for every participant of a survey, with
    a random mark where each participant's name and link token go; ``fill`` puts them in, escaped in
    the HTML part as the template escapes them. The result is what ``invitation_message`` renders in
    full (surveys/tests/test_invitation_mail.py compares the two): a template that shows anything
    else of the person, or the name or link through a filter, must be rendered in full instead.
    ``mime`` holds its MIME bytes, generated once, which each message fills in the same way."""

    mail: RenderedMail
    name_mark: str
    token_mark: str
    mime: MimeSkeleton

    @classmethod
    def render(cls, invitation: Invitation, *, reminder: bool) -> "_Skeleton":
        mark = secrets.token_hex(8)
        name_mark, token_mark = f"lc-name-{mark}", f"lc-token-{mark}"
        # The URL is reversed once, with the mark for a token (both are left alone by reverse's quoting).
        context = _invitation_context(
            invitation, answer_url(token_mark), reminder=reminder, person=SimpleNamespace(full_name=name_mark)
        )
        with translation.override(settings.LANGUAGE_CODE):
            mail = mail_render(template=_template(reminder), context=context)
        # Each message's own recipient, Message-ID and X-LC-Invitation replace these.
        prototype = _message(Invitation(pk=0, membership=Membership(person=Person(email="to@example.invalid"))), mail)
        mime = MimeSkeleton(prototype, marks=[name_mark, token_mark], headers=["Message-ID", "X-LC-Invitation"])
        return cls(mail=mail, name_mark=name_mark, token_mark=token_mark, mime=mime)

    def fill(self, *, name: str, token: str) -> tuple[RenderedMail, SkeletonFill]:
        def put(text: str, values: dict[str, str]) -> str:
            for mark, value in values.items():
                text = text.replace(mark, value)
            return text

        text_values = {self.name_mark: name, self.token_mark: token}
        # What the template's escaping gives (django.utils.html.escape is html.escape, lazily wrapped).
        html_values = {self.name_mark: html.escape(name), self.token_mark: html.escape(token)}
        subject = self.mail.subject
        if self.name_mark in subject or self.token_mark in subject:
            # mail_render joins the subject's whitespace; a name may hold some too.
            subject = " ".join(put(subject, text_values).split())
        mail = RenderedMail(
            # Otherwise the skeleton's own (joined already), the same object for every message.
            subject=subject,
            text=put(self.mail.text, text_values),
            html=put(self.mail.html, html_values),
        )
        return mail, SkeletonFill(self.mime, text_values, html_values)


# Skeletons kept per process (a worker's tasks send a survey's batches one after another), under
# everything their templates can show: the survey's, its module's and its cohort's columns, the
# reminder and its number, and the language, time zone and site the mail is rendered for. An edit of
# any of them is another key; old keys age out.
_SKELETONS = Memo(64)


def _skeleton_key(invitation: Invitation, *, reminder: bool) -> tuple:
    survey = invitation.survey
    shown = tuple(
        (type(obj).__name__, tuple(getattr(obj, name) for name in attnames(type(obj))))
        for obj in (survey, survey.module, survey.cohort)
        if obj is not None
    )
    number = invitation.reminders_sent if reminder else 0
    return (reminder, number, settings.LANGUAGE_CODE, get_current_timezone_name(), settings.SITE_URL, shown)


def _skeleton(invitation: Invitation, *, reminder: bool) -> _Skeleton:
    """The survey's skeleton (made once per process and key)."""
    key = _skeleton_key(invitation, reminder=reminder)
    return _SKELETONS.get_or_make(key, lambda: _Skeleton.render(invitation, reminder=reminder))


class InvitationMail(Outgoing):
    """An invitation (or a reminder) claimed by this batch, with the link its message carries.

    ``skeletons`` is the batch's: the skeleton of each survey instance (and reminder number) its
    invitations share, looked up in ``_SKELETONS`` once for them all rather than keyed again (every
    column of the survey, module and cohort) for every message. Their instances do not change while
    the batch is sent."""

    def __init__(self, invitation: Invitation, *, kind: str, token: str, skeletons: dict | None = None):
        self.invitation = invitation
        self.pk = invitation.pk
        self.kind = kind
        self.reminder = kind == KIND_REMINDER
        self.token = token
        self.skeletons = {} if skeletons is None else skeletons

    def message(self):
        invitation = self.invitation
        # The survey instance itself (held by the invitation for the whole batch), not its id.
        key = (id(invitation.survey), invitation.reminders_sent if self.reminder else 0)
        skeleton = self.skeletons.get(key)
        if skeleton is None:
            skeleton = self.skeletons[key] = _skeleton(invitation, reminder=self.reminder)
        mail, fill = skeleton.fill(name=invitation.membership.person.full_name, token=self.token)
        return _message(invitation, mail, skeleton=fill)

    def _record(self, message, *, status, error=""):
        sent_email_record(
            message=message, kind=self.kind, status=status, target=self.invitation, error=error, secrets=[self.token]
        )

    def on_sent(self, message):
        log = sent_email_values(
            message=message, kind=self.kind, status=SentEmail.Status.SENT, target=self.invitation, secrets=[self.token]
        )
        if self.reminder:
            SentEmail(**log).save(force_insert=True)
            return
        # One statement (one commit) a message: the row is sent the moment the server has the mail.
        now = timezone.now()
        update_and_insert_values(
            Invitation,
            self.pk,
            {"status": Invitation.Status.SENT, "sent_at": now, "last_error": "", "updated_at": now},
            SentEmail,
            {**log, "created_at": now, "updated_at": now},
        )

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
            _give_back([self], error=text, handed_over=True)
            self._record(message, status=SentEmail.Status.DEFERRED, error=text)

    def on_refused_for_now(self, error, result: SendResult):
        # A reminder refused for now is simply still due: reminders_queue_due offers it again on its
        # next run, which is its backoff. An invitation is retried alone, by its own attempts.
        if not self.reminder:
            result.retry_alone[self.pk] = self.invitation.attempts


def _give_back(mails: list[InvitationMail], error: str = "", *, handed_over: bool) -> None:
    """Give claimed rows back (only if still ours): invitations to queued, reminders un-counted. An
    invitation's attempt is un-counted, and the links deleted, unless its message was handed over."""
    now = timezone.now()
    invitations = [mail.pk for mail in mails if not mail.reminder]
    if invitations:
        values = {"status": Invitation.Status.QUEUED, "last_error": error or F("last_error"), "updated_at": now}
        if not handed_over:
            values["attempts"] = Greatest(F("attempts") - 1, 0)
        Invitation.objects.filter(pk__in=invitations, status=Invitation.Status.SENDING).update(**values)
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
    if not handed_over:
        invitation_links_withdraw(tokens=[mail.token for mail in mails])


def _release(mails: list[InvitationMail], error: str = "") -> None:
    """Give back the rows the batch never handed to the server."""
    with transaction.atomic():
        _give_back(mails, error, handed_over=False)


def _connection_refused(mails: list[InvitationMail], error: BaseException) -> None:
    """The server refused the connection for good: invitations fail (nothing was tried, so no attempt
    is counted), reminders stay counted; no link was given to anyone."""
    text = mail_error_text(error)
    ids = [mail.pk for mail in mails]
    with transaction.atomic():
        if mails and mails[0].reminder:
            Invitation.objects.filter(pk__in=ids).update(last_error=_("Reminder: %(error)s") % {"error": text})
        else:
            Invitation.objects.filter(pk__in=ids, status=Invitation.Status.SENDING).update(
                status=Invitation.Status.FAILED,
                attempts=Greatest(F("attempts") - 1, 0),
                last_error=text,
                updated_at=timezone.now(),
            )
        invitation_links_withdraw(tokens=[mail.token for mail in mails])


def invitation_mails_deliver(
    *, invitations: list[Invitation], tokens: dict[int, str], result: SendResult, kind: str
) -> None:
    """Send these claimed invitations (or reminders) over one connection, recording each outcome.
    ``tokens`` are their links' (``invitation_links_issue``, in the transaction that claimed them)."""
    skeletons: dict = {}
    mails = [
        InvitationMail(invitation, kind=kind, token=tokens[invitation.pk], skeletons=skeletons)
        for invitation in invitations
    ]
    deliver(mails, result, release=_release, connection_refused=_connection_refused)
