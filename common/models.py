import functools

from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def choice_label(choices: type[models.Choices], value) -> str:
    """What a model's ``get_FOO_display()`` gives, in the active language.

    Django's generated method hashes every choice's lazy label, translating each, on every call:
    in a table of a hundred-odd rows that was most of the page's translations (issue 14). Here each
    class's labels are translated once per language and process (a catalogue does not change while
    the process runs)."""
    return _labels(choices, get_language()).get(value, value)


@functools.cache
def _labels(choices: type[models.Choices], language: str | None) -> dict:
    """The class's value -> label map in ``language``, as plain strings."""
    with translation.override(language):
        return {value: str(label) for value, label in choices.choices}


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class SentEmail(TimeStampedModel):
    """One attempt to hand an e-mail to the mail backend, whatever sent it: the mail log admins read.

    Personal links are replaced in ``body`` before it is stored (``common.mail``), so the log
    never holds a secret; a resend therefore goes back through the service that made the mail.
    """

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        DEFERRED = "deferred", _("Temporary error, will retry")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    to = models.EmailField(_("to"), max_length=254, db_index=True)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("plain-text body (links redacted)"), blank=True)
    redacted = models.BooleanField(_("secrets removed from the body"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    error = models.TextField(_("error"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("content_type", "object_id")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sent e-mail")
        verbose_name_plural = _("sent e-mails")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["sent", "deferred", "failed"]), name="sentemail_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="sentemail_target")]

    def __str__(self):
        return f"{self.kind} → {self.to}: {self.subject}"


class OutboxMail(TimeStampedModel):
    """One e-mail to send: written in the transaction that decides to send it, sent by a Celery task
    after commit (``common.outbox``). The message itself is made only when it is sent, by the
    function its ``kind`` registered, so a personal link in it is never stored."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Not sent: no longer wanted")

    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    to = models.EmailField(_("to"), max_length=254)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sending_started_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(
        _("send before"), null=True, blank=True, help_text=_("Not sent after this (e.g. a sign-in request).")
    )
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "failed", "cancelled"]),
                name="outboxmail_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False), name="outboxmail_sent_has_time"
            ),
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="outboxmail_status_updated")]

    def __str__(self):
        return f"{self.kind} → {self.to}: {self.get_status_display()}"
