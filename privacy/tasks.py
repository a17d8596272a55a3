"""Periodic privacy jobs (CELERY_BEAT_SCHEDULE): thin, one service call each."""

from celery import shared_task

from . import retention


@shared_task(name="privacy.tasks.retention_enforce")
def retention_enforce() -> dict:
    result = retention.retention_enforce()
    return {
        "texts_removed": result.texts_removed,
        "reflections_removed": result.reflections_removed,
        "people_anonymised": result.people_anonymised,
    }
