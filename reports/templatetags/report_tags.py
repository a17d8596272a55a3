import datetime

from django import template

from common.drawn import drawn
from reports.body import report_body_html
from reports.figures import figures_html

register = template.Library()


@register.filter
def isodate(value):
    """A date stored as an ISO string in the report's dict, back as a date for the ``date`` filter."""
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value) if "T" in value else datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@register.filter
def anchor(evidence):
    """The HTML id of a report section named by a key impact's evidence ("project:12" -> "project-12")."""
    return (evidence or "").replace(":", "-")


@register.simple_tag(takes_context=True)
def report_figures(context):
    """Sections 3 to 7 of the report in ``context["data"]`` (``reports.figures``)."""
    return figures_html(context["data"], pdf=bool(context.get("pdf")))


@register.simple_tag(takes_context=True)
def report_body(context):
    """The report page's nine sections, drawn once per process for the same report and kind of viewer
    (``reports.body``)."""
    return report_body_html(context)


# The page's breadcrumbs and top (title, status, errors, downloads, contents) are drawn by common.drawn:
# once per process for the plain values below (with the language, time zone and script prefix).


@register.simple_tag(takes_context=True)
def report_breadcrumbs(context):
    cohort = context["cohort"]
    return drawn("reports/partials/_breadcrumbs.html", {"cohort": {"pk": cohort.pk, "name": cohort.name}})


def report_top_values(context) -> dict:
    """Everything ``_report_top.html`` shows, as plain values."""
    cohort, page, data = context["cohort"], context["page"], context["data"]
    return {
        "cohort": {"pk": cohort.pk, "name": cohort.name},
        "page": {"is_published": page.is_published},
        "data": {"published_at": data.get("published_at"), "published_by": data.get("published_by")},
        "errors": [str(error) for error in context.get("errors") or []],
        "pdf_unavailable": str(context.get("pdf_unavailable") or ""),
        "user": {"is_staff": bool(context["user"].is_staff)},
        "titles": {key: str(title) for key, title in context["titles"].items()},
    }


@register.simple_tag(takes_context=True)
def report_top(context):
    return drawn("reports/partials/_report_top.html", report_top_values(context))
