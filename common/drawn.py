"""A partial drawn once per process for what it shows, not on every request.

A long table or a chart costs more to draw than to describe: a cohort's hundred-odd participant rows
were the largest part of the cohort page's time (issue 14). ``drawn(template_name, values)`` draws the
partial from ``values`` alone (plain text, numbers, dates and booleans, in lists, tuples and dicts),
with no request and no context processors, so those values are everything it can show; they, with the
language and the time zone, are the key it is kept under. A changed row is another key and is drawn again: nothing is
ever invalidated, and nothing can be shown stale. What differs per request or per person (a CSRF
token, the viewer's own controls) stays outside the partial.

Each process keeps its own (each gunicorn worker), the least recently used dropped, and separately for
each loaded copy of the template, so that a template edited in development is used at once. How many
drawings of a template are kept follows the size of its first one: about ``BUDGET`` characters of
HTML, at least ``MINSIZE`` and at most ``MAXSIZE`` drawings (a cohort's 120-row participant table is
about 120,000 characters: 17 of them; a run chart block, 256).
"""

import hashlib
import threading
import weakref

from django import template
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

from .memo import Memo

MAXSIZE = 256
MINSIZE = 8
BUDGET = 2_000_000  # characters of HTML kept per template, about

_lock = threading.Lock()
_drawn: "weakref.WeakKeyDictionary[template.Template, Memo]" = weakref.WeakKeyDictionary()


def drawn(template_name: str, values: dict) -> SafeString:
    """``template_name`` rendered with ``values`` as its only context, kept under them, the language and
    the time zone (which the ``date`` filter uses)."""
    # The script prefix too: the links a partial reverses start with it.
    shown_with = (get_language(), get_current_timezone_name(), get_script_prefix())
    key = hashlib.blake2b(repr((shown_with, values)).encode(), digest_size=16).digest()
    partial = get_template(template_name)
    with _lock:
        kept = _drawn.get(partial.template)
    html = kept.get(key) if kept is not None else None
    if html is None:
        html = mark_safe(partial.render(values))  # noqa: S308 - rendered by the template, escaped there
        with _lock:
            kept = _drawn.get(partial.template)
            if kept is None:
                kept = _drawn[partial.template] = Memo(max(MINSIZE, min(MAXSIZE, BUDGET // max(len(html), 1))))
        kept.put(key, html)
    return html


def kept_at_most(template_name: str) -> int | None:
    """How many drawings of the template this process keeps (None before its first)."""
    with _lock:
        kept = _drawn.get(get_template(template_name).template)
    return None if kept is None else kept.maxsize


def cache_clear() -> None:
    with _lock:
        _drawn.clear()
