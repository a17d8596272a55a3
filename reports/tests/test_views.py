"""The report's pages, downloads and publishing, through HTTP as a facilitator, a participant and staff."""

import builtins
import io
import re
import sys

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook
from pypdf import PdfReader

from cohorts.models import Membership, Person
from cohorts.signals import person_erasing
from cohorts.tests.factories import MembershipFactory, UserFactory
from evaluation import quote_services
from evaluation.models import QuoteSelection
from modules.models import Attendance
from reports import services
from reports.models import ImpactReport, KeyImpact
from surveys.models import Answer

from .builders import CONSENTED_NAMED, REFLECTION, UNCONSENTED, evaluation_choices_add, report_cohort

pytestmark = pytest.mark.django_db


def url(name, cohort, **kwargs):
    return reverse(f"reports:{name}", kwargs={"cohort_pk": cohort.pk, **kwargs})


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    return report_cohort(6)


@pytest.fixture
def facilitator(world):
    return client_for(world.facilitator.person.user)


@pytest.fixture
def staff():
    return client_for(UserFactory(is_staff=True))


def pdf_text(content: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def page_text(response) -> str:
    """The report's own text: the page without the CSRF tokens that change per request."""
    html = response.content.decode()
    body = html[html.index('<div class="report-body">') :]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def publish(world):
    services.key_impact_create(cohort=world.cohort, text="Managers coach their staff instead of telling them.")
    report = services.report_ensure(cohort=world.cohort)
    return services.report_publish(report=report, by=world.facilitator.person.user)


def test_report_page_is_for_the_cohorts_facilitators_and_staff(world, facilitator, staff):
    participant = client_for(MembershipFactory(cohort=world.cohort, person__user=UserFactory()).person.user)
    other = client_for(MembershipFactory(role=Membership.Role.FACILITATOR, person__user=UserFactory()).person.user)

    assert facilitator.get(url("report_detail", world.cohort)).status_code == 200
    assert staff.get(url("report_detail", world.cohort)).status_code == 200
    for name in ("report_detail", "report_pdf", "report_xlsx", "report_publish"):
        assert participant.get(url(name, world.cohort)).status_code == 404
        assert other.get(url(name, world.cohort)).status_code == 404


def test_report_page_shows_every_section_with_consented_quotes_only(world, facilitator):
    response = facilitator.get(url("report_detail", world.cohort))
    html = response.content.decode()

    for section in ("summary", "key-impacts", "attendance", "pdsa", "self-assessment", "kirkpatrick", "projects"):
        assert f'id="{section}"' in html
    assert "Draft" in html
    assert "<strong>5 of 6 participants (83%)</strong> attended at least 5 of the 6 modules" in html
    assert CONSENTED_NAMED in html
    assert REFLECTION in html
    assert UNCONSENTED not in html
    assert "Run chart: Days to first contact" in html
    # The run chart's points are dated from the report's ISO dates, as in the data table beside it.
    point = re.search(r'<circle class="rc-point"[^>]*><title>([^<]+)</title>', html)
    assert point is not None
    assert re.match(r"\d{1,2} [A-Z][a-z]{2} \d{4}: ", point.group(1))


def test_key_impacts_are_added_edited_moved_and_deleted_on_the_page(world, facilitator):
    for text in ("First impact", "Second impact"):
        response = facilitator.post(url("key_impact_create", world.cohort), {"text": text, "evidence": "attendance"})
        assert response.status_code == 302
    first, second = KeyImpact.objects.filter(report__cohort=world.cohort).order_by("order")

    response = facilitator.post(url("key_impact_move", world.cohort, impact_pk=second.pk), {"direction": "up"})
    assert response.status_code == 302
    assert list(KeyImpact.objects.order_by("order").values_list("text", flat=True)) == ["Second impact", "First impact"]

    response = facilitator.post(
        url("key_impact_update", world.cohort, impact_pk=first.pk),
        {"text": "Rewritten", "evidence": f"project:{world.project.pk}"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.text, first.evidence) == ("Rewritten", f"project:{world.project.pk}")
    html = facilitator.get(url("report_detail", world.cohort)).content.decode()
    assert f'href="#project-{world.project.pk}"' in html

    assert facilitator.get(url("key_impact_delete", world.cohort, impact_pk=first.pk)).status_code == 200
    assert KeyImpact.objects.filter(pk=first.pk).exists()
    assert facilitator.post(url("key_impact_delete", world.cohort, impact_pk=first.pk)).status_code == 302
    assert not KeyImpact.objects.filter(pk=first.pk).exists()


def test_a_key_impact_with_bad_input_changes_nothing(world, facilitator):
    response = facilitator.post(url("key_impact_create", world.cohort), {"text": "  ", "evidence": "project:999999"})

    assert response.status_code == 400
    assert not KeyImpact.objects.exists()
    response = facilitator.post(url("key_impact_create", world.cohort), {"text": "x" * 401})
    assert response.status_code == 400
    assert "at most 400 characters" in response.content.decode()


def test_narrative_is_saved_from_the_page(world, facilitator):
    response = facilitator.post(
        url("report_narrative_update", world.cohort),
        {"limitations": "Self-ratings only.", "recommendations": "Keep the face-to-face days."},
    )

    assert response.status_code == 302
    html = facilitator.get(url("report_detail", world.cohort)).content.decode()
    assert "Self-ratings only." in html
    assert "Keep the face-to-face days." in html


def test_publishing_needs_a_key_impact_and_a_finished_programme(world, facilitator):
    response = facilitator.post(url("report_publish", world.cohort))
    assert response.status_code == 400
    assert "Write at least one key impact." in response.content.decode()

    world.modules[-1].state, world.modules[-1].delivered_at = "planned", None
    world.modules[-1].save()
    services.key_impact_create(cohort=world.cohort, text="An impact")
    response = facilitator.post(url("report_publish", world.cohort))
    assert response.status_code == 400
    assert "Not every module has been delivered" in response.content.decode()
    assert ImpactReport.objects.get(cohort=world.cohort).status == ImpactReport.Status.DRAFT


def test_publishing_freezes_the_page_the_pdf_and_the_spreadsheet(world, facilitator):
    facilitator.post(url("key_impact_create", world.cohort), {"text": "Managers coach their staff.", "evidence": ""})
    assert facilitator.get(url("report_publish", world.cohort)).status_code == 200
    response = facilitator.post(url("report_publish", world.cohort))
    assert response.status_code == 302
    report = ImpactReport.objects.get(cohort=world.cohort)
    assert report.status == ImpactReport.Status.PUBLISHED
    assert report.published_by == world.facilitator.person.user
    page_before = page_text(facilitator.get(url("report_detail", world.cohort)))
    pdf_before, pages = pdf_text(facilitator.get(url("report_pdf", world.cohort)).content)
    xlsx_before = facilitator.get(url("report_xlsx", world.cohort)).content

    # Afterwards: attendance changes, a project is renamed, the quoted participant withdraws consent.
    Attendance.objects.filter(module__cohort=world.cohort).update(status=Attendance.Status.ABSENT)
    world.project.title = "Renamed later"
    world.project.save()
    author = world.members[0].person
    author.user = UserFactory()
    author.save()
    quote_services.quote_consent_withdraw(user=author.user, key=world.quotes[1])

    after = facilitator.get(url("report_detail", world.cohort))
    assert page_text(after) == page_before
    assert REFLECTION in page_before
    assert "Renamed later" not in page_before
    assert pdf_text(facilitator.get(url("report_pdf", world.cohort)).content) == (pdf_before, pages)
    workbook = load_workbook(io.BytesIO(facilitator.get(url("report_xlsx", world.cohort)).content))
    before = load_workbook(io.BytesIO(xlsx_before))
    for sheet in ("Attendance", "In participants' words", "Improvement projects"):
        assert list(workbook[sheet].iter_rows(values_only=True)) == list(before[sheet].iter_rows(values_only=True))
    # ... while the draft figures would have changed.
    assert "Renamed later" in str(services.selectors.report_data_build(cohort=world.cohort)["projects"])


def test_a_published_report_cannot_be_edited_by_facilitators(world, facilitator):
    report = publish(world)
    impact = report.key_impacts.get()

    response = facilitator.post(url("key_impact_update", world.cohort, impact_pk=impact.pk), {"text": "Changed"})
    assert response.status_code == 400
    assert "published" in response.content.decode()
    response = facilitator.post(url("report_narrative_update", world.cohort), {"limitations": "Late"})
    assert response.status_code == 400
    assert facilitator.get(url("report_unpublish", world.cohort)).status_code == 403
    assert facilitator.post(url("report_unpublish", world.cohort)).status_code == 403
    report.refresh_from_db()
    assert report.is_published
    assert report.limitations == ""


def test_staff_take_a_published_report_back_to_draft(world, staff):
    report = publish(world)

    assert staff.get(url("report_unpublish", world.cohort)).status_code == 200
    assert staff.post(url("report_unpublish", world.cohort)).status_code == 302

    report.refresh_from_db()
    assert report.status == ImpactReport.Status.DRAFT
    assert report.snapshot is None
    assert report.key_impacts.count() == 1


def test_staff_take_one_quote_out_of_a_published_report(world, staff, facilitator):
    publish(world)

    response = facilitator.post(url("report_quote_remove", world.cohort), {"source": world.quotes[0]})
    assert response.status_code == 403
    response = staff.post(url("report_quote_remove", world.cohort), {"source": world.quotes[0]})
    assert response.status_code == 302

    snapshot = ImpactReport.objects.get(cohort=world.cohort).snapshot
    assert [q["key"] for q in snapshot["quotes"]] == [world.quotes[1]]
    assert CONSENTED_NAMED not in facilitator.get(url("report_detail", world.cohort)).content.decode()


def test_person_erasing_removes_their_quotes_from_published_reports_and_drafts(world):
    report = publish(world)
    draft = report_cohort(4)
    assert QuoteSelection.objects.filter(cohort=draft.cohort).count() == 2
    erased: Person = world.members[0].person

    person_erasing.send(sender=Person, person=erased)

    report.refresh_from_db()
    assert report.snapshot["quotes"] == []
    assert not QuoteSelection.objects.filter(cohort=world.cohort).exists()
    # Another cohort's people keep theirs.
    assert QuoteSelection.objects.filter(cohort=draft.cohort).count() == 2


def test_the_xlsx_has_a_sheet_per_section_and_neutralises_formulas(world, facilitator):
    services.key_impact_create(cohort=world.cohort, text='=HYPERLINK("http://evil.example")')

    response = facilitator.get(url("report_xlsx", world.cohort))

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "Summary",
        "Key impacts",
        "Attendance",
        "PDSA",
        "Self-assessment",
        "Evaluation",
        "Practice log",
        "Follow-up",
        "Improvement projects",
        "Run chart data",
        "In participants' words",
        "Narrative",
    ]
    assert workbook["Key impacts"]["B2"].value == '\'=HYPERLINK("http://evil.example")'
    summary = dict(workbook["Summary"].iter_rows(values_only=True))
    assert summary["Participants (active)"] == 6
    quotes = [row[0] for row in workbook["In participants' words"].iter_rows(min_row=2, values_only=True)]
    assert quotes == [CONSENTED_NAMED, REFLECTION]
    everything = " ".join(str(v) for sheet in workbook for row in sheet.iter_rows(values_only=True) for v in row)
    assert UNCONSENTED not in everything


def test_the_pdf_is_a4_with_a_cover_contents_and_page_numbers(world, facilitator):
    response = facilitator.get(url("report_pdf", world.cohort))

    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text, pages = pdf_text(response.content)
    assert "DRAFT" in reader.pages[0].extract_text()
    assert "Contents" in reader.pages[1].extract_text()
    assert f"Page 3 of {pages}" in reader.pages[2].extract_text()
    assert "5 of 6 participants (83%)" in text
    assert UNCONSENTED not in text


def test_the_pdf_is_tagged_with_its_language_title_and_a_structure_in_reading_order(world, facilitator):
    """Issue 17: a tagged PDF (PDF/UA), with a title and language, whose structure follows the page."""
    reader = PdfReader(io.BytesIO(facilitator.get(url("report_pdf", world.cohort)).content))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-GB"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == f"Impact report: {world.cohort.name}"
    assert b"pdfuaid" in reader.xmp_metadata.stream.get_data()

    def tags(element, found):
        element = element.get_object()
        if "/S" in element:
            found.append(str(element["/S"]))
        kids = element.get("/K")
        kids = kids if isinstance(kids, list) else [kids] if kids is not None else []
        for kid in kids:
            kid = kid.get_object()
            if hasattr(kid, "get") and ("/S" in kid or "/K" in kid):
                tags(kid, found)
        return found

    found = tags(root["/StructTreeRoot"], [])
    assert {"/H1", "/H2", "/P", "/Table", "/TH", "/TD"} <= set(found), sorted(set(found))
    # Reading order: the cover's title comes before the sections' headings.
    assert found.index("/H1") < found.index("/H2")


def test_without_weasyprints_libraries_the_page_says_so_and_the_download_does_not_fail(world, facilitator, monkeypatch):
    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_pango)

    page = facilitator.get(url("report_detail", world.cohort))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="pdf-unavailable"' in html
    assert "libpango-1.0-0" in html
    assert url("report_pdf", world.cohort) not in html
    response = facilitator.get(url("report_pdf", world.cohort), follow=True)
    assert response.status_code == 200
    assert "The PDF cannot be made on this server" in response.content.decode()


