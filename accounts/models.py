from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class CalendarFeed(TimeStampedModel):
    """A person's own calendar feed address (``/calendar/<token>.ics``), for a calendar program to
    subscribe to. Only the SHA-256 of the 256-bit token is stored, so the address is shown once,
    when made; making a new one or switching it off makes the old address stop working."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)
