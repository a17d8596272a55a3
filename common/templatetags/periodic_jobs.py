from django import template

from common.health import periodic_jobs_status

register = template.Library()


@register.inclusion_tag("common/partials/_periodic_jobs_warning.html")
def periodic_jobs_warning():
    """A warning for facilitators and staff when Celery beat seems to have stopped (common.health)."""
    overdue, last_run = periodic_jobs_status()
    return {"overdue": overdue, "last_run": last_run if overdue else None}
