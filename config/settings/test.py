"""Test settings: only what makes tests faster or hermetic."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")

from .base import *  # noqa: F403
from .base import env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# scripts/run-tests runs two pytest processes side by side: each gets a test database of its own.
if env("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}
# A Celery worker started by the acceptance tests sets EMAIL_BACKEND to SMTP (tests/acceptance).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Tests and the live server share one process, so LocMemCache counts rate limits correctly
# (conftest.py clears it between tests); django-ratelimit's shared-cache checks do not apply.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SITE_URL = "http://testserver"
# The periodic jobs' warning is off unless a test switches it on (common/tests/test_health.py).
PERIODIC_JOBS_WARN_AFTER = env.int("PERIODIC_JOBS_WARN_AFTER", default=0)
