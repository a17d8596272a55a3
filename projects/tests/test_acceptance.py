"""Browser test (issue 5): a participant adds a data point and sees it on the run chart."""

import datetime
import re

import pytest

from cohorts.tests.factories import CohortFactory, UserFactory
from conftest import sign_in
from projects.models import Measure
from projects.tests.factories import (
    ActionLearningSetFactory,
    DataPointFactory,
    ImprovementProjectFactory,
    MeasureFactory,
    participant_in_set,
)

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def measure_with_data(transactional_db):
    cohort = CohortFactory(name="Tamar Vale Cohort 1")
    the_set = ActionLearningSetFactory(cohort=cohort, name="Set B")
    user = participant_in_set(the_set, person__user=UserFactory(username="ward-manager"))
    project = ImprovementProjectFactory(action_learning_set=the_set, title="Safer handovers")
    measure = MeasureFactory(project=project, name="Handovers using the SBAR sheet", unit="%", baseline_points=6)
    for week, value in enumerate([31, 28, 35, 30, 27, 33, 29, 34]):
        DataPointFactory(measure=measure, date=datetime.date(2026, 1, 5) + datetime.timedelta(weeks=week), value=value)
    return cohort, project, measure, user


def test_participant_adds_data_point_and_sees_it_on_run_chart(page, live_server, measure_with_data):
    cohort, project, measure, user = measure_with_data
    sign_in(page, live_server, user)

    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/projects/{project.pk}/")
    page.get_by_role("link", name="Handovers using the SBAR sheet").click()
    page.wait_for_url(re.compile(rf"/measures/{measure.pk}/$"))
    chart = page.locator("svg.run-chart-svg")
    assert chart.locator(".rc-point").count() == 8
    assert "Not enough data for the rules." in page.locator(".rc-verdict").inner_text()

    add = page.get_by_role("region", name="Add a data point")
    add.get_by_label("Date").fill("2026-03-02")
    add.get_by_label("Value").fill("72")
    add.get_by_label("Note").fill("SBAR sheet on every shift")
    add.get_by_role("button", name="Add data point").click()
    page.get_by_text("Data point added.").wait_for()

    assert chart.locator(".rc-point").count() == 9
    assert chart.locator("title", has_text="2 Mar 2026: 72").count() == 1
    table = page.get_by_role("table", name=re.compile("Data of"))
    assert table.get_by_role("row", name=re.compile(r"2 Mar 2026.*72")).is_visible()
    assert table.get_by_text("SBAR sheet on every shift").is_visible()


def test_participant_deletes_a_data_point_then_the_measure_after_confirming(page, live_server, measure_with_data):
    cohort, project, measure, user = measure_with_data
    sign_in(page, live_server, user)
    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/projects/{project.pk}/measures/{measure.pk}/")

    page.get_by_role("link", name="Delete 5 Jan 2026", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Delete a data point"
    assert measure.data_points.count() == 8  # asking deleted nothing
    page.get_by_role("button", name="Yes, delete this data point").click()
    page.get_by_text("Data point deleted: 5 Jan 2026: 31").wait_for()
    assert measure.data_points.count() == 7

    page.get_by_role("link", name="Delete the measure…").click()
    assert "7 data points" in page.get_by_role("main").inner_text()
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(re.compile(rf"/measures/{measure.pk}/$"))
    assert Measure.objects.filter(pk=measure.pk).exists()

    page.get_by_role("link", name="Delete the measure…").click()
    page.get_by_role("button", name="Yes, delete this measure").click()
    page.get_by_text("Measure deleted: Handovers using the SBAR sheet.").wait_for()
    assert page.url.endswith(f"/projects/{project.pk}/#measures")
    assert not Measure.objects.filter(pk=measure.pk).exists()
    # The project page leads back to the cohort: its breadcrumbs and the cohort navigation.
    assert (
        page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Tamar Vale Cohort 1").count() == 1
    )
    assert (
        page.get_by_role("navigation", name="Cohort: Tamar Vale Cohort 1")
        .get_by_role("link", name="Sets and projects")
        .get_attribute("aria-current")
        == "page"
    )
