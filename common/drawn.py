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
from django.contrib import messages
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.template.response import TemplateResponse
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
    partial = get_template(template_name)
    # Rendered by the template, escaped there.
    return _kept(partial, (shown_with, values), lambda: mark_safe(partial.render(values)))  # noqa: S308


def _kept(template, key, draw):
    """What ``draw()`` makes of ``template``, kept under ``key`` (hashed from its repr) in the
    template's own store, sized by its first drawing."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=16).digest()
    with _lock:
        kept = _drawn.get(template.template)
    html = kept.get(digest) if kept is not None else None
    if html is None:
        html = draw()
        with _lock:
            kept = _drawn.get(template.template)
            if kept is None:
                kept = _drawn[template.template] = Memo(max(MINSIZE, min(MAXSIZE, BUDGET // max(len(html), 1))))
        kept.put(digest, html)
    return html


# Where a drawn page's CSRF token goes: the page is drawn with this in its place, and each request
# puts its own token there. Letters only, so escaping leaves it as it is; never a real token (those
# are 64 characters of letters and digits, this is neither).
CSRF_SLOT = "drawnPageCsrfTokenSlot"


def drawn_page(request, template_name: str, context: dict, key) -> str:
    """A whole page drawn once per process for ``key`` and what frames it (the language, the time
    zone, whether the viewer is signed in and staff), with the request's own CSRF token put in.

    For a page nobody's data is on: ``key`` must hold every value the page shows (as ``drawn``'s
    values do), and the page may show nothing else of the request than the frame and the CSRF token
    (which also sets the CSRF cookie, as ``{% csrf_token %}`` does). A request with messages waiting
    is drawn the usual way, so that they show once."""
    user = request.user
    frame = (get_language(), get_current_timezone_name(), get_script_prefix(), user.is_authenticated, user.is_staff)
    page = get_template(template_name)
    html = _kept(page, (frame, key), lambda: page.render({**context, "csrf_token": CSRF_SLOT}, request))
    # (A page without a form needs no token, and does not set the CSRF cookie.)
    return html.replace(CSRF_SLOT, get_token(request)) if CSRF_SLOT in html else html


class DrawnPageResponse(TemplateResponse):
    """A TemplateResponse drawn by ``drawn_page`` under ``key``: lazy like any TemplateResponse (a
    view may return it from inside a transaction and it is drawn after the commit), and drawn the
    usual way when messages are waiting."""

    def __init__(self, request, template, context, *, key, **kwargs):
        super().__init__(request, template, context, **kwargs)
        self.key = key

    @property
    def rendered_content(self):
        if messages.get_messages(self._request):
            return super().rendered_content
        template_name = self.template_name if isinstance(self.template_name, str) else self.template_name[0]
        return drawn_page(self._request, template_name, self.context_data, self.key)


def kept_at_most(template_name: str) -> int | None:
    """How many drawings of the template this process keeps (None before its first)."""
    with _lock:
        kept = _drawn.get(get_template(template_name).template)
    return None if kept is None else kept.maxsize


def cache_clear() -> None:
    with _lock:
        _drawn.clear()
