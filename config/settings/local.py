"""Embedded defaults for a newcomer: SQLite, tasks in-process, mail to a local folder."""

import os

os.environ.setdefault("SECRET_KEY", "local-development-only-not-secret")
os.environ.setdefault("DEBUG", "True")

from .base import *  # noqa: F403
from .base import env

# One .eml file per message in var/mail (EMAIL_FILE_PATH); any mail program opens them.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="common.mail.FolderEmailBackend")
# Without a broker configured, Celery runs every task in-process, right after commit.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default="CELERY_BROKER_URL" not in os.environ)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
# Without a broker no Celery beat runs (surveys do not close by themselves): no warning about it here.
PERIODIC_JOBS_WARN_AFTER = env.int("PERIODIC_JOBS_WARN_AFTER", default=0 if CELERY_TASK_ALWAYS_EAGER else 15 * 60)
# One runserver process: its LocMemCache counts rate limits correctly, so django-ratelimit's
# "not a shared cache" (E003) and "not officially supported" (W001) checks do not apply here.
# Production keeps E003 on (production.py).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
