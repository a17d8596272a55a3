"""Is the service able to work? For a load balancer or an uptime monitor (``/healthz``), and the
periodic jobs' heartbeat that tells facilitators and staff when Celery beat has stopped.

Answers name the parts and say "ok" or "down", nothing else: no error text (it could hold a
connection URL with its password), no personal data.
"""

import datetime
import logging

import kombu
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("the cache did not keep a value")


def _broker() -> None:
    with kombu.Connection(settings.CELERY_BROKER_URL, connect_timeout=1, transport_options={"max_retries": 0}) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


CHECKS = {"database": _database, "cache": _cache, "broker": _broker}


def health_check() -> dict[str, str]:
    """Each part's state: "ok" or "down"."""
    states = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:
            logger.warning("health check: %s is down (%s)", name, type(error).__name__)
            states[name] = "down"
        else:
            states[name] = "ok"
    return states


# -- the periodic jobs' heartbeat ------------------------------------------------------------

HEARTBEAT_KEY = "periodic-jobs:last-run"
# Kept well beyond any warning threshold, so that an old heartbeat still says when beat stopped.
HEARTBEAT_TIMEOUT = 60 * 60 * 24 * 30


def periodic_job_names() -> set[str]:
    return {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def periodic_job_ran(*, name: str, now: datetime.datetime | None = None) -> None:
    """Record that a periodic job finished (called for each one by common.apps' task_success hook)."""
    if name not in periodic_job_names():
        return
    try:
        cache.set(HEARTBEAT_KEY, (now or timezone.now()).isoformat(), HEARTBEAT_TIMEOUT)
    except Exception as error:
        logger.warning("could not record the periodic jobs' heartbeat: %s", type(error).__name__)


def periodic_jobs_last_run() -> datetime.datetime | None:
    value = cache.get(HEARTBEAT_KEY)
    return datetime.datetime.fromisoformat(value) if value else None


def periodic_jobs_status(*, now: datetime.datetime | None = None) -> tuple[bool, datetime.datetime | None]:
    """Whether no periodic job has finished for longer than PERIODIC_JOBS_WARN_AFTER (never counts
    as overdue), and when one last did, from one read of the heartbeat. Not overdue when the warning
    is switched off or the cache cannot say."""
    limit = settings.PERIODIC_JOBS_WARN_AFTER
    if not limit:
        return False, None
    try:
        last = periodic_jobs_last_run()
    except Exception as error:
        logger.warning("could not read the periodic jobs' heartbeat: %s", type(error).__name__)
        return False, None
    return last is None or (now or timezone.now()) - last > datetime.timedelta(seconds=limit), last
