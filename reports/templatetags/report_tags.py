import datetime

from django import template

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
