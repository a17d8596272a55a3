"""The cohort sub-navigation and the default breadcrumbs of every cohort page, built once.

``cohort_navigation`` is a context processor: on any page whose URL carries a ``cohort_pk`` (the
access middleware has then put ``request.cohort`` on the request) it gives ``cohort_nav``, which
``base.html`` draws above the page (``cohorts/partials/_cohort_nav.html``) and uses for the
default breadcrumbs. A page added later under ``/cohorts/<pk>/`` gets both by extending
``base.html``; to be marked as the current section its URL name (or namespace) is listed in
``SECTIONS`` below. No queries: everything comes from the request.

Every cohort page pays for it, so what it gives (the links, and the HTML of the two partials) is
made once per process for each cohort, page, kind of viewer and language (``common.memo.Memo``):
the key holds everything it shows (the cohort's id and name included), so nothing goes stale.

URL names are strings here, so common imports no higher app (the layers stay as they are).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .memo import Memo

FACILITATORS, MEMBERS = "facilitators", "members"


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    url_name: str
    anchor: str = ""
    audience: str = FACILITATORS
    # URL names ("namespace:name") or whole namespaces ("namespace:") that belong to the section.
    matches: tuple[str, ...] = ()


SECTIONS = (
    Section(
        "overview", _("Overview"), "modules:cohort_detail", matches=("modules:cohort_detail", "modules:cohort_update")
    ),
    Section("modules", _("Modules"), "modules:cohort_detail", anchor="#modules", matches=("modules:",)),
    Section("participants", _("Participants"), "modules:cohort_detail", anchor="#participants", matches=("cohorts:",)),
    Section("pdsa", _("PDSA"), "surveys:pdsa_timeline", matches=("surveys:pdsa_timeline", "surveys:pdsa_cycle_update")),
    Section("surveys", _("Surveys"), "surveys:survey_list", matches=("surveys:",)),
    Section(
        "showcase",
        _("Showcase"),
        "projects:showcase",
        audience=MEMBERS,
        matches=(
            "projects:showcase",
            "projects:showcase_print",
            "projects:presentation_create",
            "projects:presentation_detail",
            "projects:presentation_update",
            "projects:presentation_delete",
            "projects:slides_upload",
            "projects:feedback_give",
        ),
    ),
    Section("projects", _("Sets and projects"), "projects:set_list", audience=MEMBERS, matches=("projects:",)),
    Section(
        "practice",
        _("My practice log"),
        "evaluation:practice_moment_list",
        audience="participants",
        matches=(
            "evaluation:practice_moment_list",
            "evaluation:practice_moment_create",
            "evaluation:practice_moment_update",
            "evaluation:practice_moment_delete",
            "evaluation:practice_nudges_update",
            "evaluation:practice_set_reflections",
        ),
    ),
    Section("evaluation", _("Evaluation"), "evaluation:evaluation_overview", matches=("evaluation:",)),
    Section("report", _("Impact report"), "reports:report_detail", matches=("reports:",)),
)
# The order the links are shown in; matching tries SECTIONS in its own order (exact names before
# whole namespaces, e.g. PDSA before surveys).
ORDER = (
    "overview",
    "modules",
    "participants",
    "surveys",
    "pdsa",
    "projects",
    "showcase",
    "practice",
    "evaluation",
    "report",
)


def _matches(section: Section, view_name: str) -> bool:
    return any(view_name == m or (m.endswith(":") and view_name.startswith(m)) for m in section.matches)


def current_section(view_name: str) -> str | None:
    return next((s.key for s in SECTIONS if _matches(s, view_name)), None)


def _visible(section: Section, *, facilitating: bool, member: bool) -> bool:
    if section.audience == MEMBERS:
        return True
    if section.audience == FACILITATORS:
        return facilitating
    return member and not facilitating


# A few hundred entries a cohort page and kind of viewer: enough for every cohort a worker serves.
_NAVIGATION = Memo(maxsize=4096)


def cohort_navigation(request) -> dict:
    cohort = getattr(request, "cohort", None)
    match = getattr(request, "resolver_match", None)
    if cohort is None or match is None:
        return {}
    facilitating = request.is_cohort_facilitator
    member = request.cohort_membership is not None
    key = (cohort.pk, cohort.name, match.view_name, facilitating, member, get_language(), get_script_prefix())
    navigation = _NAVIGATION.get_or_make(key, lambda: _navigation(cohort, match.view_name, facilitating, member))
    return {"cohort_nav": {**navigation, "cohort": cohort}}


def _navigation(cohort, view_name: str, facilitating: bool, member: bool) -> dict:
    current = current_section(view_name)
    by_key = {s.key: s for s in SECTIONS}
    items = []
    for key in ORDER:
        section = by_key[key]
        if not _visible(section, facilitating=facilitating, member=member):
            continue
        try:
            url = reverse(section.url_name, kwargs={"cohort_pk": cohort.pk}) + section.anchor
        except NoReverseMatch:  # an app left out of this installation
            continue
        landing = view_name == section.url_name and not section.anchor
        items.append({"key": key, "label": section.label, "url": url, "current": key == current, "landing": landing})
    navigation = {
        "items": items,
        "section": next((item for item in items if item["current"]), None),
        # Where the cohort's name in the breadcrumbs leads: the cohort page, or for participants
        # (who cannot open it) the sets and projects.
        "cohort_url": reverse(
            "modules:cohort_detail" if facilitating else "projects:set_list", kwargs={"cohort_pk": cohort.pk}
        ),
        "home_label": _("Home") if facilitating else _("My programme"),
        "home_url": reverse("home" if facilitating else "accounts:my_programme"),
    }
    # The partials base.html draws, drawn here once: they show nothing but the above and the
    # cohort's name.
    drawn = {"cohort_nav": {**navigation, "cohort": cohort}}
    navigation["html"] = render_to_string("cohorts/partials/_cohort_nav.html", drawn)
    navigation["breadcrumbs_html"] = render_to_string("cohorts/partials/_cohort_breadcrumbs.html", drawn)
    return navigation
