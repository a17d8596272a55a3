"""A cohort's card on the home page, drawn once per process for what it shows.

A facilitator's home page lists up to 20 cohorts, and drawing each card (a link, dates, four
translated sentences) was most of the page's rendering (issue 14). ``{% cohort_card cohort %}``
reads only plain values from a cohort of ``modules.selectors.cohort_list_for_user``; the partial is
drawn from those values alone, and they, with the language and time zone (the next module's time is
shown in it), are the key it is kept under (``common.drawn``). A renamed cohort, a delivered
module or a new participant makes another key: nothing is ever stale, nothing to invalidate.
"""

from django import template

from common.drawn import drawn

register = template.Library()

TEMPLATE = "cohorts/partials/_cohort_card.html"


def cohort_card_values(cohort) -> dict:
    """Everything the card shows, as plain values."""
    return {
        "pk": cohort.pk,
        "name": cohort.name,
        "status": cohort.status,
        "status_label": str(cohort.get_status_display()),
        "programme": str(cohort.programme),
        "commissioner": str(cohort.commissioner),
        "start_date": cohort.start_date,
        "end_date": cohort.end_date,
        "modules_delivered": cohort.modules_delivered,
        "next_module_number": cohort.next_module_number,
        "next_module_title": cohort.next_module_title,
        "next_module_at": cohort.next_module_at,
        "participants_active": cohort.participants_active,
        "facilitators": tuple(membership.person.full_name for membership in cohort.facilitator_memberships),
    }


@register.simple_tag
def cohort_card(cohort) -> str:
    return drawn(TEMPLATE, cohort_card_values(cohort))
