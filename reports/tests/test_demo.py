"""The demo's finished cohort has a published impact report: its page, PDF and spreadsheet hold the
key figures, each counted here from the rows themselves, not from the report's own code."""

import html
import io
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from cohorts.models import Cohort, Membership
from evaluation import demo_finished
from evaluation.models import QuoteSelection
from modules.models import Attendance
from reports.models import ImpactReport
from surveys.models import Answer, Response, Survey

pytestmark = pytest.mark.django_db


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_demos_finished_cohort_has_a_published_report_with_its_key_figures():
    call_command("load_demo", "--force", stdout=StringIO())
    cohort = Cohort.objects.get(name=demo_finished.NAME)
    report = ImpactReport.objects.get(cohort=cohort)
    assert report.is_published
    participants = Membership.objects.active().participants().filter(cohort=cohort)
    present = Counter(
        Attendance.objects.filter(membership__in=participants, status=Attendance.Status.PRESENT).values_list(
            "membership_id", flat=True
        )
    )
    completed = sum(1 for n in present.values() if n >= 5)
    total = participants.count()
    completion = f"{completed} of {total} participants ({round(100 * completed / total)}%)"
    pre = Response.objects.filter(survey__cohort=cohort, survey__kind=Survey.Kind.SELF_PRE).count()
    impacts = list(report.key_impacts.values_list("text", flat=True))
    quotes = list(
        Answer.objects.filter(quote_selections__cohort=cohort)
        .exclude(quote_consent="none")
        .values_list("text", flat=True)
    )
    unconsented = Answer.objects.filter(response__survey__cohort=cohort, quote_consent="none").exclude(text="")
    assert len(impacts) == 3
    assert quotes
    assert QuoteSelection.objects.filter(cohort=cohort).count() >= 3

    facilitator = Membership.objects.facilitators().filter(cohort=cohort).first().person.user
    client = Client()
    client.force_login(facilitator)
    page = squash(
        html.unescape(client.get(reverse("reports:report_detail", kwargs={"cohort_pk": cohort.pk})).content.decode())
    )
    pdf = client.get(reverse("reports:report_pdf", kwargs={"cohort_pk": cohort.pk})).content
    reader = PdfReader(io.BytesIO(pdf))
    text = squash("\n".join(p.extract_text() for p in reader.pages))

    for document in (page, text):
        assert f"{total} participants" in document
        assert completion in document
        assert f"before the programme ({pre} responses)" in document
        for impact in impacts:
            assert squash(impact)[:60] in document
        for quote in quotes:
            assert squash(quote)[:60] in document
        assert squash(report.limitations)[:60] in document
        assert squash(report.recommendations)[:60] in document
        for answer in unconsented[:50]:
            assert squash(answer.text)[:60] not in document
    assert "Published" in page
    assert len(reader.pages) >= 15
    assert "Published" in reader.pages[0].extract_text()
    assert f"Page 3 of {len(reader.pages)}" in reader.pages[2].extract_text()

    workbook = load_workbook(
        io.BytesIO(client.get(reverse("reports:report_xlsx", kwargs={"cohort_pk": cohort.pk})).content)
    )
    summary = dict(workbook["Summary"].iter_rows(values_only=True))
    assert summary["Participants (active)"] == total
    assert summary["Report status"] == "published"
    assert [row[1] for row in workbook["Key impacts"].iter_rows(min_row=2, values_only=True)] == impacts
    assert workbook["Run chart data"].max_row > 30
