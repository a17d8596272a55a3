"""Settings shared by every environment; values come from the environment (django-environ)."""

from email.utils import getaddresses
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
# How long a connection is kept: the CONN_MAX_AGE variable, else ``?conn_max_age=`` in DATABASE_URL,
# else 0 here (a connection per request) and 60 s in production.
CONN_MAX_AGE_FROM_URL = DATABASES["default"].get("CONN_MAX_AGE")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=CONN_MAX_AGE_FROM_URL or 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The statements every survey answer makes are planned once per connection (common.compiled.
# prepared_cursor). Off for a pooler in transaction mode that cannot keep them (PgBouncer < 1.21).
PREPARED_STATEMENTS = env.bool("PREPARED_STATEMENTS", default=True)
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
    "auditlog",  # django-auditlog: who changed what and when (AUDIT below, common/audit.py)
    "common",
    "cohorts",
    "modules",
    "surveys",
    "projects",
    "evaluation",
    "reports",
    "accounts",
    "privacy",
    "demo",
]

# AUTHENTICATION
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # django-sesame's backend, for active members of a cohort only.
    "accounts.backends.SignInLinkBackend",
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
    # The signed-in user and the client's address (as our proxies wrote it) go on every audit entry.
    "common.audit.AuditActorMiddleware",
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
REDIS_CACHE = "common.cache.RedisCache"


def cache_from_env(default: str) -> dict:
    """The CACHE_URL cache; where it is Redis, Django's backend keeping its Redis clients instead of
    making one per call (common/cache.py)."""
    cache = env.cache("CACHE_URL", default=default)
    if cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        cache["BACKEND"] = REDIS_CACHE
    return cache


CACHES = {"default": cache_from_env("locmemcache://")}
# The impact report's PDF and XLSX are kept here under a digest of what they are drawn from
# (reports/downloads.py): a few hundred KB each; every edit of a draft makes a new one.
REPORT_FILE_CACHE_SECONDS = env.int("REPORT_FILE_CACHE_SECONDS", default=6 * 3600)

# RATE LIMITING (django-ratelimit, through common/ratelimit.py)
RATELIMIT_VIEW = "common.views.ratelimited"
# Rates are "<count>/<period>" (s, m, h, d; e.g. "10/10m"). The per-person limits (username, e-mail,
# survey link) are the tight ones; the per-address ones must let a whole cohort behind one trust's
# address (30 people on a module day, each opening their link twice) through with room to spare,
# and only stop a machine hammering the server.
RATELIMIT_LOGIN_PER_USERNAME = env("RATELIMIT_LOGIN_PER_USERNAME", default="10/10m")
RATELIMIT_LOGIN_PER_IP = env("RATELIMIT_LOGIN_PER_IP", default="60/10m")
# Over the per-e-mail limit the visitor gets the usual answer but no mail is sent.
RATELIMIT_SIGN_IN_LINK_PER_EMAIL = env("RATELIMIT_SIGN_IN_LINK_PER_EMAIL", default="3/h")
RATELIMIT_SIGN_IN_LINK_PER_IP = env("RATELIMIT_SIGN_IN_LINK_PER_IP", default="300/15m")
# A survey token is 256 bits: per token stops one link being hammered; per address stops guessing.
RATELIMIT_SURVEY_LINK_PER_TOKEN = env("RATELIMIT_SURVEY_LINK_PER_TOKEN", default="20/m")
RATELIMIT_SURVEY_LINK_PER_IP = env("RATELIMIT_SURVEY_LINK_PER_IP", default="300/m")
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
                "common.navigation.cohort_navigation",
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
# Django's SMTP backend, sending a batch's messages without parsing their addresses again (common.mail).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="common.mail.SMTPEmailBackend")
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
    # Retention (RETENTION_* below): blank free text and anonymise contact details that have expired.
    # Counted in months, so once a day is plenty; a missed day only delays it.
    "retention-enforce": {"task": "privacy.tasks.retention_enforce", "schedule": 86400.0},
    # Single e-mails (sign-in links) whose task was lost (broker down) or died: sent again; those
    # nobody waits for any more (expired) are cancelled. Every minute: a sign-in link is awaited.
    "outbox-sweep": {"task": "common.tasks.outbox_sweep", "schedule": 60.0},
}

