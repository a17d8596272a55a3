"""A partial drawn once per process for what it shows, not on every request.

A long table or a chart costs more to draw than to describe: a cohort's hundred-odd participant rows
were the largest part of the cohort page's time (issue 14). ``drawn(template_name, values)`` draws the
partial from ``values`` alone (plain text, numbers, dates and booleans, in lists, tuples and dicts),
with no request and no context processors, so those values are everything it can show; they, with the
language and the time zone, are the key it is kept under. A changed row is another key and is drawn again: nothing is
ever invalidated, and nothing can be shown stale. What differs per request or per person (a CSRF
token, the viewer's own controls) stays outside the partial.

Each process keeps its own (each gunicorn worker), bounded by ``MAXSIZE`` per template, the least
recently used dropped, and separately for each loaded copy of the template, so that a template edited
in development is used at once.
"""

import hashlib
import threading
import weakref

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

from .memo import Memo

MAXSIZE = 256

_lock = threading.Lock()
_drawn: "weakref.WeakKeyDictionary[template.Template, Memo]" = weakref.WeakKeyDictionary()


def drawn(template_name: str, values: dict) -> SafeString:
    """``template_name`` rendered with ``values`` as its only context, kept under them, the language and
    the time zone (which the ``date`` filter uses)."""
    shown_with = (get_language(), get_current_timezone_name())
    key = hashlib.blake2b(repr((shown_with, values)).encode(), digest_size=16).digest()
    partial = get_template(template_name)
    with _lock:
        kept = _drawn.setdefault(partial.template, Memo(MAXSIZE))
    # Rendered by the template, escaped there.
    return kept.get_or_make(key, lambda: mark_safe(partial.render(values)))  # noqa: S308


def cache_clear() -> None:
    with _lock:
        _drawn.clear()
