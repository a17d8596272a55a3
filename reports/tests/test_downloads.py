"""The report's PDF and spreadsheet are drawn once for the same report and kept in the cache under a
digest of what they are drawn from: a change to the report draws a new one, and with the cache down
the download still works (drawn each time)."""

import io
import logging

import openpyxl
import pytest
import weasyprint
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from modules.models import Attendance
from reports import downloads, services

from .builders import report_cohort
from .test_views import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = report_cohort(6)
    services.key_impact_create(cohort=world.cohort, text="Managers coach their staff.", evidence="projects")
    return world


@pytest.fixture
def facilitator(world):
    client = Client()
    client.force_login(world.facilitator.person.user)
    return client


def url(name, cohort):
    return reverse(f"reports:{name}", kwargs={"cohort_pk": cohort.pk})


@pytest.fixture
def drawn(monkeypatch):
    """How many PDFs WeasyPrint drew and spreadsheets openpyxl wrote (each still done for real)."""
    counts = {"pdf": 0, "xlsx": 0}
    write_pdf, save = weasyprint.HTML.write_pdf, openpyxl.Workbook.save

    def counted_write_pdf(self, *args, **kwargs):
        counts["pdf"] += 1
        return write_pdf(self, *args, **kwargs)

    def counted_save(self, *args, **kwargs):
        counts["xlsx"] += 1
        return save(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", counted_write_pdf)
    monkeypatch.setattr(openpyxl.Workbook, "save", counted_save)
    downloads.file_keys_clear()  # files this process kept for an earlier test's report
    return counts


def test_the_same_report_is_drawn_once_then_served_from_the_cache(world, facilitator, drawn, redis_cache):
    first = facilitator.get(url("report_pdf", world.cohort))
    again = facilitator.get(url("report_pdf", world.cohort))
    xlsx_first = facilitator.get(url("report_xlsx", world.cohort))
    xlsx_again = facilitator.get(url("report_xlsx", world.cohort))

    assert (first.status_code, again.status_code, xlsx_first.status_code, xlsx_again.status_code) == (200,) * 4
    assert drawn == {"pdf": 1, "xlsx": 1}
    assert again.content == first.content
    assert again["Content-Type"] == "application/pdf"
    assert xlsx_again.content == xlsx_first.content
    assert len(redis_cache._cache.get_client().keys("*reports:pdf:*")) == 1
    assert len(redis_cache._cache.get_client().keys("*reports:xlsx:*")) == 1


def test_a_file_served_once_is_served_again_by_the_process_without_the_cache(
    world, facilitator, drawn, redis_cache, monkeypatch
):
    first = [facilitator.get(url(name, world.cohort)).content for name in ("report_pdf", "report_xlsx")]
    asked = []
    monkeypatch.setattr(downloads.cache, "get", lambda key, *args, **kwargs: asked.append(key))
    again = [facilitator.get(url(name, world.cohort)).content for name in ("report_pdf", "report_xlsx")]

    assert again == first
    assert asked == []
    assert drawn == {"pdf": 1, "xlsx": 1}
    # Still the cache's own: another process (here, this one forgetting) reads it from there.
    monkeypatch.undo()
    downloads.file_keys_clear()
    assert facilitator.get(url("report_pdf", world.cohort)).content == first[0]


def test_a_change_to_the_report_draws_a_new_pdf_and_spreadsheet_showing_it(world, facilitator, drawn):
    before, _pages = pdf_text(facilitator.get(url("report_pdf", world.cohort)).content)
    facilitator.get(url("report_xlsx", world.cohort))
    assert "5 of 6 participants (83%)" in before

    # Someone marked present at two more modules: the sixth participant now completed too.
    Attendance.objects.filter(module__cohort=world.cohort).update(status=Attendance.Status.PRESENT)
    after, _pages = pdf_text(facilitator.get(url("report_pdf", world.cohort)).content)
    workbook = load_workbook(io.BytesIO(facilitator.get(url("report_xlsx", world.cohort)).content))

    assert drawn == {"pdf": 2, "xlsx": 2}
    assert "6 of 6 participants (100%)" in after
    assert "5 of 6 participants" not in after
    completed = [
        row for row in workbook["Attendance"].iter_rows(values_only=True) if str(row[0]).startswith("Completed")
    ]
    assert completed[0][4:] == (6, 100)

    # And an edit the facilitators make on the page: the key impacts are drawn too.
    services.key_impact_create(cohort=world.cohort, text="Huddles start on time.")
    latest, _pages = pdf_text(facilitator.get(url("report_pdf", world.cohort)).content)
    assert drawn["pdf"] == 3
    assert "Huddles start on time." in latest


def test_with_the_cache_down_the_pdf_and_spreadsheet_are_still_made(world, facilitator, drawn, dead_cache):
    responses = [facilitator.get(url(name, world.cohort)) for name in ("report_pdf", "report_pdf", "report_xlsx")]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert responses[0]["Content-Type"] == "application/pdf"
    text, pages = pdf_text(responses[1].content)
    assert "5 of 6 participants (83%)" in text
    assert pages > 3
    summary = dict(load_workbook(io.BytesIO(responses[2].content))["Summary"].iter_rows(values_only=True))
    assert summary["Participants (active)"] == 6
    assert drawn == {"pdf": 2, "xlsx": 1}  # nothing kept: drawn each time
    warnings = [r for r in dead_cache.records if r.name == "reports.downloads" and r.levelno == logging.WARNING]
    assert len(warnings) == 3


def test_the_key_changes_with_each_source_and_their_split():
    key = downloads.file_key("pdf", ["62.3", "<html>a</html>"])

    assert key == downloads.file_key("pdf", ["62.3", "<html>a</html>"])
    assert key != downloads.file_key("pdf", ["62.4", "<html>a</html>"])
    assert key != downloads.file_key("pdf", ["62.3", "<html>b</html>"])
    assert key != downloads.file_key("xlsx", ["62.3", "<html>a</html>"])
    assert downloads.file_key("pdf", ["ab", "c"]) != downloads.file_key("pdf", ["a", "bc"])
