"""Erasure: personal data and free text go, every survey's figures stay, the audit keeps no copy."""

import json

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from cohorts.erasure import person_erase
from cohorts.models import Person
from cohorts.signals import person_erasing
from cohorts.tests.factories import MembershipFactory, UserFactory
from common.audit import Event
from common.models import SentEmail
from evaluation.models import PracticeMoment, QuoteSelection
from evaluation.tests.factories import PracticeMomentFactory
from modules.services import attendance_record
from modules.tests.factories import ModuleFactory
from projects.models import PresentationFeedback
from projects.tests.factories import PresentationFactory
from surveys.models import Answer, Response, Survey
from surveys.selectors import survey_results
from surveys.services import invitation_issue_token, response_submit, survey_open_for_module

pytestmark = pytest.mark.django_db

SECRET = "My manager on Ward 7 bullies the night staff"


def answers(i: int) -> dict:
    return {
        "usefulness": str(1 + i % 5),
        "confidence": str(1 + (i * 2) % 5),
        "pace": "About right",
        "recommend": str((i * 3) % 11),
        "went_well": SECRET if i == 0 else f"Comment {i}",
        "went_well__consent": "anonymous",
    }


def figures(survey) -> dict:
    results = survey_results(survey=survey)
    return {
        "invited": results.invited,
        "responded": results.responded,
        "responses": results.responses,
        "questions": [(r.question.code, r.answered, r.score, [b.count for b in r.bars]) for r in results.questions],
        "professions": [(p.profession, p.invited, p.responded) for p in results.professions],
    }


@pytest.fixture
def known(cohort, facilitator):
    """Six participants answer a named, a pseudonymous and an anonymous module survey (closed)."""
    members = [MembershipFactory(cohort=cohort, person__user=UserFactory()) for _ in range(6)]
    surveys = []
    for number, privacy in ((1, "named"), (2, "pseudonymous"), (3, "anonymous")):
        module = ModuleFactory(cohort=cohort, number=number)
        attendance_record(module=module, statuses={m.pk: "present" for m in members}, by=facilitator)
        survey = survey_open_for_module(module=module)
        Survey.objects.filter(pk=survey.pk).update(privacy=privacy)
        survey.refresh_from_db()
        for i, invitation in enumerate(survey.invitations.order_by("membership_id")):
            raw = answers(i)
            if privacy == "anonymous":
                raw.pop("went_well__consent")
            response_submit(invitation=invitation, token=invitation_issue_token(invitation=invitation), raw_answers=raw)
        Survey.objects.filter(pk=survey.pk).update(status="closed", closed_at=survey.closes_at)
        surveys.append(survey)
    person = members[0].person
    moment = PracticeMomentFactory(
        membership=members[0], reflection="I finally told my director", shared_with_set=True, quote_consent="role"
    )
    QuoteSelection.objects.create(cohort=cohort, practice_moment=moment)
    QuoteSelection.objects.create(
        cohort=cohort, answer=Answer.objects.get(text=SECRET, response__membership__isnull=False)
    )
    PresentationFeedback.objects.create(
        presentation=PresentationFactory(action_learning_set__cohort=cohort),
        author=members[0],
        went_well="Bold data from Ward 7",
    )
    SentEmail.objects.create(
        kind="survey_invitation", to=person.email, subject="Your survey", body=f"Dear {person.full_name}", status="sent"
    )
    person.job_title = "Ward manager, Ward 7"
    person.save()
    return {"cohort": cohort, "person": person, "members": members, "surveys": surveys, "moment": moment}


def test_erasure_keeps_every_surveys_counts_means_and_nps(known, staff_user):
    before = [figures(s) for s in known["surveys"]]
    assert before[0]["responses"] == 6
    assert any(score is not None for _c, _n, score, _b in before[0]["questions"])
    person_erase(person=known["person"], by=staff_user)
    assert [figures(s) for s in known["surveys"]] == before