def _page_queries(client, cohort):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url("report_detail", cohort)).status_code == 200
    return len(context)


def test_report_page_runs_the_same_queries_whatever_the_cohort_size(django_assert_max_num_queries):
    small, large = report_cohort(4), report_cohort(12)
    for world in (small, large):
        services.key_impact_create(cohort=world.cohort, text="One", evidence="projects")
    user = UserFactory(is_staff=True)
    client = client_for(user)
    expected = _page_queries(client, small.cohort)

    with django_assert_max_num_queries(expected):
        client.get(url("report_detail", large.cohort))


# Issue 14: every page within 20 queries, the draft report with all nine sections filled included.
MAX_QUERIES = 20


def test_a_full_draft_reports_page_pdf_and_spreadsheet_keep_to_twenty_queries_whatever_the_size():
    """Every section has figures (module surveys, both self-assessments, an evaluation asking choice
    questions, a follow-up, a practice log, a project with a run chart, chosen quotes, key impacts),
    for a facilitator, whose access check is a query more than staff's."""
    counts = {}
    for n in (4, 12):
        world = report_cohort(n)
        evaluation_choices_add(world)
        services.key_impact_create(cohort=world.cohort, text="One", evidence="projects")
        client = client_for(world.facilitator.person.user)
        for name in ("report_detail", "report_pdf", "report_xlsx"):
            client.get(url(name, world.cohort))  # a process reads a question set's structure once
            with CaptureQueriesContext(connection) as context:
                assert client.get(url(name, world.cohort)).status_code == 200
            counts[name, n] = len([q for q in context.captured_queries if "SAVEPOINT" not in q["sql"]])
    # Every section of the last one was drawn with its figures.
    data = services.selectors.report_data_build(cohort=world.cohort)
    chosen = {q["code"]: q["answered"]["value"] for g in data["kirkpatrick"]["groups"] for q in g["questions"]}
    assert chosen == {"kp-reaction-worthwhile": 12, "kp-behaviour-choice": 12, "kp-results-choices": 6}
    assert data["self_assessment"]["visible"]
    assert data["follow_up"]["visible"]
    assert data["practice"]["visible"]
    assert [e["headline"][0]["value"] is not None for e in data["pdsa"]] == [True] * 5
    assert len(data["quotes"]) == 2
    assert data["projects"][0]["measure"]["rows"]

    for name in ("report_detail", "report_pdf", "report_xlsx"):
        assert counts[name, 4] == counts[name, 12] <= MAX_QUERIES, counts


