"""Celery tasks of the evaluation: each calls one service.

The practice log's monthly nudges are sent by common's outbox task (``common.tasks.outbox_send``);
the job here only records who is due one.
"""

from celery import shared_task

from . import services

# Periodic job (schedule: CELERY_BEAT_SCHEDULE in config/settings/base.py).


@shared_task(name="evaluation.tasks.practice_nudges_queue_due")
def practice_nudges_queue_due_task() -> int:
    return services.practice_nudges_queue_due()


# Periodic job (schedule: CELERY_BEAT_SCHEDULE in config/settings/base.py).


@shared_task(name="evaluation.tasks.evaluation_surveys_open_due")
def evaluation_surveys_open_due_task() -> list[int]:
    return services.evaluation_surveys_open_due()
