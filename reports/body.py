"""The report page's nine sections (``_report_body.html``) drawn once per process for the same report
and the same kind of viewer, not on every request.

A draft's report is kept per process under its stamp (``ReportPage.stamp``: the cohort, a digest of
every row it is drawn from, the language and the day), and its figures' HTML under their digest
(``reports.figures``); drawing the rest of the sections around them (the summary, the key impacts
with their controls and forms, the quotes, the narrative) was still a third of the page's CPU. It is
drawn from plain values alone, in a context of its own: the report's dict and page (what the stamp
stands for), the section titles and the two forms (made from the dict, in the language), the
cohort's id (its links) and whether the viewer is staff (the published report's "take out" buttons).
They are the key it is kept under, with the stamp, the time zone and the script prefix (its links);
the language and the day are in the stamp. Nothing is invalidated: a change to any row is another
stamp.

The one part of it that differs per request, the CSRF token of its forms, is drawn as a marker and
put in on each request, as ``{% csrf_token %}`` would draw it in the page's own context. Where there
is no stamp (not on PostgreSQL) the sections are drawn on every request, as before.
"""

from __future__ import annotations

import secrets

from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone_name

from common.memo import Memo

TEMPLATE = "reports/partials/_report_body.html"
MAXSIZE = 16

# Drawn where each form's CSRF token goes, and replaced by the request's. Made per process, so no
# report text can carry it.
_MARK = f"csrf-token-{secrets.token_hex(16)}"
_MARKED_TAG = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', _MARK)

_drawn = Memo(MAXSIZE)


def _values(context) -> dict:
    """Everything the sections may show, as they read it."""
    page = context["page"]
    return {
        "page": page,
        "data": context["data"],
        "titles": context["titles"],
        "editable": context["editable"],
        "pdf": False,
        "impact_form": context.get("impact_form"),
        "narrative_form": context.get("narrative_form"),
        "cohort": {"pk": context["cohort"].pk},
        "user": {"is_staff": bool(context["user"].is_staff)},
        "csrf_token": _MARK,
    }


def report_body_html(context) -> str:
    """``_report_body.html`` as the page's context would draw it (see the module's docstring)."""
    template = context.template.engine.get_template(TEMPLATE)
    page = context["page"]
    if page.stamp is None:
        return template.render(context)
    key = (
        page.stamp,
        get_current_timezone_name(),
        get_script_prefix(),
        context["cohort"].pk,
        bool(context["user"].is_staff),
        bool(context["editable"]),
    )
    html = _drawn.get_or_make(key, lambda: template.render(context.new(_values(context))))
    if _MARK in html:
        html = html.replace(_MARKED_TAG, CsrfTokenNode().render(context))
    return mark_safe(html)  # noqa: S308 - drawn by the template, escaped there


def body_clear() -> None:
    _drawn.clear()
