import datetime

import pytest
from django.utils import timezone
from django.utils.html import escape

from cohorts.models import Person
from cohorts.tests.factories import CohortFactory, MembershipFactory
from modules.models import ActItem, Attendance, Module
from modules.tests.factories import ActItemFactory, AttendanceFactory, PDSACycleFactory, modules_for_cohort
from tests.guards import (
    client_for,
    cohort_url,
    module_page_access_tests,
)

pytestmark = pytest.mark.django_db


# The module page and the attendance register


def test_module_detail_shows_module_and_register(facilitator_client, cohort, modules, participants):
    AttendanceFactory(module=modules[0], membership=participants[0], status="apologies")

    response = facilitator_client.get(cohort_url("modules:module_detail", cohort, 1))

    assert response.status_code == 200
    content = response.content.decode()
    assert modules[0].title in content
    for membership in participants:
        assert escape(membership.person.full_name) in content
    assert (
        f'name="status_{participants[0].pk}" id="id_status_{participants[0].pk}_1" value="apologies" checked' in content
    )
    assert content.count("<fieldset") == 3
    assert content.count("<legend") == 3
    assert "Next: 2." in content


def test_module_detail_labels_each_persons_profession_and_shows_a_change_at_once(facilitator_client, cohort, modules):
    nurse = MembershipFactory(cohort=cohort, person__profession=Person.Profession.NURSE, person__full_name="A Nurse")
    MembershipFactory(cohort=cohort, person__profession=Person.Profession.PSYCHOLOGY, person__full_name="B Psych")
    MembershipFactory(cohort=cohort, person__profession=Person.Profession.PSYCHOLOGY, person__full_name="C Psych")
    url = cohort_url("modules:module_detail", cohort, 1)
    page = facilitator_client.get(url).text
    assert page.count("Psychology") == 2
    assert page.count("Nursing") == 1
    Person.objects.filter(pk=nurse.person_id).update(profession=Person.Profession.SOCIAL_WORK)

    page = facilitator_client.get(url).text

    assert page.count("Psychology") == 2
    assert "Nursing" not in page
    assert page.count("Social work") == 1


def test_module_detail_shows_withdrawn_participant_with_record_read_only(facilitator_client, cohort, modules):
    gone = MembershipFactory(cohort=cohort, status="withdrawn", withdrawn_on=datetime.date(2026, 3, 1))
    never = MembershipFactory(cohort=cohort, status="withdrawn", withdrawn_on=datetime.date(2026, 3, 1))
    AttendanceFactory(module=modules[0], membership=gone, status="present")

    content = facilitator_client.get(cohort_url("modules:module_detail", cohort, 1)).content.decode()

    assert escape(gone.person.full_name) in content
    assert f"status_{gone.pk}" not in content
    assert "Withdrawn on 1 March 2026" in content
    assert escape(never.person.full_name) not in content


def test_module_detail_post_saves_attendance(facilitator_client, cohort, modules, participants):
    a, b, _c = participants
    AttendanceFactory(module=modules[0], membership=a, status="absent")

    response = facilitator_client.post(
        cohort_url("modules:module_detail", cohort, 1),
        {f"status_{a.pk}": "present", f"status_{b.pk}": "apologies"},
    )

    assert response.status_code == 302
    assert response.url == f"/cohorts/{cohort.pk}/modules/1/"
    saved = dict(Attendance.objects.filter(module=modules[0]).values_list("membership_id", "status"))
    assert saved == {a.pk: "present", b.pk: "apologies"}


def test_module_detail_offers_not_recorded_checked_for_people_without_a_mark(
    facilitator_client, cohort, modules, participants
):
    AttendanceFactory(module=modules[0], membership=participants[0], status="present")

    content = facilitator_client.get(cohort_url("modules:module_detail", cohort, 1)).content.decode()

    first = participants[0].pk
    assert f'name="status_{first}" id="id_status_{first}_3" value="not_recorded" autocomplete' in content
    assert (
        f'name="status_{participants[1].pk}" id="id_status_{participants[1].pk}_3" value="not_recorded" checked'
        in content
    )


