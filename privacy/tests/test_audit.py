"""The audit trail: who changed what and when, with no survey content in it (issue 15, Records)."""

import datetime
import json
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cohorts.models import Membership, Person
from cohorts.services import membership_reinstate, participants_import
from cohorts.tests.factories import MembershipFactory, UserFactory
from common.audit import Event
from evaluation.quote_services import quote_consent_withdraw
from evaluation.tests.factories import PracticeMomentFactory
from modules.models import Attendance
from modules.services import attendance_record
from modules.tests.factories import ModuleFactory
from projects.services import progress_score_record
from projects.tests.factories import ActionLearningSetFactory, ImprovementProjectFactory
from surveys.models import Answer, Survey
from surveys.services import invitation_issue_token, response_submit, survey_close, survey_open_for_module
from surveys.tests.factories import responses_bulk_create

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Ward 7 is short-staffed because of my manager K. Brown"
ANSWERS = {"usefulness": "4", "confidence": "3", "pace": "About right", "recommend": "9", "went_well": SECRET_TEXT}


def entries_for(obj):
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk))


def everything_in_the_audit() -> str:
    return json.dumps(
        list(LogEntry.objects.values("object_repr", "changes", "changes_text", "additional_data", "serialized_data")),
        default=str,
        ensure_ascii=False,
    )


def test_membership_withdrawal_through_the_page_records_who_and_what(cohort, facilitator, facilitator_client):
    membership = MembershipFactory(cohort=cohort)
    url = reverse("cohorts:participant_withdraw", kwargs={"cohort_pk": cohort.pk, "membership_pk": membership.pk})
    response = facilitator_client.post(url, {"withdrawn_on": "2026-02-01"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    entry = entries_for(membership).get(action=LogEntry.Action.UPDATE)
    assert entry.actor == facilitator
    assert entry.remote_addr == "203.0.113.9"
    assert entry.changes["status"] == ["active", "withdrawn"]
    assert entry.changes["withdrawn_on"] == [None, "2026-02-01"]
    membership.refresh_from_db()
    membership_reinstate(membership=membership)
    assert entries_for(membership).filter(action=LogEntry.Action.UPDATE).count() == 2
    membership.role = Membership.Role.SET_FACILITATOR
    membership.save()
    assert entries_for(membership).latest("pk").changes == {"role": ["participant", "set_facilitator"]}


def test_contact_details_change_is_recorded_field_by_field(cohort):
    person = MembershipFactory(cohort=cohort).person
    old_email = person.email
    person.email = "new.address@nhs.example"
    person.team = "Crisis team"
    person.save()
    entry = entries_for(person).latest("pk")
    assert entry.changes["email"] == [old_email, "new.address@nhs.example"]
    assert entry.changes["team"] == ["", "Crisis team"]
    assert "created_at" not in entry.changes
    assert "updated_at" not in entry.changes


def test_imported_people_and_memberships_are_recorded_though_written_in_bulk(cohort):
    rows = [
        {"full_name": "Asha Patel", "email": "asha.patel@nhs.example", "job_title": "Ward manager"},
        {"full_name": "Tom Reed", "email": "tom.reed@nhs.example", "job_title": "Psychologist"},
    ]
    participants_import(cohort=cohort, rows=rows)
    people = Person.objects.filter(email__in=["asha.patel@nhs.example", "tom.reed@nhs.example"])
    assert people.count() == 2
    for person in people:
        created = entries_for(person).get(action=LogEntry.Action.CREATE)
        assert created.changes["email"] == [None, person.email]
        assert created.additional_data == {"event": Event.BULK}
        membership = person.memberships.get()
        assert entries_for(membership).get(action=LogEntry.Action.CREATE).changes["role"] == [None, "participant"]


def test_attendance_saved_in_bulk_is_recorded_row_by_row_with_old_and_new_status(cohort, facilitator):
    module = ModuleFactory(cohort=cohort, number=1)
    members = [MembershipFactory(cohort=cohort) for _ in range(3)]
    attendance_record(module=module, statuses={m.pk: "present" for m in members}, by=facilitator)
    attendance_record(module=module, statuses={members[0].pk: "absent", members[1].pk: "present"}, by=facilitator)
    records = {a.membership_id: a for a in Attendance.objects.filter(module=module)}
    for member in members:
        created = entries_for(records[member.pk]).get(action=LogEntry.Action.CREATE)
        assert created.changes["status"] == [None, "present"]
        assert created.actor == facilitator
        assert member.person.full_name in created.object_repr
    updates = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Attendance), action=LogEntry.Action.UPDATE
    )
    assert [(e.object_pk, e.changes) for e in updates] == [
        (str(records[members[0].pk].pk), {"status": ["present", "absent"]})
    ]


