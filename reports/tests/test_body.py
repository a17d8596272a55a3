"""The report page's sections drawn once per process (reports.body): the same HTML as drawn each time,
each request's own CSRF token, and everything that changes what they show in their key."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from cohorts.models import Cohort
from cohorts.tests.factories import UserFactory
from reports import body, services
from reports.models import KeyImpact

from .builders import report_cohort

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def url(name, cohort):
    return reverse(f"reports:{name}", kwargs={"cohort_pk": cohort.pk})


def client_for(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def world():
    world = report_cohort(6)
    services.key_impact_create(cohort=world.cohort, text="Managers coach their staff.", evidence="projects")
    services.key_impact_create(cohort=world.cohort, text="Handovers are shorter.")
    return world


def test_the_kept_sections_are_the_ones_drawn_each_time(world, monkeypatch):
    client = client_for(world.facilitator.person.user)
    kept = [client.get(url("report_detail", world.cohort)).content.decode() for _ in range(2)]
    monkeypatch.setattr(connection, "vendor", "sqlite")  # no stamp: drawn on every request, as before
    drawn = client.get(url("report_detail", world.cohort)).content.decode()

    assert len(body._drawn) >= 1 or connection.vendor != "postgresql"  # kept only where there is a stamp
    assert TOKEN.sub("", kept[1]) == TOKEN.sub("", drawn) == TOKEN.sub("", kept[0])


def test_each_request_gets_its_own_csrf_token_in_the_kept_sections(world):
    user = world.facilitator.person.user
    first, second = client_for(user, enforce_csrf_checks=True), client_for(user, enforce_csrf_checks=True)
    pages = [client.get(url("report_detail", world.cohort)).content.decode() for client in (first, second)]
    tokens = [set(TOKEN.findall(page)) for page in pages]

    assert all(len(found) == 1 for found in tokens)  # every form of a page has the page's token
    assert tokens[0] != tokens[1]
    assert body._MARK not in pages[0] + pages[1]
    # The token drawn in the key impact form is the one the request's session accepts.
    response = second.post(
        url("key_impact_create", world.cohort), {"text": "Fewer incidents.", "csrfmiddlewaretoken": tokens[1].pop()}
    )
    assert response.status_code == 302
    assert KeyImpact.objects.filter(text="Fewer incidents.").exists()


def test_a_changed_key_impact_or_narrative_shows_at_once(world):
    client = client_for(world.facilitator.person.user)
    client.get(url("report_detail", world.cohort))

    KeyImpact.objects.filter(report__cohort=world.cohort, text="Handovers are shorter.").update(text="Calmer wards.")
    services.report_narrative_update(cohort=world.cohort, limitations="Six people only.", recommendations="")
    page = client.get(url("report_detail", world.cohort)).content.decode()

    assert "Calmer wards." in page
    assert "Handovers are shorter." not in page
    assert "Six people only." in page


def test_only_staff_see_the_take_out_buttons_of_a_published_report_whoever_came_first(world):
    services.report_publish(report=services.report_ensure(cohort=world.cohort), by=world.facilitator.person.user)
    facilitator = client_for(world.facilitator.person.user)
    staff = client_for(UserFactory(is_staff=True))
    button = "Take out of the published report"

    before = facilitator.get(url("report_detail", world.cohort)).content.decode()
    as_staff = staff.get(url("report_detail", world.cohort)).content.decode()
    after = facilitator.get(url("report_detail", world.cohort)).content.decode()

    assert button not in before
    assert button in as_staff
    assert button not in after


def test_the_top_and_breadcrumbs_follow_the_report_the_viewer_and_the_cohort(world):
    facilitator = client_for(world.facilitator.person.user)
    staff = client_for(UserFactory(is_staff=True))
    draft = facilitator.get(url("report_detail", world.cohort)).content.decode()
    services.report_publish(report=services.report_ensure(cohort=world.cohort), by=world.facilitator.person.user)
    published = facilitator.get(url("report_detail", world.cohort)).content.decode()
    as_staff = staff.get(url("report_detail", world.cohort)).content.decode()
    Cohort.objects.filter(pk=world.cohort.pk).update(name="Northern leaders 2027")
    renamed = facilitator.get(url("report_detail", world.cohort)).content.decode()

    assert 'id="publish-link"' in draft
    assert "Published on" not in draft
    assert "Published on" in published
    assert 'id="publish-link"' not in published
    assert "Back to draft" not in published
    assert "Back to draft" in as_staff
    assert "Back to draft" not in renamed
    assert "Impact report: Northern leaders 2027" in renamed
    assert '">Northern leaders 2027</a></li>' in renamed  # the breadcrumbs


def test_a_refused_form_posted_from_the_page_shows_its_error_once(world):
    client = client_for(world.facilitator.person.user)
    impact = KeyImpact.objects.filter(report__cohort=world.cohort).first()
    move = reverse("reports:key_impact_move", kwargs={"cohort_pk": world.cohort.pk, "impact_pk": impact.pk})

    refused = client.post(move, {"direction": "sideways"})
    after = client.get(url("report_detail", world.cohort)).content.decode()

    assert refused.status_code == 400
    assert 'id="report-errors"' in refused.content.decode()
    assert 'id="report-errors"' not in after
