"""Publishing the survey-mail tasks, by task name.

Services never import ``surveys.tasks`` (the tasks import the services): they publish a task by its
registered name, which is the contract between the two. The registered task's ``apply_async`` is
used rather than ``send_task`` so that CELERY_TASK_ALWAYS_EAGER (the embedded set-up, unit tests)
runs it in-process.

When the broker is down the failure is logged and the rows stay queued: ``invitations_sweep``
publishes them again, and ``surveys_close_due`` queues again a summary whose task was lost.
"""

import datetime
import logging
from collections.abc import Iterable

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from common.tasks import task_publish
from surveys.models import Survey

logger = logging.getLogger(__name__)

INVITATIONS_SEND_TASK = "surveys.tasks.invitations_send"
REMINDERS_SEND_TASK = "surveys.tasks.reminders_send"
SUMMARY_SEND_TASK = "surveys.tasks.summary_send"

# Invitations per send task: one SMTP connection, one claiming transaction and one rendering of the
# mail per chunk (their cost spread over 40 messages rather than 25), and a chunk still finishes inside
# the soft time limit (60 s) even when a trust's server takes a second per message.
SEND_CHUNK_SIZE = 40
# A queued row is left to the task that was published for it for this long before the sweeper
# publishes it again (duplicates are harmless, only wasteful).
QUEUED_GRACE = datetime.timedelta(minutes=2)


def _chunks(ids: list[int], size: int = SEND_CHUNK_SIZE) -> list[list[int]]:
    ids = sorted(set(ids))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _publish_each(name: str, chunks: Iterable[list], what: str, countdown: int | None = None) -> int:
    """Publish one task per chunk; on a broker failure log it and stop (the rows stay queued)."""
    published = 0
    for chunk in chunks:
        try:
            task_publish(name, args=[chunk], countdown=countdown)
        except (BrokerError, OSError) as error:
            logger.warning("broker unavailable, %s left queued for the sweeper: %s", what, error, extra={"ids": chunk})
            return published
        published += 1
    return published


def invitations_publish(*, invitation_ids: list[int]) -> int:
    """Publish send tasks for these invitations now. Returns the number of tasks published."""
    return _publish_each(INVITATIONS_SEND_TASK, _chunks(invitation_ids), "invitations")


def invitation_publish_retry(*, invitation_id: int, countdown: int) -> bool:
    """Publish a send task for this one invitation in ``countdown`` seconds (False if the broker is
    down: the row stays queued and ``invitations_sweep`` publishes it after its quiet period)."""
    return bool(_publish_each(INVITATIONS_SEND_TASK, [[invitation_id]], "an invitation's retry", countdown=countdown))


def invitations_queue(*, invitation_ids: list[int]) -> None:
    """Publish send tasks once the current transaction commits (nothing is sent on rollback)."""
    ids = list(invitation_ids)
    if ids:
        transaction.on_commit(lambda: invitations_publish(invitation_ids=ids))


def reminders_publish(*, invitation_ids: list[int]) -> int:
    """Publish reminder tasks now (a reminder whose task is lost is still due at the next run)."""
    return _publish_each(REMINDERS_SEND_TASK, _chunks(invitation_ids), "reminders")


def summary_queue(*, survey: Survey) -> None:
    """Publish the summary task of a closed survey once the current transaction commits."""
    survey_id = survey.pk

    def publish():
        try:
            task_publish(SUMMARY_SEND_TASK, args=[survey_id])
        except (BrokerError, OSError) as error:
            logger.warning("broker unavailable, summary of survey %s left for the next run: %s", survey_id, error)

    transaction.on_commit(publish)