@pytest.mark.parametrize("size", [3, 30])
def test_attendance_audit_keeps_the_query_count_constant(cohort, facilitator, size, django_assert_max_num_queries):
    module = ModuleFactory(cohort=cohort, number=1)
    members = [MembershipFactory(cohort=cohort) for _ in range(size)]
    with django_assert_max_num_queries(10):
        attendance_record(module=module, statuses={m.pk: "apologies" for m in members}, by=facilitator)
    assert LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Attendance)).count() == size


def test_survey_settings_opening_and_closing_are_recorded(cohort):
    module = ModuleFactory(cohort=cohort, number=1)
    MembershipFactory(cohort=cohort)
    survey = survey_open_for_module(module=module)
    assert entries_for(survey).filter(changes__status__1="open").exists()
    survey.privacy = Survey.Privacy.ANONYMOUS
    survey.save()
    assert entries_for(survey).latest("pk").changes["privacy"] == ["pseudonymous", "anonymous"]
    survey_close(survey=survey)
    closing = entries_for(survey).latest("pk")
    assert closing.changes["status"] == ["open", "closed"]


@pytest.mark.parametrize("privacy", ["named", "pseudonymous", "anonymous"])
def test_the_audit_never_holds_survey_free_text_nor_links_a_hidden_answer(cohort, privacy):
    module = ModuleFactory(cohort=cohort, number=1)
    participant = MembershipFactory(cohort=cohort, person__user=UserFactory())
    survey = survey_open_for_module(module=module)
    Survey.objects.filter(pk=survey.pk).update(privacy=privacy)
    invitation = survey.invitations.get()
    response = response_submit(
        invitation=invitation, token=invitation_issue_token(invitation=invitation), raw_answers=ANSWERS
    )
    assert Answer.objects.filter(text=SECRET_TEXT).exists()
    assert SECRET_TEXT not in everything_in_the_audit()
    response_entries = entries_for(response)
    if privacy == "named":
        entry = response_entries.get()
        assert entry.additional_data == {"event": Event.RESPONSE}
        assert set(entry.changes) == {"submitted_at"}
    else:
        # Who answered a pseudonymous or anonymous survey, and when, must not be written anywhere.
        assert not response_entries.exists()
        assert not LogEntry.objects.filter(additional_data__event=Event.RESPONSE).exists()
        assert not LogEntry.objects.filter(actor=participant.person.user_id).exists()


def test_quote_consent_withdrawal_is_recorded_without_the_quote(cohort):
    module = ModuleFactory(cohort=cohort, number=1)
    member = MembershipFactory(cohort=cohort, person__user=UserFactory())
    survey = survey_open_for_module(module=module)
    Survey.objects.filter(pk=survey.pk).update(privacy="named")
    invitation = survey.invitations.get()
    response_submit(
        invitation=invitation,
        token=invitation_issue_token(invitation=invitation),
        raw_answers={**ANSWERS, "went_well__consent": "role"},
    )
    answer = Answer.objects.get(text=SECRET_TEXT)
    assert answer.quote_consent == "role"
    quote_consent_withdraw(user=member.person.user, key=f"answer-{answer.pk}")
    entry = entries_for(answer).get()
    assert entry.changes == {"quote_consent": ["role", "none"]}
    assert entry.actor == member.person.user
    assert SECRET_TEXT not in everything_in_the_audit()


