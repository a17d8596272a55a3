"""The participant list as CSV and XLSX, and the registration template as XLSX (issue 11)."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cohorts.tests.factories import MembershipFactory, UserFactory, client_for
from common.exports import XLSX_TYPE

pytestmark = pytest.mark.django_db


def export_url(cohort, fmt):
    return reverse("cohorts:participant_export", kwargs={"cohort_pk": cohort.pk, "fmt": fmt})


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def xlsx_rows(response):
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_participant_export_csv_lists_every_participant_and_neutralises_formulas(facilitator_client, cohort):
    MembershipFactory(cohort=cohort, person__full_name="Ann Able", person__job_title="=HYPERLINK(1)")
    MembershipFactory(
        cohort=cohort, person__full_name="Bob Gone", status="withdrawn", withdrawn_on=datetime.date(2026, 3, 1)
    )
    MembershipFactory(person__full_name="Someone Else")  # another cohort's

    response = facilitator_client.get(export_url(cohort, "csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="participants-cohort{cohort.pk}.csv"' in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header[:2] == ["Name", "E-mail"]
    assert [row[0] for row in rows] == ["Ann Able", "Bob Gone"]
    assert rows[0][2] == "'=HYPERLINK(1)"
    assert rows[1][6:] == ["Withdrawn", "2026-03-01"]


def test_participant_export_xlsx_has_the_same_rows(facilitator_client, cohort):
    MembershipFactory(cohort=cohort, person__full_name="Ann Able", person__team="+44 ward")
    response = facilitator_client.get(export_url(cohort, "xlsx"))
    assert response["Content-Type"] == XLSX_TYPE
    header, row = xlsx_rows(response)
    assert header[0] == "Name"
    assert row[0] == "Ann Able"
    assert row[4] == "'+44 ward"


def test_participant_export_is_for_facilitators_and_staff_only(cohort, staff_user):
    participant = MembershipFactory(cohort=cohort, person__user=UserFactory()).person.user
    assert client_for(participant).get(export_url(cohort, "csv")).status_code == 404
    assert client_for(staff_user).get(export_url(cohort, "csv")).status_code == 200


def test_participant_export_unknown_format_is_404(facilitator_client, cohort):
    assert facilitator_client.get(export_url(cohort, "pdf")).status_code == 404


@pytest.mark.parametrize("size", [3, 40])
def test_participant_export_queries_do_not_grow_with_the_cohort(
    facilitator_client, cohort, size, django_assert_max_num_queries
):
    MembershipFactory.create_batch(size, cohort=cohort)
    with django_assert_max_num_queries(8):
        rows = csv_rows(facilitator_client.get(export_url(cohort, "csv")))
    assert len(rows) == size + 1


def test_import_template_xlsx_has_the_columns_the_import_reads(facilitator_client, cohort):
    url = reverse("cohorts:participant_import_template_xlsx", kwargs={"cohort_pk": cohort.pk})
    response = facilitator_client.get(url)
    assert response.status_code == 200
    header, example = xlsx_rows(response)
    assert header[:2] == ["full_name", "email"]
    assert example[0] == "Alex Example"
    page = facilitator_client.get(reverse("cohorts:participant_import", kwargs={"cohort_pk": cohort.pk}))
    assert f'href="{url}"' in page.text
