"""Celery tasks for survey mail: each passes primary keys to one service and decides about retrying.

Send tasks are acknowledged late (a worker killed mid-batch leaves the message to be delivered
again), which is safe because the services claim each row before sending it. Only temporary
mail errors are retried, with the backoff in ``settings.MAIL_RETRY_COUNTDOWNS``: an invitation
that a recipient's server refused for now is retried alone, by its own attempts; the rows a
failed connection left unsent are retried together, by this task's retries.
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError

from common.mail import mail_resender
from surveys import services
from surveys.models import Invitation

logger = logging.getLogger(__name__)

# After this many retries a task gives up; the rows stay queued and invitations_sweep publishes
# them again once the last backoff has passed, so a long outage never ends in a lost invitation.
MAX_TASK_RETRIES = 8

SEND_TASK_OPTIONS = {"bind": True, "acks_late": True, "max_retries": MAX_TASK_RETRIES}


def _retry_later(task, error: BaseException, *, args: list | None = None):
    """Publish a retry (of ``args``, else the same arguments) after the backoff countdown, or give
    up for now (returns None)."""
    retries = task.request.retries
    if retries >= task.max_retries:
        logger.warning("%s: giving up after %d retries (%s); the sweeper takes over", task.name, retries, error)
        return None
    countdown = services.mail_retry_countdown(retries)
    logger.info("%s: temporary mail error (%s), retry %d in %ds", task.name, error, retries + 1, countdown)
    # throw=False and return it: a worker publishes the retry and acknowledges this run; in eager
    # mode (the embedded set-up) Celery runs the returned retry at once, in-process, and no
    # exception reaches the request that queued the task.
    return task.retry(args=args, countdown=countdown, throw=False)


def _retry_each_alone(result: services.SendResult) -> None:
    """Retry every invitation a recipient's server refused for now on its own, by its own attempts."""
    for invitation_id, attempts in result.retry_alone.items():
        if attempts > MAX_TASK_RETRIES:
            logger.warning(
                "invitation %s: giving up after %d attempts; the sweeper takes over", invitation_id, attempts
            )
            continue
        services.invitation_publish_retry(
            invitation_id=invitation_id, countdown=services.mail_retry_countdown(attempts - 1)
        )


def _outcome(result: services.SendResult) -> dict:
    return {
        "sent": len(result.sent),
        "failed": len(result.failed),
        "deferred": len(result.deferred),
        "skipped": len(result.skipped),
    }


@shared_task(name="surveys.tasks.invitations_send", **SEND_TASK_OPTIONS)
def invitations_send_task(self, invitation_ids: list[int]):
    try:
        result = services.invitations_send(invitation_ids=invitation_ids)
    except SoftTimeLimitExceeded:
        # The unsent rows were put back to queued; carry on in a fresh task at once.
        return self.retry(countdown=0, throw=False)
    _retry_each_alone(result)
    if result.retry_together:
        return _retry_later(self, result.transient_error, args=[result.retry_together]) or _outcome(result)
    return _outcome(result)


@shared_task(name="surveys.tasks.reminders_send", **SEND_TASK_OPTIONS)
def reminders_send_task(self, invitation_ids: list[int]):
    try:
        result = services.reminders_send(invitation_ids=invitation_ids)
    except SoftTimeLimitExceeded:
        return self.retry(countdown=0, throw=False)
    if result.retry_together:
        return _retry_later(self, result.transient_error, args=[result.retry_together]) or _outcome(result)
    return _outcome(result)


@shared_task(name="surveys.tasks.summary_send", **SEND_TASK_OPTIONS)
def summary_send_task(self, survey_id: int):
    result = services.summary_send(survey_id=survey_id)
    if result.transient_error is not None:
        return _retry_later(self, result.transient_error) or _outcome(result)
    return _outcome(result)


# Periodic jobs (schedule: CELERY_BEAT_SCHEDULE in config/settings/base.py).


@shared_task(name="surveys.tasks.invitations_sweep")
def invitations_sweep_task() -> int:
    return services.invitations_sweep()


@shared_task(name="surveys.tasks.surveys_open_for_delivered_modules")
def surveys_open_for_delivered_modules_task() -> list[int]:
    return services.surveys_open_for_delivered_modules()


@shared_task(name="surveys.tasks.surveys_close_due")
def surveys_close_due_task() -> list[int]:
    return services.surveys_close_due()


@shared_task(name="surveys.tasks.reminders_queue_due")
def reminders_queue_due_task() -> int:
    return services.reminders_queue_due()


# Resending from the admin's mail log: a fresh message with a fresh link.


@mail_resender(services.KIND_INVITATION)
@mail_resender(services.KIND_REMINDER)
def _resend_invitation(sent_email) -> str:
    invitation = Invitation.objects.filter(pk=sent_email.object_id).first()
    if invitation is None:
        return "impossible"
    try:
        services.invitation_resend(invitation=invitation)
    except ValidationError:
        return "impossible"
    return "queued"