def test_module_detail_post_clears_a_mark_back_to_not_recorded(facilitator_client, cohort, modules, participants):
    a, b, c = participants
    AttendanceFactory(module=modules[0], membership=a, status="absent")
    AttendanceFactory(module=modules[0], membership=b, status="present")

    response = facilitator_client.post(
        cohort_url("modules:module_detail", cohort, 1),
        {f"status_{a.pk}": "not_recorded", f"status_{b.pk}": "present", f"status_{c.pk}": "not_recorded"},
        follow=True,
    )

    assert "Attendance saved: 1 change." in response.content.decode()
    saved = dict(Attendance.objects.filter(module=modules[0]).values_list("membership_id", "status"))
    assert saved == {b.pk: "present"}


def test_module_detail_post_invalid_status_saves_nothing(facilitator_client, cohort, modules, participants):
    a, b, _c = participants

    response = facilitator_client.post(
        cohort_url("modules:module_detail", cohort, 1), {f"status_{a.pk}": "present", f"status_{b.pk}": "late"}
    )

    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not Attendance.objects.exists()


def test_module_detail_ignores_fields_for_people_not_on_the_register(facilitator_client, cohort, modules):
    outsider = MembershipFactory()

    response = facilitator_client.post(
        cohort_url("modules:module_detail", cohort, 1), {f"status_{outsider.pk}": "present"}
    )

    assert response.status_code == 302
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("number", [0, 7, 99])
def test_module_detail_unknown_module_number_is_404(facilitator_client, cohort, modules, number):
    assert facilitator_client.get(cohort_url("modules:module_detail", cohort, number)).status_code == 404


def test_module_detail_of_a_cohort_without_that_module_is_404(facilitator_client, cohort):
    assert facilitator_client.get(cohort_url("modules:module_detail", cohort, 1)).status_code == 404


# Mark delivered


def test_module_mark_delivered_get_asks_for_confirmation(facilitator_client, cohort, modules):
    response = facilitator_client.get(cohort_url("modules:module_mark_delivered", cohort, 1))

    assert response.status_code == 200
    assert "Yes, mark delivered" in response.content.decode()
    modules[0].refresh_from_db()
    assert modules[0].state == Module.State.PLANNED


def test_module_mark_delivered_post_marks_it(facilitator_client, cohort, modules):
    response = facilitator_client.post(cohort_url("modules:module_mark_delivered", cohort, 1), follow=True)

    modules[0].refresh_from_db()
    assert modules[0].is_delivered
    assert modules[0].delivered_at is not None
    assert "is marked delivered" in response.content.decode()


def test_module_mark_delivered_before_start_shows_message_and_changes_nothing(facilitator_client, cohort):
    modules = modules_for_cohort(cohort, first_starts_at=timezone.now() + datetime.timedelta(days=2))

    page = facilitator_client.get(cohort_url("modules:module_mark_delivered", cohort, 1)).content.decode()
    response = facilitator_client.post(cohort_url("modules:module_mark_delivered", cohort, 1), follow=True)

    assert "can be marked delivered once it has started" in page
    assert "Yes, mark delivered" not in page
    assert "once it has started" in response.content.decode()
    modules[0].refresh_from_db()
    assert modules[0].state == Module.State.PLANNED


# Edit module details


def test_module_update_saves_details(facilitator_client, cohort, modules):
    response = facilitator_client.post(
        cohort_url("modules:module_update", cohort, 2),
        {
            "title": "Wicked problems",
            "topics": "Complex adaptive systems",
            "starts_at": "2026-03-10T09:30",
            "ends_at": "2026-03-10T16:30",
            "venue": "Plymouth Hub, Room 3",
        },
    )

    assert response.status_code == 302
    modules[1].refresh_from_db()
    assert modules[1].title == "Wicked problems"
    assert modules[1].venue == "Plymouth Hub, Room 3"
    assert timezone.localtime(modules[1].starts_at).strftime("%Y-%m-%d %H:%M") == "2026-03-10 09:30"


def test_module_update_rejects_end_before_start(facilitator_client, cohort, modules):
    response = facilitator_client.post(
        cohort_url("modules:module_update", cohort, 2),
        {"title": "Changed", "starts_at": "2026-03-10T09:30", "ends_at": "2026-03-10T08:00", "venue": ""},
    )

    assert response.status_code == 400
    assert "The module must end after it starts." in response.content.decode()
    modules[1].refresh_from_db()
    assert modules[1].title == "Module 2"