def test_erasure_removes_personal_data_free_text_and_the_link_to_answers(known, staff_user):
    person = known["person"]
    name, email, username = person.full_name, person.email, person.user.username
    user_pk = person.user_id
    membership = known["members"][0]
    counts = person_erase(person=person, by=staff_user)
    person.refresh_from_db()
    assert person.full_name == "Erased person"
    assert person.email.endswith("@erased.invalid")
    assert person.job_title == person.team == ""
    assert person.user is None
    assert person.erased_at is not None
    account = type(staff_user).objects.get(pk=user_pk)
    assert not account.is_active
    assert not account.has_usable_password()
    assert account.username != username
    assert account.email == ""
    # No answer, reflection or feedback of theirs keeps its text; nobody else's was touched.
    # Their anonymous answer stays: nothing links it to them (that is what anonymous means here).
    assert list(Answer.objects.filter(text=SECRET).values_list("response__survey__privacy", flat=True)) == ["anonymous"]
    assert Answer.objects.filter(text="Comment 1").count() == 3
    assert not Response.objects.filter(membership=membership).exists()
    unlinked = Response.objects.filter(survey__in=known["surveys"][:2], membership__isnull=True).exclude(
        pseudonym__in=Response.objects.filter(membership__isnull=False).values("pseudonym")
    )
    assert len({r.pseudonym for r in unlinked if r.survey.privacy == "named"}) == 1
    assert PracticeMoment.objects.get(pk=known["moment"].pk).reflection == ""
    assert not QuoteSelection.objects.exists()
    assert PresentationFeedback.objects.get(author=membership).went_well == ""
    membership.refresh_from_db()
    assert membership.status == "withdrawn"
    # The mail log and the audit trail keep nothing that names them, nor the erased text.
    mail = SentEmail.objects.get(kind="survey_invitation")
    assert (mail.to, mail.body) == (person.email, "")
    audit = json.dumps(list(LogEntry.objects.values()), default=str)
    for secret in (name, email, "Ward manager, Ward 7", SECRET, "I finally told my director"):
        assert secret not in audit
    entry = LogEntry.objects.get(additional_data__event=Event.ERASURE)
    assert entry.actor == staff_user
    assert entry.object_pk == str(person.pk)
    assert entry.additional_data["counts"] == counts
    assert counts["survey_texts_removed"] == 2
    assert counts["responses_unlinked"] == 2


def test_erasure_cannot_be_repeated_nor_done_to_oneself(known, staff_user):
    person_erase(person=known["person"], by=staff_user)
    with pytest.raises(ValidationError):
        person_erase(person=known["person"], by=staff_user)
    me = MembershipFactory(person__user=staff_user).person
    with pytest.raises(ValidationError):
        person_erase(person=me, by=staff_user)
    assert Person.objects.get(pk=me.pk).erased_at is None


def test_a_failing_receiver_undoes_the_whole_erasure(known, staff_user):
    def refuse(sender, **kwargs):
        raise RuntimeError("report could not be updated")

    person_erasing.connect(refuse, dispatch_uid="test.refuse")
    try:
        with pytest.raises(RuntimeError):
            person_erase(person=known["person"], by=staff_user)
    finally:
        person_erasing.disconnect(dispatch_uid="test.refuse")
    person = Person.objects.get(pk=known["person"].pk)
    assert person.erased_at is None
    assert Answer.objects.filter(text=SECRET).count() == 3
    assert not LogEntry.objects.filter(additional_data__event=Event.ERASURE).exists()


def test_erase_page_confirms_refuses_without_the_tick_and_is_staff_only(known, staff_user, facilitator):
    person = known["person"]
    url = reverse("admin:cohorts_person_erase", args=[person.pk])
    outsider = Client()
    outsider.force_login(facilitator)
    assert outsider.post(url, {"confirm": "on"}).status_code == 302
    client = Client()
    client.force_login(staff_user)
    page = client.get(url)
    assert page.status_code == 200
    assert "cannot be undone" in page.content.decode()
    refused = client.post(url, {})
    assert refused.status_code == 400
    assert Person.objects.get(pk=person.pk).erased_at is None
    done = client.post(url, {"confirm": "on"})
    assert done.status_code == 302
    assert Person.objects.get(pk=person.pk).erased_at is not None
    change = client.get(reverse("admin:cohorts_person_change", args=[person.pk]))
    assert "Erase this person" not in change.content.decode()
