"""The attendance register of a cohort as CSV and XLSX (issue 11)."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cohorts.tests.factories import MembershipFactory, UserFactory, client_for
from modules.tests.factories import AttendanceFactory, modules_for_cohort

pytestmark = pytest.mark.django_db


def export_url(cohort, fmt):
    return reverse("modules:attendance_export", kwargs={"cohort_pk": cohort.pk, "fmt": fmt})


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_attendance_export_csv_has_a_column_per_module_and_the_totals(facilitator_client, cohort):
    modules = modules_for_cohort(cohort)
    ann = MembershipFactory(cohort=cohort, person__full_name="Ann Able")
    bob = MembershipFactory(cohort=cohort, person__full_name="=Bob", status="withdrawn", withdrawn_on="2026-02-01")
    never = MembershipFactory(
        cohort=cohort, person__full_name="Cat Gone", status="withdrawn", withdrawn_on=datetime.date(2026, 2, 1)
    )
    AttendanceFactory(module=modules[0], membership=ann, status="present")
    AttendanceFactory(module=modules[1], membership=ann, status="apologies")
    AttendanceFactory(module=modules[0], membership=bob, status="absent")

    response = facilitator_client.get(export_url(cohort, "csv"))

    assert response.status_code == 200
    header, *rows = csv_rows(response)
    assert header[3].startswith("Module 1 (")
    assert header[8].startswith("Module 6 (")
    assert header[-3:] == ["Present", "Apologies", "Absent"]
    by_name = {row[0]: row for row in rows}
    assert set(by_name) == {"Ann Able", "'=Bob"}  # a withdrawn person without a mark is not on the register
    assert never.person.full_name not in by_name
    assert by_name["Ann Able"][3:9] == ["Present", "Apologies", "", "", "", ""]
    assert by_name["Ann Able"][-3:] == ["1", "1", "0"]
    assert by_name["'=Bob"][2] == "Withdrawn"


def test_attendance_export_xlsx_opens_with_the_same_figures(facilitator_client, cohort):
    modules = modules_for_cohort(cohort)
    ann = MembershipFactory(cohort=cohort, person__full_name="Ann Able")
    AttendanceFactory(module=modules[2], membership=ann, status="absent")
    response = facilitator_client.get(export_url(cohort, "xlsx"))
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert rows[1][0] == "Ann Able"
    assert rows[1][5] == "Absent"
    assert rows[1][-3:] == (0, 0, 1)


def test_attendance_export_is_for_facilitators_and_staff_only(cohort):
    participant = MembershipFactory(cohort=cohort, person__user=UserFactory()).person.user
    assert client_for(participant).get(export_url(cohort, "csv")).status_code == 404


@pytest.mark.parametrize("size", [3, 40])
def test_attendance_export_queries_do_not_grow_with_the_cohort(
    facilitator_client, cohort, size, django_assert_max_num_queries
):
    modules = modules_for_cohort(cohort)
    for membership in MembershipFactory.create_batch(size, cohort=cohort):
        AttendanceFactory(module=modules[0], membership=membership)
    with django_assert_max_num_queries(10):  # 9, and the audit trail's record of the download
        rows = csv_rows(facilitator_client.get(export_url(cohort, "csv")))
    assert len(rows) == size + 1


def test_attendance_export_reads_only_this_cohorts_modules_and_marks(facilitator_client, cohort):
    from cohorts.tests.factories import CohortFactory

    modules = modules_for_cohort(cohort)
    other_modules = modules_for_cohort(CohortFactory())
    ann = MembershipFactory(cohort=cohort, person__full_name="Ann Able")
    AttendanceFactory(module=modules[2], membership=ann, status="absent")
    AttendanceFactory(
        module=other_modules[0], membership=MembershipFactory(cohort=other_modules[0].cohort), status="present"
    )

    header, *rows = csv_rows(facilitator_client.get(export_url(cohort, "csv")))

    assert len(header) == 3 + 6 + 3
    assert rows == [["Ann Able", ann.person.email, "Active", "", "", "Absent", "", "", "", "0", "0", "1"]]
