"""Publishing a Celery task by its name, for services whose app's ``tasks.py`` imports them; and
the tasks of common's own outbox (common/outbox.py).

A service that imported its own app's tasks module would close an import loop (the tasks call the
services), so services publish by the registered name instead: the name is the contract.
"""

import logging

import celery
from django.utils.module_loading import autodiscover_modules

# A module reference: common.outbox imports this module for task_publish.
from . import outbox

logger = logging.getLogger(__name__)


def registered_task(name: str) -> celery.Task:
    """The task registered under ``name``. A worker imports every app's tasks module when it starts;
    a web process or a command has not, so it does so here, once. Django's helper imports them:
    Celery's own (``loader.import_default_modules``) would also run Django's system checks, which
    cost the first request of each web process that publishes a task 0.15-0.3 s (issue 14)."""
    app = celery.current_app
    if name not in app.tasks:
        autodiscover_modules("tasks")
    return app.tasks[name]


def task_publish(name: str, *, args: list, countdown: int | None = None) -> None:
    """Publish the task registered under ``name`` (honouring eager mode); the broker's error, if any,
    is raised."""
    registered_task(name).apply_async(args=args, countdown=countdown, retry=False)


# -- the outbox (common/outbox.py) ------------------------------------------------------------

# After this many retries the task gives up; the row stays queued and outbox_sweep publishes it again.
OUTBOX_MAX_RETRIES = 8


@celery.shared_task(name="common.tasks.outbox_send", bind=True, acks_late=True, max_retries=OUTBOX_MAX_RETRIES)
def outbox_send_task(self, outbox_id: int) -> str:
    result = outbox.outbox_send(outbox_id=outbox_id)
    if result.transient_error is not None and self.request.retries < self.max_retries:
        countdown = outbox.mail_retry_countdown(self.request.retries)
        logger.info("%s: temporary mail error (%s), retry in %ds", self.name, result.transient_error, countdown)
        # throw=False and return it: a worker publishes the retry and acknowledges this run; in eager
        # mode Celery runs the returned retry at once, in-process (as surveys' send tasks do).
        return self.retry(countdown=countdown, throw=False)
    return result.status


# Periodic job (schedule: CELERY_BEAT_SCHEDULE in config/settings/base.py).


@celery.shared_task(name="common.tasks.outbox_sweep")
def outbox_sweep_task() -> int:
    return outbox.outbox_sweep()
