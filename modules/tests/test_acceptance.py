"""Browser tests (issue 2): a facilitator records attendance for module 1 and it is kept."""

import re

import pytest

from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from conftest import sign_in
from modules.models import Attendance
from modules.tests.factories import AttendanceFactory, modules_for_cohort

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def running_cohort(transactional_db):
    cohort = CohortFactory(name="Tamar Vale Cohort 1")
    modules = modules_for_cohort(cohort)
    user = UserFactory(username="facilitator-e2e")
    MembershipFactory(cohort=cohort, role="facilitator", person__user=user)
    participants = [
        MembershipFactory(cohort=cohort, person__full_name=name)
        for name in ["Aisha Khan", "Ben Okafor", "Carys Pengelly", "Dev Mistry"]
    ]
    return cohort, modules, user, participants


def _group(page, name):
    return page.get_by_role("group", name=re.compile(rf"^{name}"))


def test_facilitator_records_attendance_and_it_is_kept_after_reload(page, live_server, running_cohort):
    cohort, modules, user, _participants = running_cohort

    sign_in(page, live_server, user)
    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/")
    page.get_by_role("link", name=re.compile(r"^Module 1:")).click()
    page.wait_for_url(re.compile(rf"/cohorts/{cohort.pk}/modules/1/"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Module 1")

    _group(page, "Aisha Khan").get_by_text("Present", exact=True).click()
    _group(page, "Ben Okafor").get_by_text("Apologies", exact=True).click()
    _group(page, "Carys Pengelly").get_by_text("Absent", exact=True).click()
    page.get_by_role("button", name="Save attendance").click()
    page.get_by_text("Attendance saved").wait_for()

    page.reload()

    assert _group(page, "Aisha Khan").get_by_role("radio", name="Present").is_checked()
    assert _group(page, "Ben Okafor").get_by_role("radio", name="Apologies").is_checked()
    assert _group(page, "Carys Pengelly").get_by_role("radio", name="Absent").is_checked()
    assert not _group(page, "Dev Mistry").get_by_role("radio", name="Present").is_checked()
    saved = dict(Attendance.objects.filter(module=modules[0]).values_list("membership__person__full_name", "status"))
    assert saved == {"Aisha Khan": "present", "Ben Okafor": "apologies", "Carys Pengelly": "absent"}


def test_facilitator_clears_a_mark_given_by_mistake(page, live_server, running_cohort):
    cohort, modules, user, participants = running_cohort
    AttendanceFactory(module=modules[0], membership=participants[0], status="absent")
    AttendanceFactory(module=modules[0], membership=participants[1], status="present")

    sign_in(page, live_server, user)
    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/modules/1/")
    assert _group(page, "Aisha Khan").get_by_role("radio", name="Absent").is_checked()
    _group(page, "Aisha Khan").get_by_text("Not recorded", exact=True).click()
    page.get_by_role("button", name="Save attendance").click()
    page.get_by_text("Attendance saved: 1 change.").wait_for()

    assert _group(page, "Aisha Khan").get_by_role("radio", name="Not recorded").is_checked()
    assert _group(page, "Ben Okafor").get_by_role("radio", name="Present").is_checked()
    saved = dict(Attendance.objects.filter(module=modules[0]).values_list("membership__person__full_name", "status"))
    assert saved == {"Ben Okafor": "present"}


def test_register_works_by_keyboard_on_a_phone(phone_page, live_server, running_cohort):
    cohort, modules, user, _participants = running_cohort
    page = phone_page

    sign_in(page, live_server, user)
    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/modules/1/")
    first = _group(page, "Aisha Khan").get_by_role("radio", name="Present")
    first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")  # moves within the group to "Apologies"
    page.keyboard.press("Tab")  # on to the next person's group
    page.keyboard.press("Space")
    page.get_by_role("button", name="Mark everyone not yet recorded as present").click()
    page.get_by_role("status").filter(has_text="Nothing is saved until").wait_for()
    no_horizontal_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Save attendance").press("Enter")
    page.get_by_text("Attendance saved").wait_for()

    assert no_horizontal_scroll
    saved = dict(Attendance.objects.filter(module=modules[0]).values_list("membership__person__full_name", "status"))
    assert saved == {
        "Aisha Khan": "apologies",
        "Ben Okafor": "present",
        "Carys Pengelly": "present",
        "Dev Mistry": "present",
    }
