"""Downloads of a cohort's named data for its facilitators and staff: the participant list, and the
registration list template (CSV or XLSX) for the import. Streamed and formula-safe (common.exports)."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from common.exports import CHUNK_SIZE, neutralised

from . import imports
from .models import Cohort, Membership, Person


def participant_rows(cohort: Cohort) -> Iterator[list]:
    """Header first, then one row per participant (withdrawn ones too, saying so), by name."""
    yield from neutralised(_participant_rows(cohort))


def _participant_rows(cohort: Cohort) -> Iterator[list]:
    yield [
        _("Name"),
        _("E-mail"),
        _("Job title"),
        _("Profession"),
        _("Team"),
        _("Organisation"),
        _("Status"),
        _("Withdrawn on"),
    ]
    professions = dict(Person.Profession.choices)
    statuses = dict(Membership.Status.choices)
    memberships = (
        Membership.objects.participants()
        .filter(cohort=cohort)
        .order_by("person__full_name", "pk")
        .values_list(
            "person__full_name",
            "person__email",
            "person__job_title",
            "person__profession",
            "person__team",
            "person__organisation__name",
            "status",
            "withdrawn_on",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for name, email, job_title, profession, team, organisation, status, withdrawn_on in memberships:
        yield [
            name,
            email,
            job_title,
            str(professions.get(profession, profession)),
            team,
            organisation or "",
            str(statuses[status]),
            withdrawn_on.isoformat() if withdrawn_on else "",
        ]


def participant_filename(cohort: Cohort) -> str:
    return f"participants-cohort{cohort.pk}"


def import_template_rows() -> Iterator[list]:
    yield from neutralised([list(row) for row in imports.TEMPLATE_ROWS])
