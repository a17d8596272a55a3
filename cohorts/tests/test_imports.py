import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from cohorts import imports, services
from cohorts.imports import ImportFileError, Outcome, participant_file_read, participant_rows_check
from cohorts.models import Membership, Person
from cohorts.tests.factories import MembershipFactory, OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db

HEADER = "full_name,email,job_title,profession,team,organisation\n"


def csv_file(text, name="participants.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows, name="participants.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def good_csv():
    return csv_file(
        HEADER
        + "Ana Able,ana@example.org,Ward manager,Nursing,Ward 3,\n"
        + "Ben Best,BEN@example.org,Consultant,medicine,CMHT North,\n"
        + "Cat Clark,cat@example.org,,occupational therapy,,\n"
    )


# READING FILES


def test_file_read_good_csv():
    rows = participant_file_read(good_csv())

    assert [r["line"] for r in rows] == [2, 3, 4]
    assert rows[1]["email"] == "BEN@example.org"
    assert rows[0]["profession"] == "Nursing"


def test_file_read_matches_headers_case_insensitively_and_semicolons():
    rows = participant_file_read(csv_file("Full Name;E-mail;Profession\nAna Able;ana@example.org;Nursing\n"))

    assert rows == [
        {
            "line": 2,
            "unlabelled": False,
            "full_name": "Ana Able",
            "email": "ana@example.org",
            "job_title": "",
            "profession": "Nursing",
            "team": "",
            "organisation": "",
        }
    ]


def test_file_read_windows_1252_csv():
    rows = participant_file_read(csv_file(HEADER + "Siân Dàvies,sian@example.org,,,,\n", encoding="cp1252"))

    assert rows[0]["full_name"] == "Siân Dàvies"


def test_file_read_good_xlsx():
    upload = xlsx_file(
        [
            ["Full_Name", "Email", "Job_Title", "Profession", "Team", "Organisation"],
            ["Ana Able", "ana@example.org", "Ward manager", "nurse", "Ward 3", None],
            [None, None, None, None, None, None],
            ["Ben Best", "ben@example.org", None, "Psychology", 12, None],
        ]
    )

    rows = participant_file_read(upload)

    assert [(r["line"], r["full_name"], r["team"]) for r in rows] == [(2, "Ana Able", "Ward 3"), (4, "Ben Best", "12")]


def test_file_read_wrong_columns_names_them():
    with pytest.raises(ImportFileError) as error:
        participant_file_read(csv_file("name,mail,proffesion\nAna,ana@example.org,nurse\n"))

    assert "“mail”" in error.value.message
    assert "“proffesion”" in error.value.message
    assert "missing columns: email" in error.value.message


def test_file_read_rejects_a_file_over_1_mb():
    big = HEADER + ("Ana Able,ana@example.org,,,," + "x" * 100 + "\n") * 9000

    with pytest.raises(ImportFileError) as error:
        participant_file_read(csv_file(big))

    assert "1 MB" in error.value.message


def test_file_read_rejects_more_than_500_rows():
    rows = "".join(f"Person {i},p{i}@example.org,,,,\n" for i in range(501))

    with pytest.raises(ImportFileError) as error:
        participant_file_read(csv_file(HEADER + rows))

    assert "more than 500" in error.value.message


def test_file_read_rejects_more_than_500_rows_in_xlsx():
    upload = xlsx_file([["full_name", "email"], *[[f"P {i}", f"p{i}@example.org"] for i in range(600)]])

    with pytest.raises(ImportFileError) as error:
        participant_file_read(upload)

    assert "more than 500" in error.value.message


def test_file_read_rejects_a_fake_xlsx():
    fake = SimpleUploadedFile("participants.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)

    with pytest.raises(ImportFileError) as error:
        participant_file_read(fake)

    assert "not an Excel workbook" in error.value.message


def test_file_read_rejects_a_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    upload = SimpleUploadedFile("participants.xlsx", buffer.getvalue())

    with pytest.raises(ImportFileError) as error:
        participant_file_read(upload)

    assert "not a readable Excel workbook" in error.value.message


def test_file_read_rejects_binary_content_named_csv():
    upload = SimpleUploadedFile("participants.csv", b"%PDF-1.7\n\x00\x01\x02\x03binary")

    with pytest.raises(ImportFileError) as error:
        participant_file_read(upload)

    assert "not a CSV or Excel" in error.value.message


def test_file_read_rejects_old_xls():
    upload = SimpleUploadedFile("participants.xls", imports.OLE2_SIGNATURE + b"\x00" * 600)

    with pytest.raises(ImportFileError) as error:
        participant_file_read(upload)

    assert ".xls" in error.value.message


def test_file_read_rejects_undecodable_text():
    upload = SimpleUploadedFile("participants.csv", HEADER.encode() + b"Ana \x81\x8d,ana@example.org,,,,\n")

    with pytest.raises(ImportFileError) as error:
        participant_file_read(upload)

    assert "could not be read" in error.value.message


@pytest.mark.parametrize("content", [b"", b"  \n\n", HEADER.encode()])
def test_file_read_rejects_empty_files(content):
    with pytest.raises(ImportFileError) as error:
        participant_file_read(SimpleUploadedFile("participants.csv", content))

    assert "empty" in error.value.message or "no participants" in error.value.message


# CHECKING ROWS


def rows_of(text):
    return participant_file_read(csv_file(HEADER + text))


def test_rows_check_reports_outcomes(cohort):
    PersonFactory(email="ben@example.org")
    MembershipFactory(cohort=cohort, person__email="cat@example.org")

    check = participant_rows_check(cohort=cohort, rows=participant_file_read(good_csv()))

    assert [row.outcome for row in check.rows] == [Outcome.NEW, Outcome.EXISTING, Outcome.IN_COHORT]
    assert check.rows[0].profession == "nurse"
    assert check.rows[2].profession == "occupational_therapy"
    assert not check.has_errors


def test_rows_check_reports_errors_row_by_row(cohort):
    organisation = OrganisationFactory(name="Riverside Mental Health Trust")
    rows = rows_of(
        "Ana Able,ana@example.org,,Nursing,,riverside mental health trust\n"
        ",missing-name@example.org,,,,\n"
        "Bad Mail,not-an-email,,,,\n"
        "Odd Job,odd@example.org,,Astronaut,,\n"
        "Ana Again,ANA@example.org,,,,\n"
        "No Org,noorg@example.org,,,,Nowhere Trust\n"
    )

    check = participant_rows_check(cohort=cohort, rows=rows)

    errors = {row.line: row.errors for row in check.rows}
    assert errors[2] == []
    assert check.rows[0].organisation == organisation
    assert errors[3] == ["The full name is missing."]
    assert errors[4] == ["“not-an-email” is not a valid e-mail address."]
    assert "“Astronaut” is not a known profession" in errors[5][0]
    assert errors[6] == ["The same e-mail address is already on row 2 of this file."]
    assert "“Nowhere Trust” is not an organisation known here" in errors[7][0]
    assert check.error_count == 5


def test_rows_check_runs_a_constant_number_of_queries(cohort, django_assert_num_queries):
    rows = rows_of("".join(f"Person {i},p{i}@example.org,,,,\n" for i in range(200)))
    for i in range(0, 200, 2):
        PersonFactory(email=f"p{i}@example.org")

    with django_assert_num_queries(3):  # organisations, people, memberships
        check = participant_rows_check(cohort=cohort, rows=rows)
    assert check.existing_count == 100


# IMPORTING


def test_participants_import_adds_everyone(cohort):
    existing = PersonFactory(email="ben@example.org", job_title="")
    MembershipFactory(cohort=cohort, person__email="cat@example.org")

    check = services.participants_import(cohort=cohort, rows=participant_file_read(good_csv()))

    assert (check.new_count, check.existing_count, check.in_cohort_count) == (1, 1, 1)
    assert Membership.objects.filter(cohort=cohort).participants().count() == 3
    existing.refresh_from_db()
    assert existing.job_title == "Consultant"
    assert Person.objects.get(email="ana@example.org").profession == "nurse"


def test_participants_import_with_a_bad_row_imports_nothing(cohort):
    rows = rows_of("Ana Able,ana@example.org,,,,\nBad Mail,not-an-email,,,,\n")

    with pytest.raises(ValidationError, match="nothing was imported"):
        services.participants_import(cohort=cohort, rows=rows)

    assert not Person.objects.filter(email="ana@example.org").exists()
    assert not Membership.objects.filter(cohort=cohort).exists()


# THE PAGES


def upload_url(cohort):
    return reverse("cohorts:participant_import", kwargs={"cohort_pk": cohort.pk})


def preview_url(cohort):
    return reverse("cohorts:participant_import_preview", kwargs={"cohort_pk": cohort.pk})


def test_import_upload_preview_confirm(facilitator_client, cohort):
    response = facilitator_client.post(upload_url(cohort), {"file": good_csv()})
    assert response.status_code == 302
    assert response.url == preview_url(cohort)

    preview = facilitator_client.get(preview_url(cohort))
    assert preview.status_code == 200
    assert preview.text.count("New person") == 3
    assert not Membership.objects.filter(cohort=cohort).participants().exists()

    token = preview.context["token"]
    confirm = facilitator_client.post(preview_url(cohort), {"token": token})

    assert confirm.status_code == 302
    assert Membership.objects.filter(cohort=cohort).participants().count() == 3
    # The pending import is gone: the preview now sends you back to the upload.
    assert facilitator_client.get(preview_url(cohort)).url == upload_url(cohort)


def test_import_xlsx_through_the_pages(facilitator_client, cohort):
    upload = xlsx_file([["full_name", "email", "profession"], ["Ana Able", "ana@example.org", "Peer support"]])

    facilitator_client.post(upload_url(cohort), {"file": upload})
    token = facilitator_client.get(preview_url(cohort)).context["token"]
    facilitator_client.post(preview_url(cohort), {"token": token})

    person = Person.objects.get(email="ana@example.org")
    assert person.profession == "peer_support"
    assert Membership.objects.filter(cohort=cohort, person=person).exists()


def test_import_preview_with_errors_has_no_confirm_and_confirm_imports_nothing(facilitator_client, cohort):
    bad = csv_file(HEADER + "Ana Able,ana@example.org,,,,\nBad Mail,not-an-email,,,,\n")
    facilitator_client.post(upload_url(cohort), {"file": bad})

    preview = facilitator_client.get(preview_url(cohort))
    assert "1 row has a problem" in preview.text
    assert "Row 3" in preview.text
    assert 'name="token"' not in preview.text

    response = facilitator_client.post(preview_url(cohort), {"token": preview.context["token"]})
    assert response.status_code == 200
    assert "nothing was imported" in response.text
    assert not Person.objects.filter(email="ana@example.org").exists()


def test_import_confirm_rechecks_rows(facilitator_client, cohort):
    facilitator_client.post(upload_url(cohort), {"file": good_csv()})
    token = facilitator_client.get(preview_url(cohort)).context["token"]
    # Between preview and confirmation someone adds one of them to the cohort by hand.
    MembershipFactory(cohort=cohort, person__email="ana@example.org")

    facilitator_client.post(preview_url(cohort), {"token": token})

    assert Membership.objects.filter(cohort=cohort).participants().count() == 3
    assert Person.objects.filter(email="ana@example.org").count() == 1


def test_import_confirm_with_a_stale_token_imports_nothing(facilitator_client, cohort):
    facilitator_client.post(upload_url(cohort), {"file": good_csv()})

    response = facilitator_client.post(preview_url(cohort), {"token": "stale"})

    assert response.status_code == 302
    assert not Membership.objects.filter(cohort=cohort).participants().exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: csv_file("name,mail\nAna,ana@example.org\n"), "The columns in the first row are not right"),
        (lambda: SimpleUploadedFile("p.xlsx", b"just some text, not a workbook"), "not an Excel workbook"),
        (lambda: SimpleUploadedFile("p.csv", b""), "The submitted file is empty."),
        (lambda: csv_file(HEADER + "x" * (1024 * 1024)), "the largest file accepted is 1024 KB"),
    ],
)
def test_import_upload_bad_file_shows_a_message_and_stores_nothing(facilitator_client, cohort, upload, message):
    response = facilitator_client.post(upload_url(cohort), {"file": upload()})

    assert response.status_code == 400
    assert message in response.text
    assert "cohorts.participant_import." + str(cohort.pk) not in facilitator_client.session


