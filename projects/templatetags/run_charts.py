"""A run chart's SVG drawn once per process for what it shows, not on every request.

The showcase draws every measure's run chart (ten on the scale data's big cohort), and drawing
``_run_chart_svg.html`` was a quarter of the page's time (issue 14). A chart's SVG depends only on
what it is given (its layout, which holds every point, signal and PDSA marker; its id, name, unit and
findings) and on the language, so that is its key: a new or changed data point, a renamed measure or
a moved PDSA cycle makes another key, and the chart is drawn again. There is nothing to invalidate.

Each process keeps its own (each gunicorn worker; a deploy starts new ones, so changed chart code is
drawn afresh), bounded (``MAXSIZE`` charts, the least recently used dropped), and separately for each
loaded copy of the template, so that a template edited in development is used at once.
"""

import hashlib
import threading
import weakref
from collections import OrderedDict

from django import template
from django.template.loader import get_template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

TEMPLATE = "projects/partials/_run_chart_svg.html"
MAXSIZE = 512

_lock = threading.Lock()
_drawn: "weakref.WeakKeyDictionary[template.Template, OrderedDict[bytes, str]]" = weakref.WeakKeyDictionary()


@register.simple_tag
def run_chart_svg(*, layout: dict, chart_id: str, name: str, unit: str, enough_data: bool, findings) -> str:
    """``{% include "projects/partials/_run_chart_svg.html" with ... %}``, the same arguments, kept."""
    context = {
        "layout": layout,
        "chart_id": chart_id,
        "name": name,
        "unit": unit,
        "enough_data": enough_data,
        "findings": findings,
    }
    shown = (
        get_language(),
        chart_id,
        name,
        unit,
        bool(enough_data),
        [(str(f["label"]), str(f["text"])) for f in findings],
        layout,  # text, dates, numbers and lists only (projects.charts): its repr is what it shows
    )
    key = hashlib.blake2b(repr(shown).encode(), digest_size=16).digest()
    svg_template = get_template(TEMPLATE)
    with _lock:
        drawn = _drawn.setdefault(svg_template.template, OrderedDict())
        svg = drawn.get(key)
        if svg is not None:
            drawn.move_to_end(key)
            return svg
    svg = mark_safe(svg_template.render(context))  # noqa: S308 - rendered by the template, escaped there
    with _lock:
        drawn[key] = svg
        while len(drawn) > MAXSIZE:
            drawn.popitem(last=False)
    return svg


def cache_clear() -> None:
    with _lock:
        _drawn.clear()
