"""Rate limits (django-ratelimit) on the ways in that anyone can reach without an account.

The limits leave room for a whole cohort on one network: on a module day thirty people in one
training room, behind one NHS trust's address, may sign in or open their survey links within a
minute or two. The per-person limits (username, e-mail address) are the tight ones.
"""

import ipaddress
import logging
from functools import wraps

import redis
from django.conf import settings
from django_ratelimit import ALL, core
from django_ratelimit.exceptions import Ratelimited

logger = logging.getLogger(__name__)

# Password sign-in: per username stops guessing one account's password; per address stops
# spraying many accounts from one place.
LOGIN_RATE_PER_USERNAME = "10/10m"
LOGIN_RATE_PER_IP = "60/10m"
# E-mailed sign-in links: per address stops anyone filling a person's inbox (the earlier links
# still work for 30 minutes); per network address stops mailing long lists of addresses.
SIGN_IN_LINK_RATE_PER_EMAIL = "3/h"
SIGN_IN_LINK_RATE_PER_IP = "20/15m"
# Opening a survey link: tokens are 256-bit, so this only stops anyone hammering the server.
SURVEY_LINK_RATE_PER_IP = "60/m"


# What Django's RedisCache raises when Redis cannot be reached or does not answer in time.
CACHE_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


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


def client_ip(request) -> str:
    """The client's address: from X-Forwarded-For as written by our own proxies, else REMOTE_ADDR.

    With N trusted proxies the Nth entry from the right was written by the outermost of them;
    anything left of it came from the client and may be forged. A malformed value falls back
    to REMOTE_ADDR rather than fail the request.
    """
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


def login_attempts_counted(view):
    """Count password sign-in attempts per network address and per username, without blocking:
    the view sees ``request.limited`` and refuses to check the password. The main login page and
    the admin's share the counters, so switching from one to the other does not reset them."""
    view = ratelimit(
        group="login-username", key=username_key, rate=LOGIN_RATE_PER_USERNAME, method="POST", block=False
    )(view)
    return ratelimit(group="login-ip", key="ip", rate=LOGIN_RATE_PER_IP, method="POST", block=False)(view)
