"""Two facilitators edit the same attendance register, project, module PDSA record or project PDSA
cycle: no lost update.

Both open the page; the first saves; the second saves from the page as it was drawn. The second
is told (409, the message), nothing of theirs is saved over the first's change, and the page they
get shows the first's change, ready to be edited again. Saving again from that page works.
(Optimistic locking: a version token in the form, checked under a row lock; common/versions.py.)
"""

import datetime
import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.factories import MembershipFactory, UserFactory
from common.versions import STALE_MESSAGE
from modules.models import Attendance, PDSACycle
from modules.tests.factories import ModuleFactory
from projects.models import ImprovementProject
from projects.tests.factories import ProjectPDSACycleFactory

pytestmark = pytest.mark.django_db

TOLD = str(STALE_MESSAGE)[:40]


def _version(page) -> str:
    return re.search(r'name="version" value="([^"]*)"', page.content.decode()).group(1)


@pytest.fixture
def two_facilitators(cohort, facilitator):
    second = MembershipFactory(cohort=cohort, role="facilitator", person__user=UserFactory()).person.user
    clients = []
    for user in (facilitator, second):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def test_attendance_register_second_save_is_told_and_sees_the_first(cohort, two_facilitators):
    module = ModuleFactory(
        cohort=cohort, number=1, starts_at=timezone.now() - datetime.timedelta(days=1), ends_at=timezone.now()
    )
    ana, ben = MembershipFactory(cohort=cohort), MembershipFactory(cohort=cohort)
    url = reverse("modules:module_detail", kwargs={"cohort_pk": cohort.pk, "number": 1})
    first, second = two_facilitators
    first_version, second_version = _version(first.get(url)), _version(second.get(url))
    assert first_version == second_version

    saved = first.post(url, {"version": first_version, f"status_{ana.pk}": "present"})
    late = second.post(url, {"version": second_version, f"status_{ana.pk}": "absent", f"status_{ben.pk}": "present"})

    assert saved.status_code == 302
    assert late.status_code == 409
    assert TOLD in late.content.decode()
    marks = dict(Attendance.objects.filter(module=module).values_list("membership_id", "status"))
    assert marks == {ana.pk: "present"}
    # The page shows the first facilitator's mark, and a version to save from.
    page = late.content.decode()
    assert re.search(rf'name="status_{ana.pk}" id="[^"]+" value="present" checked', page)
    again = second.post(url, {"version": _version(late), f"status_{ana.pk}": "absent"})
    assert again.status_code == 302
    assert Attendance.objects.get(module=module, membership=ana).status == "absent"


def test_project_second_save_is_told_and_sees_the_first(world, two_facilitators):
    project = world["project_a"]
    url = reverse("projects:project_update", kwargs={"cohort_pk": world["cohort"].pk, "project_pk": project.pk})
    first, second = two_facilitators
    first_page, second_page = first.get(url), second.get(url)
    data = {
        "action_learning_set": project.action_learning_set_id,
        "title": project.title,
        "area": project.area,
        "status": project.status,
        "problem": project.problem,
        "aim": project.aim,
        "stakeholders": project.stakeholders,
    }

    saved = first.post(url, {**data, "version": _version(first_page), "aim": "Every handover uses SBAR by June"})
    late = second.post(url, {**data, "version": _version(second_page), "title": "Faster handovers"})

    assert saved.status_code == 302
    assert late.status_code == 409
    assert TOLD in late.content.decode()
    project.refresh_from_db()
    assert project.aim == "Every handover uses SBAR by June"
    assert project.title == "Safer handovers"
    assert "Every handover uses SBAR by June" in late.content.decode()
    again = second.post(url, {**data, "aim": project.aim, "version": _version(late), "title": "Faster handovers"})
    assert again.status_code == 302
    project.refresh_from_db()
    assert (project.title, project.aim) == ("Faster handovers", "Every handover uses SBAR by June")
    assert ImprovementProject.objects.count() == 2


