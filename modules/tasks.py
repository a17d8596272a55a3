"""Celery tasks of the modules app: thin, each runs one service."""

from celery import shared_task

from . import services


# Periodic (schedule: CELERY_BEAT_SCHEDULE in config/settings/base.py).
@shared_task(name="modules.tasks.modules_mark_ended_delivered")
def modules_mark_ended_delivered_task() -> list[int]:
    return services.modules_mark_ended_delivered()
