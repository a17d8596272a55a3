"""Rate limits (django-ratelimit) on the ways in that anyone can reach without an account.

The limits leave room for a whole cohort on one network: on a module day thirty people in one
training room, behind one NHS trust's address, may sign in or open their survey links within a
minute or two. The per-person limits (username, e-mail address, survey token) are the tight ones;
the rates are settings (RATELIMIT_*, config/settings/base.py, documented in the README).
"""

import ipaddress
import logging
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django_ratelimit import ALL, core
from django_ratelimit.exceptions import Ratelimited

from .cache import CACHE_UNAVAILABLE

logger = logging.getLogger(__name__)


def setting_rate(name: str):
    """A rate read from the settings at each request (RATELIMIT_* in config/settings/base.py), so that
    a deployment sets its own and tests can change them."""

    def rate(group, request) -> str:
        return getattr(settings, name)

    rate.__name__ = name
    return rate


LOGIN_RATE_PER_USERNAME = setting_rate("RATELIMIT_LOGIN_PER_USERNAME")
LOGIN_RATE_PER_IP = setting_rate("RATELIMIT_LOGIN_PER_IP")
SIGN_IN_LINK_RATE_PER_EMAIL = setting_rate("RATELIMIT_SIGN_IN_LINK_PER_EMAIL")
SIGN_IN_LINK_RATE_PER_IP = setting_rate("RATELIMIT_SIGN_IN_LINK_PER_IP")
SURVEY_LINK_RATE_PER_TOKEN = setting_rate("RATELIMIT_SURVEY_LINK_PER_TOKEN")
SURVEY_LINK_RATE_PER_IP = setting_rate("RATELIMIT_SURVEY_LINK_PER_IP")


def is_ratelimited(request, *, group, key, rate, method=ALL, increment=False) -> bool:
    """django-ratelimit's ``is_ratelimited``, except that a cache outage allows the request.

    The counters only slow down guessing and flooding; while the cache is down, participants must
    still be able to answer and people to sign in, so the request goes through uncounted and a
    warning says so (no URL in it: it may hold a survey token).
    """
    try:
        return core.is_ratelimited(request=request, group=group, key=key, rate=rate, method=method, increment=increment)
    except CACHE_UNAVAILABLE as exc:
        logger.warning("Rate-limit cache unavailable, %s not counted and the request allowed: %s", group, exc)
        return False


def ratelimit(*, group, key, rate, method=ALL, block=True):
    """django-ratelimit's ``ratelimit`` decorator, counting through ``is_ratelimited`` above.

    Every rate limit of the project uses this one (a test makes sure), so that none fails with a 500
    while the cache is down. Over the limit it raises ``Ratelimited`` (RATELIMIT_VIEW's 429 page)
    or, with ``block=False``, sets ``request.limited`` for the view to act on.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            limited = is_ratelimited(request, group=group, key=key, rate=rate, method=method, increment=True)
            request.limited = limited or getattr(request, "limited", False)
            if limited and block:
                raise Ratelimited
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def ratelimits(*limits: dict, method=ALL):
    """Several limits on one view, each ``{"group": ..., "key": ..., "rate": ...}`` as ``ratelimit``
    takes them, counted together; over any of them, ``Ratelimited`` (RATELIMIT_VIEW's 429 page).

    With Redis as the cache (production) every counter is counted in one round trip, a pipeline of
    SET NX (with django-ratelimit's expiry) and INCR per counter, under django-ratelimit's own keys;
    django-ratelimit makes one or two round trips per limit. Every counter is counted, even when an
    earlier one is over its limit, which only counts more than stacked decorators would. Any other
    cache: ``is_ratelimited`` for each. A cache outage allows the request, uncounted.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            limited = _over_a_limit(request, limits, method)
            request.limited = limited or getattr(request, "limited", False)
            if limited:
                raise Ratelimited
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _over_a_limit(request, limits, method) -> bool:
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    if not isinstance(cache, RedisCache):
        limited = [is_ratelimited(request, method=method, increment=True, **limit) for limit in limits]
        return any(limited)
    if not getattr(settings, "RATELIMIT_ENABLE", True) or not core._method_match(request, method):
        return False
    counters = []
    for limit in limits:
        group, key, rate = limit["group"], limit["key"], limit["rate"]
        rate = rate(group, request) if callable(rate) else rate
        value = key(group, request) if callable(key) else core._SIMPLE_KEYS[key](request)
        most, period = core._split_rate(rate)
        cache_key = core._make_cache_key(group, core._get_window(value, period), rate, value, method)
        counters.append((cache.make_and_validate_key(cache_key), period, most))
    try:
        pipeline = cache._cache.get_client(write=True).pipeline(transaction=False)
        for cache_key, period, _most in counters:
            pipeline.set(cache_key, 0, ex=period + core.EXPIRATION_FUDGE, nx=True)
            pipeline.incr(cache_key)
        counts = pipeline.execute()[1::2]
    except CACHE_UNAVAILABLE as exc:
        groups = ", ".join(limit["group"] for limit in limits)
        logger.warning("Rate-limit cache unavailable, %s not counted and the request allowed: %s", groups, exc)
        return False
    return any(count > most for count, (_key, _period, most) in zip(counts, counters, strict=True))


def client_ip(request) -> str:
    """The client's address: from X-Forwarded-For as written by our own proxies, else REMOTE_ADDR.

    With N trusted proxies the Nth entry from the right was written by the outermost of them;
    anything left of it came from the client and may be forged. A malformed value falls back
    to REMOTE_ADDR rather than fail the request.
    """
    # Read once per request: the audit middleware and the rate limits each ask for it.
    known = request.__dict__.get("_client_ip")
    if known is None:
        known = request.__dict__["_client_ip"] = _client_ip(request)
    return known


def _client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.RATELIMIT_TRUSTED_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


def username_key(group, request) -> str:
    return request.POST.get("username", "").strip().casefold()


def email_key(group, request) -> str:
    return request.POST.get("email", "").strip().casefold()


def token_key(group, request) -> str:
    """The survey link's token from the URL (django-ratelimit hashes it into the cache key)."""
    return request.resolver_match.kwargs.get("token", "") if request.resolver_match else ""


def login_attempts_counted(view):
    """Count password sign-in attempts per network address and per username, without blocking:
    the view sees ``request.limited`` and refuses to check the password. The main login page and
    the admin's share the counters, so switching from one to the other does not reset them."""
    view = ratelimit(
        group="login-username", key=username_key, rate=LOGIN_RATE_PER_USERNAME, method="POST", block=False
    )(view)
    return ratelimit(group="login-ip", key="ip", rate=LOGIN_RATE_PER_IP, method="POST", block=False)(view)
