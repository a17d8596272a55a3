"""A facilitator writes the impact report of the demo's finished cohort in Chromium: key impacts,
two quotes chosen on the quotes page, the narrative, then publishes it and downloads the PDF."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from cohorts.models import Cohort
from demo import scenario as demo
from evaluation import demo_finished
from evaluation.models import QuoteSelection
from reports.models import ImpactReport

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

IMPACTS = [
    "Managers now coach their own staff with GROW instead of solving problems for them.",
    "Three improvement projects changed handovers, first contacts and rotas.",
]


@pytest.fixture
def finished_cohort(transactional_db):
    """The demo, with the finished cohort's report back to an empty draft and no quotes chosen."""
    call_command("load_demo", "--force", verbosity=0)
    cohort = Cohort.objects.get(name=demo_finished.NAME)
    ImpactReport.objects.filter(cohort=cohort).delete()
    QuoteSelection.objects.filter(cohort=cohort).delete()
    return cohort


def sign_in_as_facilitator(page, live_server):
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill(demo.FACILITATOR_LOGIN[0])
    page.get_by_label("Password").fill(demo.FACILITATOR_LOGIN[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def test_facilitator_writes_publishes_and_downloads_the_impact_report(page, live_server, finished_cohort):
    sign_in_as_facilitator(page, live_server)
    page.goto(f"{live_server.url}{reverse('modules:cohort_detail', kwargs={'cohort_pk': finished_cohort.pk})}")
    cohort_nav = page.get_by_role("navigation", name=re.compile("^Cohort: "))
    cohort_nav.get_by_role("link", name="Impact report").click()
    page.wait_for_url(re.compile(r"/report/$"))
    assert "Draft" in page.locator("#report-status").inner_text()

    # Key impacts, written on the page; the second moved to the top.
    for text, evidence in zip(IMPACTS, ["Attendance and completion", "Improvement projects"], strict=True):
        page.get_by_role("textbox", name="Key impact").fill(text)
        page.get_by_label("Evidence in the report").select_option(label=evidence)
        page.get_by_role("button", name="Add key impact").click()
        page.wait_for_url(re.compile(r"/report/$"))
    page.get_by_role("button", name="Move up key impact 2").click()
    page.wait_for_url(re.compile(r"/report/$"))
    items = page.locator("#key-impact-list > li")
    assert items.nth(0).inner_text().startswith(IMPACTS[1])
    assert items.nth(1).inner_text().startswith(IMPACTS[0])

    # Two consented quotes, chosen on the evaluation's quotes page.
    page.get_by_role("link", name="Choose and order the quotes").click()
    page.wait_for_url(re.compile(r"/evaluation/quotes/$"))
    chosen = []
    for _ in range(2):
        first = page.locator("#available-quotes > li").first
        chosen.append(first.locator(".quote-text").inner_text())
        first.get_by_role("button", name=re.compile("Choose for the report")).click()
        page.wait_for_url(re.compile(r"/evaluation/quotes/$"))
    cohort_nav.get_by_role("link", name="Evaluation").click()
    page.get_by_role("link", name=re.compile("impact report for the commissioner")).click()
    page.wait_for_url(re.compile(r"/report/$"))
    quotes = page.locator("#quotes").inner_text()
    assert all(text in quotes for text in chosen)

    page.get_by_role("textbox", name="Limitations").fill("Self-ratings only; no comparison group.")
    page.get_by_role("textbox", name="Recommendations").fill("Keep the face-to-face group work.")
    page.get_by_role("button", name="Save limitations and recommendations").click()
    page.wait_for_url(re.compile(r"/report/$"))
    assert "Keep the face-to-face group work." in page.locator("#narrative").inner_text()

    # Publish, after the confirmation page.
    page.locator("#publish-link").click()
    page.wait_for_url(re.compile(r"/report/publish/$"))
    page.get_by_role("button", name="Publish the report").click()
    page.wait_for_url(re.compile(r"/report/$"))
    assert "Published" in page.locator("#report-status").inner_text()
    assert page.get_by_role("button", name="Add key impact").count() == 0

    with page.expect_download() as download_info:
        page.locator("#download-pdf").click()
    download = download_info.value
    assert download.suggested_filename == "impact-report-tamar-vale-cohort-0.pdf"
    with open(download.path(), "rb") as file:
        reader = PdfReader(io.BytesIO(file.read()))
    text = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in reader.pages))
    assert len(reader.pages) >= 10
    assert "Published" in reader.pages[0].extract_text()
    assert "Tamar Vale Cohort 0" in text
    assert text.index(IMPACTS[1][:40]) < text.index(IMPACTS[0][:40])
    assert all(re.sub(r"\s+", " ", quote)[:50] in text for quote in chosen)
    assert "Keep the face-to-face group work." in text
    report = ImpactReport.objects.get(cohort=finished_cohort)
    assert report.is_published
    assert [q["text"] for q in report.snapshot["quotes"]] == chosen