def test_module_update_form_shows_current_values(facilitator_client, cohort, modules):
    content = facilitator_client.get(cohort_url("modules:module_update", cohort, 2)).content.decode()

    local_start = timezone.localtime(modules[1].starts_at).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{local_start}"' in content
    assert 'type="datetime-local"' in content


# Planned adjustments, ticked off on the module page


def test_act_item_toggle_ticks_off_and_back(facilitator_client, facilitator, cohort, modules):
    item = ActItemFactory(cycle=PDSACycleFactory(module=modules[0]))
    url = cohort_url("modules:act_item_toggle", cohort, 2, item_pk=item.pk)

    response = facilitator_client.post(url, {"done": "1"})

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.done
    assert item.done_by == facilitator
    page = facilitator_client.get(cohort_url("modules:module_detail", cohort, 2)).content.decode()
    assert "Mark not done" in page

    facilitator_client.post(url, {"done": "0"})
    item.refresh_from_db()
    assert not item.done


def test_act_item_toggle_rejects_bad_input_and_get(facilitator_client, cohort, modules):
    item = ActItemFactory(cycle=PDSACycleFactory(module=modules[0]))
    url = cohort_url("modules:act_item_toggle", cohort, 2, item_pk=item.pk)

    bad = facilitator_client.post(url, {"done": "yes"}, follow=True)
    get = facilitator_client.get(url)

    assert "nothing was changed" in bad.content.decode()
    assert get.status_code == 405
    item.refresh_from_db()
    assert not item.done


def test_act_item_toggle_only_on_the_module_it_was_planned_for(facilitator_client, cohort, modules):
    item = ActItemFactory(cycle=PDSACycleFactory(module=modules[0]))

    response = facilitator_client.post(cohort_url("modules:act_item_toggle", cohort, 3, item_pk=item.pk), {"done": "1"})

    assert response.status_code == 404
    assert not ActItem.objects.get().done


def test_act_item_toggle_of_another_cohorts_item_is_404(facilitator_client, cohort, modules):
    other_modules = modules_for_cohort(CohortFactory())
    item = ActItemFactory(cycle=PDSACycleFactory(module=other_modules[0]))

    response = facilitator_client.post(cohort_url("modules:act_item_toggle", cohort, 2, item_pk=item.pk), {"done": "1"})

    assert response.status_code == 404
    item.refresh_from_db()
    assert not item.done


# Permissions: every URL of this app answers 404 to anyone but the cohort's facilitators and staff


def _all_urls(cohort, item):
    return [
        ("get", cohort_url("modules:module_detail", cohort, 2)),
        ("post", cohort_url("modules:module_detail", cohort, 2)),
        ("get", cohort_url("modules:module_update", cohort, 2)),
        ("post", cohort_url("modules:module_update", cohort, 2)),
        ("get", cohort_url("modules:module_mark_delivered", cohort, 2)),
        ("post", cohort_url("modules:module_mark_delivered", cohort, 2)),
        ("post", cohort_url("modules:act_item_toggle", cohort, 2, item_pk=item.pk)),
    ]


(
    test_every_url_is_404_for_people_who_do_not_facilitate_the_cohort,
    test_every_url_redirects_anonymous_users_to_login,
    test_every_get_url_opens_for_the_facilitator_and_staff,
) = module_page_access_tests(_all_urls)


# Query counts: the same for 5 and 50 participants


# Measured: the session, the user, the membership with its cohort (middleware), the request's
# savepoint pair (ATOMIC_REQUESTS inside the test transaction) and the page's own queries.
@pytest.mark.parametrize(
    ("name", "number", "expected"),
    [("modules:module_detail", 2, 8)],
)
@pytest.mark.parametrize("size", [5, 50])
def test_page_query_count_is_constant_in_cohort_size(
    django_assert_num_queries, fill_cohort, facilitator, cohort, name, number, expected, size
):
    fill_cohort(cohort, modules_for_cohort(cohort), size)
    client = client_for(facilitator)
    url = cohort_url(name, cohort, number)

    with django_assert_num_queries(expected):
        response = client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count("<fieldset") == (size if name == "modules:module_detail" else 0)
