"""Subject access: everything held about one person, as a ZIP of JSON and CSV, for staff only."""

import csv
import io
import json
import zipfile

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from cohorts.tests.factories import MembershipFactory, UserFactory
from common.audit import Event
from common.models import SentEmail
from evaluation.tests.factories import PracticeMomentFactory
from modules.services import attendance_record
from modules.tests.factories import ModuleFactory
from privacy.subject_access import subject_access_files
from projects.tests.factories import ActionLearningSetFactory, ImprovementProjectFactory, SetMembershipFactory
from surveys.models import Survey
from surveys.services import invitation_issue_token, response_submit, survey_open_for_module

pytestmark = pytest.mark.django_db


def answered(cohort, number, privacy, members, text_of):
    module = ModuleFactory(cohort=cohort, number=number)
    survey = survey_open_for_module(module=module)
    Survey.objects.filter(pk=survey.pk).update(privacy=privacy)
    for invitation in survey.invitations.select_related("membership"):
        raw = {"usefulness": "4", "confidence": "3", "pace": "About right", "recommend": "9"}
        raw["went_well"] = text_of(invitation.membership)
        response_submit(invitation=invitation, token=invitation_issue_token(invitation=invitation), raw_answers=raw)
    return module


@pytest.fixture
def subject(cohort, facilitator):
    members = [MembershipFactory(cohort=cohort, person__user=UserFactory()) for _ in range(3)]
    me = members[0]
    for number, privacy in ((1, "named"), (2, "pseudonymous"), (3, "anonymous")):
        module = answered(cohort, number, privacy, members, lambda m, p=privacy: f"{p} text of {m.person.full_name}")
        attendance_record(module=module, statuses={m.pk: "present" for m in members}, by=facilitator)
    set_ = ActionLearningSetFactory(cohort=cohort, name="Set Kestrel")
    SetMembershipFactory(action_learning_set=set_, membership=me)
    ImprovementProjectFactory(action_learning_set=set_, title="Fewer missed doses")
    PracticeMomentFactory(membership=me, reflection="Tried GROW with my deputy")
    SentEmail.objects.create(kind="sign_in_link", to=me.person.email, subject="Your sign-in link", status="sent")
    SentEmail.objects.create(kind="sign_in_link", to=members[1].person.email, subject="Someone else's", status="sent")
    me.person.team = "Home treatment team"
    me.person.save()
    return me


def test_zip_holds_every_kind_of_data_about_the_person_and_nobody_elses(subject, staff_user):
    client = Client()
    client.force_login(staff_user)
    response = client.get(reverse("admin:cohorts_person_subject_access", args=[subject.person.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    for table in ("memberships", "attendance", "invitations", "answers", "practice_log", "quotes", "mail", "audit"):
        assert {f"{table}.json", f"{table}.csv"} <= names
    person = json.loads(archive.read("person.json"))
    assert (person["email"], person["team"]) == (subject.person.email, "Home treatment team")
    answers = json.loads(archive.read("answers.json"))
    texts = {a["text"] for a in answers if a["text"]}
    name = subject.person.full_name
    # Named and pseudonymous answers are theirs to see; the anonymous one cannot be found.
    assert texts == {f"named text of {name}", f"pseudonymous text of {name}"}
    assert len(list(csv.DictReader(io.StringIO(archive.read("attendance.csv").decode())))) == 3
    assert "Tried GROW with my deputy" in archive.read("practice_log.json").decode()
    projects = json.loads(archive.read("projects.json"))
    assert [p["title"] for p in projects["projects"]] == ["Fewer missed doses"]
    mail = json.loads(archive.read("mail.json"))
    assert [m["subject"] for m in mail] == ["Your sign-in link"]
    audit = json.loads(archive.read("audit.json"))
    assert any(e["changes"] and e["changes"].get("team") == ["", "Home treatment team"] for e in audit)
    assert "text of" not in archive.read("audit.json").decode()
    others = [m.person.full_name for m in subject.cohort.memberships.exclude(pk=subject.pk).select_related("person")]
    everything = "".join(archive.read(n).decode() for n in names)
    for other in others:
        assert f"text of {other}" not in everything
    entry = LogEntry.objects.get(additional_data__event=Event.SUBJECT_ACCESS)
    assert entry.actor == staff_user
    assert entry.object_pk == str(subject.person.pk)


def test_subject_access_is_closed_to_non_staff(subject, facilitator):
    client = Client()
    client.force_login(facilitator)
    response = client.get(reverse("admin:cohorts_person_subject_access", args=[subject.person.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not LogEntry.objects.filter(additional_data__event=Event.SUBJECT_ACCESS).exists()


@pytest.mark.parametrize("modules", [1, 3])
def test_subject_access_queries_do_not_grow_with_history(cohort, facilitator, modules, django_assert_max_num_queries):
    members = [MembershipFactory(cohort=cohort, person__user=UserFactory()) for _ in range(3)]
    for number in range(1, modules + 1):
        answered(cohort, number, "named", members, lambda m: "Some text")
        PracticeMomentFactory(membership=members[0])
    with django_assert_max_num_queries(20):
        files = subject_access_files(person=members[0].person)
    assert len(json.loads(files["answers.json"])) == modules * 5  # four scale and choice answers and one text