def test_pdsa_record_second_save_is_told_and_sees_the_first(cohort, two_facilitators):
    module = ModuleFactory(cohort=cohort, number=1)
    url = reverse("surveys:pdsa_cycle_update", kwargs={"cohort_pk": cohort.pk, "number": 1})
    first, second = two_facilitators
    first_page, second_page = first.get(url), second.get(url)
    empty = {"act-TOTAL_FORMS": "0", "act-INITIAL_FORMS": "0"}
    text = {"plan_intent": "", "plan_prediction": "", "do_notes": "", "study_reading": ""}

    saved = first.post(url, {**empty, **text, "version": _version(first_page), "do_notes": "Ran the huddle twice"})
    late = second.post(url, {**empty, **text, "version": _version(second_page), "plan_intent": "Try huddles"})

    assert saved.status_code == 302, re.findall(r"<li>.*</li>", saved.content.decode())
    assert late.status_code == 409
    assert TOLD in late.content.decode()
    cycle = PDSACycle.objects.get(module=module)
    assert (cycle.do_notes, cycle.plan_intent) == ("Ran the huddle twice", "")
    assert "Ran the huddle twice" in late.content.decode()
    again = second.post(
        url, {**empty, **text, "do_notes": cycle.do_notes, "version": _version(late), "plan_intent": "Try huddles"}
    )
    assert again.status_code == 302
    cycle.refresh_from_db()
    assert (cycle.do_notes, cycle.plan_intent) == ("Ran the huddle twice", "Try huddles")


@pytest.mark.django_db(transaction=True)
def test_two_registers_posted_at_the_same_moment_one_wins_one_is_told(cohort, two_facilitators):
    """Really at once: two threads (two database connections) post the same version together; the
    row lock makes one wait, and it is then told rather than overwriting."""
    ModuleFactory(
        cohort=cohort, number=1, starts_at=timezone.now() - datetime.timedelta(days=1), ends_at=timezone.now()
    )
    ana = MembershipFactory(cohort=cohort)
    url = reverse("modules:module_detail", kwargs={"cohort_pk": cohort.pk, "number": 1})
    version = _version(two_facilitators[0].get(url))
    barrier, statuses = threading.Barrier(2), {}

    def save(client, status):
        try:
            barrier.wait(10)
            statuses[status] = client.post(url, {"version": version, f"status_{ana.pk}": status}).status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(client, status))
        for client, status in zip(two_facilitators, ("present", "absent"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(statuses.values()) == [302, 409]
    winner = next(status for status, code in statuses.items() if code == 302)
    assert list(Attendance.objects.filter(membership=ana).values_list("status", flat=True)) == [winner]


def test_project_pdsa_cycle_second_save_is_told_and_sees_the_first(world, two_facilitators):
    cycle = ProjectPDSACycleFactory(project=world["project_a"], title="Huddle at 9")
    url = reverse(
        "projects:pdsa_cycle_update",
        kwargs={"cohort_pk": world["cohort"].pk, "project_pk": cycle.project_id, "cycle_pk": cycle.pk},
    )
    first, second = two_facilitators
    first_page, second_page = first.get(url), second.get(url)
    data = {"title": "Huddle at 9", "start_date": "2026-02-02", "act": ""}

    saved = first.post(url, {**data, "version": _version(first_page), "study": "Fewer missed handovers"})
    late = second.post(url, {**data, "version": _version(second_page), "title": "Huddle at 10"})

    assert saved.status_code == 302
    assert late.status_code == 409
    assert TOLD in late.content.decode()
    cycle.refresh_from_db()
    assert (cycle.title, cycle.study) == ("Huddle at 9", "Fewer missed handovers")
    assert "Fewer missed handovers" in late.content.decode()
    again = second.post(url, {**data, "study": cycle.study, "version": _version(late), "title": "Huddle at 10"})
    assert again.status_code == 302
    cycle.refresh_from_db()
    assert (cycle.title, cycle.study) == ("Huddle at 10", "Fewer missed handovers")
