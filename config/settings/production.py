"""Production: everything from base, hardened. SECRET_KEY has no default here."""

from .base import *  # noqa: F403
from .base import CONN_MAX_AGE_FROM_URL, DATABASES, REDIS_CACHE, cache_from_env, env

DEBUG = False

# DATABASES
# Each gunicorn worker keeps its PostgreSQL connection for CONN_MAX_AGE seconds (default 60) instead
# of opening one per request, which was most of what a short request cost (issue 14, bench/README.md);
# CONN_HEALTH_CHECKS (base.py) checks it before reuse, so a restarted database costs a reconnect, not
# an error. CONN_MAX_AGE=0 (or ?conn_max_age=0 in DATABASE_URL) opens a connection per request
# again. Each worker (and each Celery process) holds at most one connection: size PostgreSQL's
# max_connections for that.
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "CONN_MAX_AGE", default=60 if CONN_MAX_AGE_FROM_URL is None else CONN_MAX_AGE_FROM_URL
)

# SECURITY
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True

# CACHES
# Rate-limit counters must be shared by every gunicorn worker. Production already needs Redis
# (the Celery broker), so the cache defaults to the same server, another database; a cache that
# is not shared (e.g. CACHE_URL=locmemcache://) fails django-ratelimit's check E003.
CACHES = {"default": cache_from_env("redis://127.0.0.1:6379/1")}
if CACHES["default"]["BACKEND"] == REDIS_CACHE:
    # A Redis that hangs (rather than refusing) must not hold requests for the OS's connect
    # timeout: the rate limits give up after a second and let the request through.
    CACHES["default"].setdefault("OPTIONS", {}).update({"socket_connect_timeout": 1, "socket_timeout": 1})
# Production runs behind a TLS-terminating proxy (README): one trusted X-Forwarded-For entry.
RATELIMIT_TRUSTED_PROXIES = env.int("RATELIMIT_TRUSTED_PROXIES", default=1)
# W001 only says Django's built-in RedisCache is not on django-ratelimit's list yet
# (jsocol/django-ratelimit#283): its add() is SET NX and incr() is INCR, atomic as required.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
