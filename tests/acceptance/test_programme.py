"""In Chromium, from the demo: the provider's staff open the programme page, compare the two Tamar Vale
cohorts, switch the chart's question, and create the next cohort with its six dated modules (after
a first try the page refuses)."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from cohorts.models import Cohort
from demo import scenario as demo
from evaluation import demo_finished

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_programme(transactional_db):
    call_command("load_demo", "--force", verbosity=0)
    return Cohort.objects.get(name=demo.COHORT).programme


def sign_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def test_staff_compare_the_cohorts_and_create_the_next_one(page, live_server, demo_programme):
    sign_in(page, live_server, *demo.ADMIN_LOGIN)
    page.get_by_role("link", name=re.compile("Programmes")).first.click()
    page.get_by_role("link", name=demo.PROGRAMME).click()
    assert page.get_by_role("heading", level=1).inner_text() == demo.PROGRAMME

    # Both Tamar Vale cohorts stand side by side with figures; the chart holds a line for each.
    table = page.locator("#cohort-table")
    for name in (demo_finished.NAME, demo.COHORT, demo.SECOND_COHORT):
        assert table.get_by_role("columnheader", name=name).count() == 1
    chart = page.get_by_role("img", name=re.compile("Useful for my work"))
    assert chart.locator("g[data-cohort]").count() == 2
    assert page.locator("#change-table").get_by_role("columnheader", name=demo_finished.NAME).count() == 1

    page.get_by_label("Question", exact=True).select_option(label="Would recommend (NPS)")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"question=recommend"))
    assert page.get_by_role("img", name=re.compile("Would recommend")).count() == 1

    page.get_by_role("link", name="Create the next cohort").click()
    # A name the programme already has is refused, with nothing created.
    cohorts = Cohort.objects.count()
    page.get_by_label("Name").fill(demo.COHORT)
    page.get_by_label("Commissioning organisation").select_option(label=demo.COMMISSIONER)
    start = timezone.localdate() + datetime.timedelta(days=60)
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label(demo.FACILITATORS[0][0]).check()
    page.get_by_role("button", name="Create the cohort").click()
    summary = page.locator("#error-summary")
    assert "already has a cohort called" in summary.inner_text()
    assert Cohort.objects.count() == cohorts

    page.get_by_label("Name").fill("Tamar Vale Cohort 2")
    page.get_by_role("button", name="Create the cohort").click()
    page.wait_for_url(re.compile(r"/cohorts/\d+/$"))
    assert "Tamar Vale Cohort 2 is planned" in page.get_by_role("status").first.inner_text()

    cohort = Cohort.objects.get(name="Tamar Vale Cohort 2")
    assert cohort.programme == demo_programme
    assert cohort.status == Cohort.Status.PLANNED
    modules = list(cohort.modules.order_by("number"))
    outline = dict(demo_programme.outlines.values_list("number", "weeks_after_start"))
    assert [timezone.localtime(m.starts_at).date() for m in modules] == [
        start + datetime.timedelta(weeks=outline[n]) for n in range(1, 7)
    ]
    assert [m.person.full_name for m in cohort.memberships.select_related("person")] == [demo.FACILITATORS[0][0]]

    # The staff home finds it under "Planned".
    page.get_by_role("link", name="Home").first.click()
    page.get_by_label("Status").select_option(label="Planned")
    page.get_by_role("button", name="Filter").click()
    assert page.get_by_role("link", name="Tamar Vale Cohort 2").count() == 1
    assert page.get_by_role("link", name=demo.COHORT, exact=True).count() == 0
