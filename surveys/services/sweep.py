"""The sweeper: invitations left behind are published again."""

import datetime
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from surveys.models import Invitation, Survey

from .delivery import sending_stale_after
from .publishing import QUEUED_GRACE, invitations_publish

logger = logging.getLogger(__name__)


def _retry_quiet_period() -> datetime.timedelta:
    """A deferred row whose last try is older than the longest backoff has lost its retry."""
    return datetime.timedelta(seconds=max(settings.MAIL_RETRY_COUNTDOWNS)) + QUEUED_GRACE


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
