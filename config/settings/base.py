"""Settings shared by every environment; values come from the environment (django-environ)."""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# GENERAL
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

TIME_ZONE = "Europe/London"
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English"))]
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# DATABASES
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Persistent connections (seconds; 0 = one per request) are checked before each request reuses
# them, so a database restart costs the requests made while it is down and nothing after.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# URLS
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# APPS
INSTALLED_APPS = [
    "common.admin_config.AdminConfig",  # django.contrib.admin with a rate-limited sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "bootstrap",  # django-bootstrap-static: Bootstrap 5 CSS/JS served from the package
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    # Rate limits on sign-in and survey links; installed (not only imported) so that its
    # system checks refuse a cache that is not shared between processes.
    "django_ratelimit",
    "common",
    "cohorts",
    "modules",
    "surveys",
    "projects",
    "evaluation",
    "accounts",
    "demo",
]

# AUTHENTICATION
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in links e-mailed to participants (django-sesame): short-lived and single-use.
SESAME_MAX_AGE = 60 * 30
SESAME_ONE_TIME = True

# MIDDLEWARE
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed-in pages and survey pages are "private, no-store" (personal data, keys in URLs).
    "common.middleware.PrivatePagesNoStoreMiddleware",
    # Every view needs a signed-in user unless it is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Every URL with a cohort_pk is checked here, and only here (cohorts/middleware.py).
    "cohorts.middleware.CohortAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Turns django-ratelimit's Ratelimited (a 403 by default) into RATELIMIT_VIEW's 429 page.
    "django_ratelimit.middleware.RatelimitMiddleware",
]

# STATIC AND MEDIA
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded files (e.g. slides) live outside the web root and are served by views that check access.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "uploads")
MEDIA_URL = "/uploads/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# CACHES
# Rate-limit counters live here, so every web process must see the same cache: Redis in production
# (production.py). The per-process LocMemCache is only right for one local process and the tests.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# RATE LIMITING (django-ratelimit; the limits themselves are in common/ratelimit.py)
RATELIMIT_VIEW = "common.views.ratelimited"
# Behind a proxy REMOTE_ADDR is the proxy's address; the client's is taken from X-Forwarded-For,
# trusting only as many entries (from the right) as there are proxies we run.
RATELIMIT_IP_META_KEY = "common.ratelimit.client_ip"
RATELIMIT_TRUSTED_PROXIES = env.int("RATELIMIT_TRUSTED_PROXIES", default=0)

# TEMPLATES
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# SECURITY
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# EMAIL
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=BASE_DIR / "var" / "mail")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Leadership Cohorts <noreply@leadership-cohorts.example>")
EMAIL_REPLY_TO = env.list("EMAIL_REPLY_TO", default=[])
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the accessibility statement asks people to report a problem; the reply-to address if unset.
ACCESSIBILITY_CONTACT_EMAIL = env(
    "ACCESSIBILITY_CONTACT_EMAIL", default=(EMAIL_REPLY_TO or ["accessibility@leadership-cohorts.example"])[0]
)

# CELERY
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A send task that overruns is stopped; rows it left "sending" are taken up again only after the
# hard limit has certainly killed it (the sweep waits 1.5 × CELERY_TASK_TIME_LIMIT).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A late-acked task that is not acknowledged within this window is delivered again;
# every retry countdown must stay below it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=3600),
    # Publishing from a web request must fail fast when the broker is down: one connection attempt
    # with a short timeout (the worker's own reconnecting is configured separately and unaffected).
    # Invitation rows stay queued and the sweeper publishes them later.
    "max_retries": 0,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Countdowns (seconds) between tries after a temporary SMTP error; the last one repeats.
MAIL_RETRY_COUNTDOWNS = [int(s) for s in env.list("MAIL_RETRY_COUNTDOWNS", default=["30", "60", "120", "300", "900"])]
# Periodic jobs, all in one place. `celery -A config beat` runs them.
CELERY_BEAT_SCHEDULE: dict = {
    # Invitations left queued (broker down when the survey opened, a lost retry) or stuck in
    # "sending" (worker killed) are queued again. Every minute so that a broker outage costs little.
    "invitations-sweep": {"task": "surveys.tasks.invitations_sweep", "schedule": 60.0},
    # Modules 1-5 whose end time has passed but that nobody marked delivered: mark them delivered
    # (module_delivered then opens their surveys).
    "modules-mark-ended-delivered": {"task": "modules.tasks.modules_mark_ended_delivered", "schedule": 300.0},
    # Catch-up: open the survey of a module marked delivered whose survey never opened.
    "surveys-open-missing": {"task": "surveys.tasks.surveys_open_for_delivered_modules", "schedule": 300.0},
    # Close surveys at their closing time (to the minute) and mail each facilitator a summary.
    "surveys-close-due": {"task": "surveys.tasks.surveys_close_due", "schedule": 60.0},
    # Reminders to non-responders; reminder_after_days is counted in days, so every 15 minutes is plenty.
    "reminders-queue-due": {"task": "surveys.tasks.reminders_queue_due", "schedule": 900.0},
    # The practice log's monthly nudge. Hourly, but it only nudges in the first week of a month
    # (weekdays from 10:00) and at most once a month per participant (evaluation/services.py), so
    # a beat or worker outage on the 1st delays the nudges instead of losing them.
    "practice-nudges-queue-due": {"task": "evaluation.tasks.practice_nudges_queue_due", "schedule": 3600.0},
    # Open each cohort's self-assessment before the programme on its start date and its follow-up
    # survey on its follow-up date. The dates are days, so every 15 minutes opens them early on the day.
    "evaluation-surveys-open-due": {"task": "evaluation.tasks.evaluation_surveys_open_due", "schedule": 900.0},
}

# LOGGING
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_link_secrets": {"()": "common.logging.RedactLinkSecrets"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_link_secrets"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Django's own loggers (requests, runserver's access lines) go through the same filtered
    # handler instead of Django's default ones, so that no survey token or sign-in key reaches a log
    # (gunicorn's own logs: config/gunicorn.conf.py).
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