def test_practice_moment_consent_and_progress_scores_are_recorded(cohort):
    member = MembershipFactory(cohort=cohort)
    moment = PracticeMomentFactory(membership=member, reflection="I coached my deputy", shared_with_set=True)
    moment.quote_consent = "anonymous"
    moment.save()
    assert entries_for(moment).latest("pk").changes["quote_consent"] == ["none", "anonymous"]
    assert "I coached my deputy" not in everything_in_the_audit()
    project = ImprovementProjectFactory(action_learning_set=ActionLearningSetFactory(cohort=cohort))
    score = progress_score_record(project=project, score=Decimal("2.5"), note="Baseline data in", recorded_by=member)
    assert entries_for(score).get().changes["score"][1] in ("2.5", 2.5)
    project.status = "testing"
    project.save()
    assert entries_for(project).latest("pk").changes["status"] == ["idea", "testing"]


def test_survey_export_records_who_downloaded_what(cohort, facilitator, facilitator_client):
    module = ModuleFactory(cohort=cohort, number=1)
    for _ in range(3):
        MembershipFactory(cohort=cohort)
    survey = survey_open_for_module(module=module)
    responses_bulk_create(survey, 3)
    survey_close(survey=survey, now=timezone.now() + datetime.timedelta(seconds=1))
    url = reverse("surveys:survey_export", kwargs={"cohort_pk": cohort.pk, "number": 1, "fmt": "csv"})
    response = facilitator_client.get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    entry = entries_for(survey).get(action=LogEntry.Action.ACCESS)
    assert entry.actor == facilitator
    assert entry.additional_data["event"] == Event.EXPORT
    assert "csv" in entry.additional_data["what"]
    assert entry.additional_data["path"] == url


@pytest.mark.parametrize(
    ("name", "what"),
    [("cohorts:participant_export", "participant list"), ("modules:attendance_export", "attendance register")],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_participant_list_and_register_downloads_record_who_downloaded_what(
    cohort, facilitator, facilitator_client, name, what, fmt
):
    MembershipFactory(cohort=cohort)
    url = reverse(name, kwargs={"cohort_pk": cohort.pk, "fmt": fmt})
    response = facilitator_client.get(url)
    assert response.status_code == 200
    entry = entries_for(cohort).get(action=LogEntry.Action.ACCESS)
    assert entry.actor == facilitator
    assert entry.additional_data["event"] == Event.EXPORT
    assert entry.additional_data["what"] == f"{what} ({fmt})"


def test_impact_report_downloads_are_recorded(cohort, facilitator, facilitator_client):
    for fmt in ("pdf", "xlsx"):
        response = facilitator_client.get(reverse(f"reports:report_{fmt}", kwargs={"cohort_pk": cohort.pk}))
        assert response.status_code == 200
    recorded = entries_for(cohort).filter(action=LogEntry.Action.ACCESS).values_list("additional_data", flat=True)
    assert sorted(data["what"] for data in recorded) == ["impact report (pdf)", "impact report (xlsx)"]
    assert all(data["event"] == Event.EXPORT for data in recorded)


def test_admin_lists_and_filters_the_audit_trail_for_staff_only(cohort, staff_user, facilitator):
    person = MembershipFactory(cohort=cohort).person
    person.job_title = "Modern matron"
    person.save()
    client = Client()
    client.force_login(staff_user)
    changelist = reverse("admin:auditlog_logentry_changelist")
    everything = client.get(changelist)
    assert everything.status_code == 200
    assert escape(person.full_name) in everything.content.decode()
    person_type = ContentType.objects.get_for_model(Person)
    filtered = client.get(changelist, {"action__exact": LogEntry.Action.UPDATE, "resource_type": person_type.pk})
    assert filtered.status_code == 200
    assert escape(person.full_name) in filtered.content.decode()
    detail = client.get(reverse("admin:auditlog_logentry_change", args=[entries_for(person).latest("pk").pk]))
    assert "Modern matron" in detail.content.decode()
    exports_only = client.get(changelist, {"event": Event.EXPORT})
    assert exports_only.status_code == 200
    assert escape(person.full_name) not in exports_only.content.decode()
    other = Client()
    other.force_login(facilitator)
    assert other.get(changelist).status_code == 302
