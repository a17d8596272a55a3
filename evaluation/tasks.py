"""Celery tasks of the practice log's monthly nudge: each passes primary keys to one service and
decides about retrying.

The send task is acknowledged late (a worker killed mid-batch leaves the message to be delivered
again), which is safe because the service claims each row before sending it. Only temporary mail
errors are retried, with the backoff in ``settings.MAIL_RETRY_COUNTDOWNS``; permanent ones are
recorded on the row by the service.
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from . import services

logger = logging.getLogger(__name__)

# After this many retries the task gives up; the rows stay queued and the next hourly run of
# practice_nudges_queue_due publishes them again (within the same month).
MAX_TASK_RETRIES = 8


@shared_task(name=services.PRACTICE_NUDGES_SEND_TASK, bind=True, acks_late=True, max_retries=MAX_TASK_RETRIES)
def practice_nudges_send_task(self, nudge_ids: list[int]):
    try:
        result = services.practice_nudges_send(nudge_ids=nudge_ids)
    except SoftTimeLimitExceeded:
        # The unsent rows were put back to queued; carry on in a fresh task at once.
        return self.retry(countdown=0, throw=False)
    if result.transient_error is not None:
        retries = self.request.retries
        if retries >= self.max_retries:
            logger.warning("%s: giving up after %d retries (%s)", self.name, retries, result.transient_error)
            return result.outcome()
        countdown = services.mail_retry_countdown(retries)
        logger.info(
            "%s: temporary mail error (%s), retry %d in %ds", self.name, result.transient_error, retries + 1, countdown
        )
        # throw=False: a worker publishes the retry and acknowledges this run; in eager mode the
        # retry runs at once, in-process.
        return self.retry(countdown=countdown, throw=False)
    return result.outcome()


# Periodic job (schedule: CELERY_BEAT_SCHEDULE in config/settings/base.py).


@shared_task(name="evaluation.tasks.practice_nudges_queue_due")
def practice_nudges_queue_due_task() -> int:
    return services.practice_nudges_queue_due()


# Periodic job (schedule: CELERY_BEAT_SCHEDULE in config/settings/base.py).


@shared_task(name="evaluation.tasks.evaluation_surveys_open_due")
def evaluation_surveys_open_due_task() -> list[int]:
    return services.evaluation_surveys_open_due()
