"""Retention with a fake clock: what expired is anonymised, what did not stays, and it is logged."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from cohorts.models import Person
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from common.audit import Event
from evaluation.tests.factories import PracticeMomentFactory
from modules.tests.factories import ModuleFactory
from privacy import tasks
from privacy.retention import retention_enforce
from surveys.models import Answer, Survey
from surveys.selectors import survey_results
from surveys.services import invitation_issue_token, response_submit, survey_open_for_module

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2030, 6, 15, 3, 0, tzinfo=datetime.UTC)


def cohort_ended(months_ago: int, now=NOW):
    end = now.date() - datetime.timedelta(days=round(months_ago * 30.5))
    cohort = CohortFactory(start_date=end - datetime.timedelta(days=200), end_date=end, status="finished")
    members = [MembershipFactory(cohort=cohort, person__user=UserFactory()) for _ in range(3)]
    facilitator = MembershipFactory(cohort=cohort, role="facilitator", person__user=UserFactory())
    module = ModuleFactory(cohort=cohort, number=1)
    survey = survey_open_for_module(module=module)
    for i, invitation in enumerate(survey.invitations.all()):
        raw = {"usefulness": "4", "confidence": str(1 + i), "pace": "About right", "recommend": str(7 + i)}
        raw["went_well"] = f"Kept text {cohort.pk}-{i}"
        response_submit(invitation=invitation, token=invitation_issue_token(invitation=invitation), raw_answers=raw)
    Survey.objects.filter(pk=survey.pk).update(status="closed", closed_at=survey.closes_at)
    for member in members:
        PracticeMomentFactory(membership=member, reflection=f"Reflection {member.pk}")
    return cohort, members, facilitator, survey


def scores(survey):
    return [(r.question.code, r.answered, r.score) for r in survey_results(survey=survey).questions]


def test_retention_removes_only_what_expired_and_keeps_the_figures(caplog):
    old, old_members, old_facilitator, old_survey = cohort_ended(months_ago=25)
    _recent, recent_members, _f, recent_survey = cohort_ended(months_ago=23)
    before = scores(old_survey), scores(recent_survey)
    names = [m.person.full_name for m in old_members]

    with caplog.at_level("INFO", logger="privacy.retention"):
        result = retention_enforce(now=NOW)

    assert (result.texts_removed, result.reflections_removed, result.people_anonymised) == (3, 3, 3)
    assert not Answer.objects.filter(response__survey=old_survey).exclude(text="").exists()
    assert Answer.objects.filter(response__survey=recent_survey).exclude(text="").count() == 3
    assert (scores(old_survey), scores(recent_survey)) == before
    for member in old_members:
        person = Person.objects.get(pk=member.person_id)
        assert person.erased_at is not None
        assert person.full_name == "Erased person"
        assert not member.practice_moments.exclude(reflection="").exists()
    # Facilitators keep their details (they still use the app); recent participants too.
    assert Person.objects.get(pk=old_facilitator.person_id).erased_at is None
    assert not Person.objects.filter(pk__in=[m.person_id for m in recent_members], erased_at__isnull=False).exists()
    # Logged and audited as counts, with no content and no names.
    assert "3 survey texts and 3 reflections removed" in caplog.text
    cohort_entry = LogEntry.objects.get(
        additional_data__event=Event.RETENTION, content_type=ContentType.objects.get_for_model(old), object_pk=old.pk
    )
    assert cohort_entry.additional_data == {
        "event": "retention",
        "survey_texts_removed": 3,
        "reflections_removed": 3,
    }
    audit = str(list(LogEntry.objects.values_list("object_repr", "changes", "additional_data")))
    for name in names:
        assert name not in audit
    assert "Kept text" not in audit

    again = retention_enforce(now=NOW)
    assert (again.texts_removed, again.reflections_removed, again.people_anonymised) == (0, 0, 0)


def test_retention_waits_for_the_configured_months(settings):
    settings.RETENTION_FREE_TEXT_MONTHS = 36
    settings.RETENTION_CONTACT_DETAILS_MONTHS = 36
    cohort_ended(months_ago=25)
    result = retention_enforce(now=NOW)
    assert (result.texts_removed, result.people_anonymised) == (0, 0)
    later = retention_enforce(now=NOW + datetime.timedelta(days=365))
    assert (later.texts_removed, later.people_anonymised) == (3, 3)


def test_the_daily_task_runs_the_service_and_is_scheduled(settings):
    settings.RETENTION_FREE_TEXT_MONTHS = 0
    settings.RETENTION_CONTACT_DETAILS_MONTHS = 600
    cohort_ended(months_ago=1, now=timezone.now())
    assert tasks.retention_enforce.delay().get() == {
        "texts_removed": 3,
        "reflections_removed": 3,
        "people_anonymised": 0,
    }
    assert settings.CELERY_BEAT_SCHEDULE["retention-enforce"]["task"] == tasks.retention_enforce.name
