"""Sections 3 to 7 of the report are drawn once per process for the same figures (reports.figures):
the same figures give the same HTML without drawing it again, any changed figure draws it anew, and
what the facilitators edit on the page (key impacts, narrative) does not count as a figure."""

import copy

import pytest
from django.test import Client
from django.urls import reverse

from modules.models import Attendance
from reports import figures, selectors, services

from .builders import report_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_figures_drawn():
    figures.figures_clear()
    yield
    figures.figures_clear()


def test_the_same_figures_are_drawn_once_and_a_changed_one_anew():
    world = report_cohort(6)
    data = selectors.report_data_build(cohort=world.cohort)

    first = figures.figures_html(data, pdf=False)
    assert figures.figures_html(copy.deepcopy(data), pdf=False) is first
    assert figures.figures_html(data, pdf=True) is not first  # the PDF's sections open their details
    assert "<strong>5 of 6 participants (83%)</strong>" in first

    edited = {**copy.deepcopy(data), "key_impacts": [{"id": 1, "text": "New", "evidence": "", "evidence_label": ""}]}
    edited["narrative"] = {"limitations": "Some", "recommendations": "More"}
    assert figures.figures_html(edited, pdf=False) is first

    changed = copy.deepcopy(data)
    changed["attendance"]["completed"]["value"] = 6
    changed["attendance"]["completed_percent"] = 100
    html = figures.figures_html(changed, pdf=False)
    assert "<strong>6 of 6 participants (100%)</strong>" in html
    assert "5 of 6 participants" not in html


def test_the_draft_page_shows_a_changed_figure_at_once():
    world = report_cohort(6)
    client = Client()
    client.force_login(world.facilitator.person.user)
    url = reverse("reports:report_detail", kwargs={"cohort_pk": world.cohort.pk})
    assert "<strong>5 of 6 participants (83%)</strong>" in client.get(url).content.decode()

    services.key_impact_create(cohort=world.cohort, text="Huddles start on time.")
    html = client.get(url).content.decode()
    assert "Huddles start on time." in html
    assert "<strong>5 of 6 participants (83%)</strong>" in html

    Attendance.objects.filter(module__cohort=world.cohort).update(status=Attendance.Status.PRESENT)
    html = client.get(url).content.decode()
    assert "<strong>6 of 6 participants (100%)</strong>" in html
    assert "5 of 6 participants" not in html


def test_only_so_many_figures_are_kept(monkeypatch):
    monkeypatch.setattr(figures._drawn, "maxsize", 2)
    data = selectors.report_data_build(cohort=report_cohort(4).cohort)
    drawn = []
    for present in (1, 2, 3):
        changed = copy.deepcopy(data)
        changed["attendance"]["active"] = present
        drawn.append(figures.figures_html(changed, pdf=False))

    assert len(figures._drawn) == 2
    latest = copy.deepcopy(data)
    latest["attendance"]["active"] = 3
    assert figures.figures_html(latest, pdf=False) is drawn[2]
