"""Data points edited in place; sets, projects, measures, data points and presentations deleted in
the browser, each behind a confirmation page that says what goes with it (issue 11)."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from cohorts.models import Membership
from cohorts.tests.factories import MembershipFactory, UserFactory, client_for
from projects import deletion_selectors
from projects.models import (
    ActionLearningSet,
    DataPoint,
    DriverNode,
    ImprovementProject,
    Measure,
    Presentation,
    ProjectPDSACycle,
    SetMembership,
)
from projects.tests.factories import (
    DataPointFactory,
    DriverNodeFactory,
    MeasureFactory,
    PresentationFactory,
    ProjectPDSACycleFactory,
)

pytestmark = pytest.mark.django_db


def url(world, name, **kwargs):
    return reverse(f"projects:{name}", kwargs={"cohort_pk": world["cohort"].pk, **kwargs})


def point_url(world, name, point):
    measure = world["measure_a"]
    return url(world, name, project_pk=measure.project_id, measure_pk=measure.pk, point_pk=point.pk)


def first_point(world):
    return world["measure_a"].data_points.order_by("date").first()


# Editing a data point ------------------------------------------------------------------------


def test_data_point_update_page_shows_the_point_in_its_form(world):
    point = first_point(world)
    response = client_for(world["member_a"]).get(point_url(world, "data_point_update", point))
    assert response.status_code == 200
    assert 'value="2026-01-05"' in response.text
    assert 'value="40.000"' in response.text


def test_data_point_update_saves_in_place(world):
    point = first_point(world)
    count = DataPoint.objects.count()
    response = client_for(world["member_a"]).post(
        point_url(world, "data_point_update", point), {"date": "2026-01-06", "value": "41.5", "note": "recounted"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#data")
    point.refresh_from_db()
    assert (point.date, point.value, point.note) == (datetime.date(2026, 1, 6), Decimal("41.5"), "recounted")
    assert DataPoint.objects.count() == count


def test_data_point_update_refuses_a_date_another_point_has_and_changes_nothing(world):
    point, second = world["measure_a"].data_points.order_by("date")[:2]
    response = client_for(world["member_a"]).post(
        point_url(world, "data_point_update", point), {"date": second.date.isoformat(), "value": "99"}
    )
    assert response.status_code == 400
    assert "There is already a value for this date" in response.text
    point.refresh_from_db()
    assert point.value == Decimal("40")


def test_data_point_update_refuses_a_value_that_is_not_a_number(world):
    point = first_point(world)
    response = client_for(world["member_a"]).post(
        point_url(world, "data_point_update", point), {"date": "2026-01-05", "value": "lots"}
    )
    assert response.status_code == 400
    point.refresh_from_db()
    assert point.value == Decimal("40")


def test_data_point_update_by_another_set_is_forbidden(world):
    point = first_point(world)
    client = client_for(world["member_b"])
    assert client.get(point_url(world, "data_point_update", point)).status_code == 403
    assert (
        client.post(point_url(world, "data_point_update", point), {"date": "2026-01-05", "value": "1"}).status_code
        == 403
    )
    point.refresh_from_db()
    assert point.value == Decimal("40")


def test_measure_page_links_each_point_to_its_edit_and_delete_pages(world):
    point = first_point(world)
    page = client_for(world["member_a"]).get(
        url(world, "measure_detail", project_pk=world["project_a"].pk, measure_pk=world["measure_a"].pk)
    )
    assert f'href="{point_url(world, "data_point_update", point)}"' in page.text
    assert f'href="{point_url(world, "data_point_delete", point)}"' in page.text
    assert 'method="post" action="' + point_url(world, "data_point_delete", point) not in page.text


# Deleting: confirmation first -----------------------------------------------------------------


def test_data_point_delete_asks_first_then_deletes(world):
    point = first_point(world)
    client = client_for(world["member_a"])
    page = client.get(point_url(world, "data_point_delete", point))
    assert page.status_code == 200
    assert "5 Jan 2026: 40 in “Handovers using SBAR”" in page.text
    assert "Yes, delete this data point" in page.text
    assert DataPoint.objects.filter(pk=point.pk).exists()

    response = client.post(point_url(world, "data_point_delete", point), follow=True)
    assert "Data point deleted: 5 Jan 2026: 40" in response.text
    assert not DataPoint.objects.filter(pk=point.pk).exists()


def test_measure_delete_says_its_data_points_go_and_its_pdsa_cycles_stay(world):
    measure = world["measure_a"]
    cycle = ProjectPDSACycleFactory(project=world["project_a"])
    cycle.measures.add(measure)
    client = client_for(world["member_a"])
    delete_url = url(world, "measure_delete", project_pk=measure.project_id, measure_pk=measure.pk)

    page = client.get(delete_url)
    assert "12 data points" in page.text
    assert "1 PDSA cycle that studied this measure (it stays, without the link)" in page.text

    client.post(delete_url)
    assert not Measure.objects.filter(pk=measure.pk).exists()
    assert not DataPoint.objects.filter(measure_id=measure.pk).exists()
    assert ProjectPDSACycle.objects.filter(pk=cycle.pk).exists()


def test_project_delete_lists_what_goes_with_it_and_deletes_it_all(world):
    project = world["project_a"]
    DriverNodeFactory(project=project)
    ProjectPDSACycleFactory(project=project)
    slot = PresentationFactory(action_learning_set=world["set_a"], project=project)
    client = client_for(world["member_a"])
    delete_url = url(world, "project_delete", project_pk=project.pk)

    page = client.get(delete_url)
    for line in ("1 measure with its run chart", "12 data points", "1 PDSA cycle", "1 entry of the driver diagram"):
        assert line in page.text
    assert "1 presentation slot at the celebration event (it stays, without the project)" in page.text

    response = client.post(delete_url, follow=True)
    assert "Project deleted: Safer handovers." in response.text
    assert not ImprovementProject.objects.filter(pk=project.pk).exists()
    assert not Measure.objects.filter(project_id=project.pk).exists()
    assert not DriverNode.objects.filter(project_id=project.pk).exists()
    slot.refresh_from_db()
    assert slot.project is None


def test_project_delete_by_another_set_is_forbidden_and_deletes_nothing(world):
    client = client_for(world["member_b"])
    delete_url = url(world, "project_delete", project_pk=world["project_a"].pk)
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url).status_code == 403
    assert ImprovementProject.objects.filter(pk=world["project_a"].pk).exists()


def test_presentation_delete_is_for_facilitators_and_removes_feedback_and_slides(
    world, facilitator_client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    presentation = PresentationFactory(action_learning_set=world["set_a"], project=world["project_a"])
    presentation.slides.save("slides.pdf", ContentFile(b"%PDF-1.7\n"), save=True)
    stored = tmp_path / presentation.slides.name
    assert stored.exists()
    delete_url = url(world, "presentation_delete", presentation_pk=presentation.pk)

    assert client_for(world["member_a"]).get(delete_url).status_code == 404
    page = facilitator_client.get(delete_url)
    assert "the uploaded slides" in page.text

    with django_capture_on_commit_callbacks(execute=True):
        facilitator_client.post(delete_url)
    assert not Presentation.objects.filter(pk=presentation.pk).exists()
    assert not stored.exists()


def test_set_delete_is_for_facilitators_and_keeps_its_members_in_the_cohort(world, facilitator_client):
    own_set = world["set_a"]
    member = Membership.objects.get(person__user=world["member_a"], cohort=world["cohort"])
    delete_url = url(world, "set_delete", set_pk=own_set.pk)

    assert client_for(world["member_a"]).get(delete_url).status_code == 404
    page = facilitator_client.get(delete_url)
    assert "1 improvement project" in page.text
    assert "12 data points" in page.text
    assert "1 member, who stays in the cohort without a set" in page.text

    response = facilitator_client.post(delete_url, follow=True)
    assert "Set deleted: Set A." in response.text
    assert not ActionLearningSet.objects.filter(pk=own_set.pk).exists()
    assert not ImprovementProject.objects.filter(pk=world["project_a"].pk).exists()
    assert not SetMembership.objects.filter(membership=member).exists()
    assert Membership.objects.filter(pk=member.pk, status=Membership.Status.ACTIVE).exists()


def test_set_facilitator_may_delete_their_sets_project_but_not_the_set(world):
    membership = MembershipFactory(
        cohort=world["cohort"], role=Membership.Role.SET_FACILITATOR, person__user=UserFactory()
    )
    world["set_a"].set_facilitator = membership
    world["set_a"].save()
    client = client_for(membership.person.user)
    assert client.get(url(world, "project_delete", project_pk=world["project_a"].pk)).status_code == 200
    assert client.get(url(world, "set_delete", set_pk=world["set_a"].pk)).status_code == 404


@pytest.mark.parametrize("points", [3, 30])
def test_deletion_impact_queries_do_not_grow_with_the_set(world, points, django_assert_num_queries):
    for project in (world["project_a"],):
        for _ in range(2):
            measure = MeasureFactory(project=project)
            for day in range(points):
                DataPointFactory(measure=measure, date=datetime.date(2025, 1, 1) + datetime.timedelta(days=day))
    with django_assert_num_queries(1):  # everything counted in one statement (common.counting)
        impact = deletion_selectors.set_deletion_impact(action_learning_set=world["set_a"])
    assert f"{12 + 2 * points} data points" in impact.goes
    with django_assert_num_queries(1):
        project = deletion_selectors.project_deletion_impact(project=world["project_a"])
    assert f"{12 + 2 * points} data points" in project.goes