def test_import_template_csv_has_the_columns(facilitator_client, cohort):
    response = facilitator_client.get(reverse("cohorts:participant_import_template", kwargs={"cohort_pk": cohort.pk}))

    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").splitlines()[0] == ",".join(imports.COLUMNS)


def test_import_template_reads_back_without_errors(facilitator_client, cohort):
    response = facilitator_client.get(reverse("cohorts:participant_import_template", kwargs={"cohort_pk": cohort.pk}))

    rows = participant_file_read(SimpleUploadedFile("template.csv", response.content))

    assert not participant_rows_check(cohort=cohort, rows=rows).has_errors


def test_import_cancel_forgets_the_file(facilitator_client, cohort):
    facilitator_client.post(upload_url(cohort), {"file": good_csv()})

    facilitator_client.post(reverse("cohorts:participant_import_cancel", kwargs={"cohort_pk": cohort.pk}))

    assert "cohorts.participant_import." + str(cohort.pk) not in facilitator_client.session


def test_rows_check_flags_values_under_a_column_without_heading(cohort):
    rows = participant_file_read(csv_file("full_name,email,\nAna Able,ana@example.org,stray value\n"))

    check = participant_rows_check(cohort=cohort, rows=rows)

    assert check.rows[0].errors == ["There are values in a column without a heading."]


def test_participants_import_writes_500_rows_in_a_few_queries(cohort, django_assert_max_num_queries):
    rows = rows_of("".join(f"Person {i},p{i}@example.org,Role,Nursing,Team,\n" for i in range(500)))

    # Check: 3 queries; writes: one INSERT each on PostgreSQL, a few batches on SQLite.
    with django_assert_max_num_queries(20):
        check = services.participants_import(cohort=cohort, rows=rows)

    assert check.new_count == 500
    assert Membership.objects.filter(cohort=cohort).count() == 500
    assert Person.objects.filter(email="p499@example.org", profession="nurse").exists()