def test_consented_answer_quoted_as_named_on_a_named_survey(world, facilitator):
    answer = Answer.objects.get(pk=int(world.quotes[0].removeprefix("answer-")))
    answer.response.survey.privacy = "named"
    answer.response.survey.save()
    answer.response.membership = world.members[0]
    answer.response.pseudonym = ""
    answer.response.save()

    html = facilitator.get(url("report_detail", world.cohort)).content.decode()

    # Escaped as the page writes it: a generated name may hold an apostrophe (O'Neill).
    assert escape(f"{world.members[0].person.full_name}, Ward Manager") in html


def test_admin_lists_reports_and_shows_a_published_snapshots_quotes_without_names(world):
    report = publish(world)
    admin = client_for(UserFactory(is_staff=True, is_superuser=True))

    assert admin.get(reverse("admin:reports_impactreport_changelist")).status_code == 200
    assert admin.get(reverse("admin:reports_keyimpact_changelist")).status_code == 200
    html = admin.get(reverse("admin:reports_impactreport_change", args=[report.pk])).content.decode()

    assert world.quotes[0] in html
    assert escape(world.members[0].person.full_name) not in html
    assert report.snapshot["quotes"][0]["person"] not in html


def test_publication_and_its_withdrawal_are_in_the_audit_trail_without_the_snapshot(world, staff):
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    report = publish(world)
    services.report_unpublish(report=report, by=UserFactory(is_staff=True))
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ImpactReport), object_pk=str(report.pk)
    ).order_by("timestamp", "pk")
    statuses = [entry.changes_dict.get("status") for entry in entries if "status" in entry.changes_dict]
    assert [change[1] for change in statuses][-2:] == ["published", "draft"]
    assert all("snapshot" not in entry.changes_dict for entry in entries)
