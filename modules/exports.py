"""The attendance register of a whole cohort as a download (CSV or XLSX) for its facilitators and
staff: one row per participant on the register, one column per module, then the totals. Streamed
and formula-safe (common.exports); three queries whatever the cohort's size."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Membership
from common.exports import CHUNK_SIZE, neutralised

from .models import Attendance, Module


def attendance_rows(cohort: Cohort) -> Iterator[list]:
    yield from neutralised(_attendance_rows(cohort))


def _attendance_rows(cohort: Cohort) -> Iterator[list]:
    modules = list(Module.objects.filter(cohort=cohort).order_by("number").values_list("pk", "number", "starts_at"))
    labels = dict(Attendance.Status.choices)
    yield [
        _("Name"),
        _("E-mail"),
        _("Status"),
        *[
            _("Module %(number)s (%(date)s)")
            % {"number": number, "date": timezone.localtime(starts_at).date().isoformat()}
            for _pk, number, starts_at in modules
        ],
        *[str(labels[status]) for status in Attendance.Status.values],
    ]
    marks = {
        (membership_id, module_id): status
        for membership_id, module_id, status in Attendance.objects.filter(module__cohort=cohort).values_list(
            "membership_id", "module_id", "status"
        )
    }
    with_marks = {membership_id for membership_id, _module in marks}
    statuses = dict(Membership.Status.choices)
    # As the module register: active participants, and withdrawn ones who have a mark.
    memberships = (
        Membership.objects.participants()
        .filter(cohort=cohort)
        .filter(Q(status=Membership.Status.ACTIVE) | Q(pk__in=with_marks))
        .order_by("person__full_name", "pk")
        .values_list("pk", "person__full_name", "person__email", "status")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for pk, name, email, status in memberships:
        row_marks = [marks.get((pk, module_pk)) for module_pk, _number, _starts in modules]
        yield [
            name,
            email,
            str(statuses[status]),
            *[str(labels[mark]) if mark else "" for mark in row_marks],
            *[row_marks.count(status) for status in Attendance.Status.values],
        ]


def attendance_filename(cohort: Cohort) -> str:
    return f"attendance-cohort{cohort.pk}"