# AUDIT (django-auditlog): every model whose changes are recorded, and which fields, in one place.
# Only the fields listed are compared and stored. Survey answers and every free text stay out: the
# audit must never become a second copy of what people wrote, nor the link between a person and an
# anonymous answer (so Response, Answer and Invitation are not registered; the answer page saves
# nothing that is audited, and named responses are recorded by surveys.services without content).
# Writes the signals cannot see (bulk_create/bulk_update, exports, erasure, retention) are recorded
# explicitly through common.audit.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {"model": "auth.user", "include_fields": ["username", "email", "is_active", "is_staff", "is_superuser"]},
    {
        "model": "cohorts.person",
        "include_fields": ["full_name", "email", "job_title", "profession", "team", "organisation", "user"],
    },
    {"model": "cohorts.membership", "include_fields": ["cohort", "person", "role", "status", "withdrawn_on"]},
    {"model": "modules.attendance", "include_fields": ["module", "membership", "status"]},
    {
        "model": "surveys.survey",
        "include_fields": [
            "status",
            "privacy",
            "question_set",
            "opens_at",
            "closes_at",
            "closed_at",
            "reminder_after_days",
            "max_reminders",
        ],
    },
    {"model": "surveys.programmesurveydefaults", "include_fields": ["question_set", "privacy"]},
    {"model": "surveys.cohortsurveysettings", "include_fields": ["question_set", "privacy"]},
    {
        "model": "projects.improvementproject",
        "include_fields": ["action_learning_set", "title", "area", "status", "progress_score"],
    },
    {"model": "projects.progressscore", "include_fields": ["project", "score", "recorded_at", "recorded_by"]},
    {"model": "evaluation.practicemoment", "include_fields": ["membership", "shared_with_set", "quote_consent"]},
    {"model": "evaluation.quoteselection", "include_fields": ["cohort", "answer", "practice_moment", "order"]},
    # The impact report's publication and withdrawal to draft (the snapshot itself is not copied).
    {"model": "reports.impactreport", "include_fields": ["status", "published_at", "published_by"]},
)
AUDITLOG_STORE_JSON_CHANGES = True

# RETENTION: how long personal data is kept after the last cohort it belongs to ends (privacy.retention;
# the task runs daily). Survey free text and practice reflections are blanked; the contact details of
# people who only took part as participants are anonymised. Counts and scores are kept.
RETENTION_FREE_TEXT_MONTHS = env.int("RETENTION_FREE_TEXT_MONTHS", default=24)
RETENTION_CONTACT_DETAILS_MONTHS = env.int("RETENTION_CONTACT_DETAILS_MONTHS", default=24)

# ERRORS
# Who gets a mail about each server error: "Name <address>" entries, comma-separated.
ADMINS = getaddresses(env.list("ADMINS", default=[]))
DEFAULT_EXCEPTION_REPORTER_FILTER = "common.scrubbing.ExceptionReporterFilter"
# Optional error reporting to Sentry (or a compatible service); events are scrubbed of survey
# tokens, sign-in keys and feed addresses (common/scrubbing.py) and carry no personal data.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from common.scrubbing import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=env("SENTRY_ENVIRONMENT", default="production"))
# Facilitators and staff are warned when no periodic job (Celery beat) has run for this long
# (seconds); 0 switches the warning off. The most frequent jobs run every minute.
PERIODIC_JOBS_WARN_AFTER = env.int("PERIODIC_JOBS_WARN_AFTER", default=15 * 60)

# LOGGING
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "redact_link_secrets": {"()": "common.logging.RedactLinkSecrets"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_link_secrets"]},
        # Server errors to ADMINS (when DEBUG is off), with link secrets removed from the report.
        "mail_admins": {
            "class": "common.scrubbing.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "redact_link_secrets"],
        },
    },
    # Errors of Celery tasks and of our own code reach ADMINS too.
    "root": {"handlers": ["console", "mail_admins"], "level": env("LOG_LEVEL", default="INFO")},
    # Django's own loggers (requests, runserver's access lines) go through the same filtered
    # handler instead of Django's default ones, so that no survey token or sign-in key reaches a log
    # (gunicorn's own logs: config/gunicorn.conf.py).
    "loggers": {
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # WeasyPrint logs every layout step of a PDF at INFO (hundreds of lines); its warnings still show.
        "weasyprint": {"level": "WARNING"},
    },
}
