"""Marking modules that ended delivered belongs to modules: service, task and beat entry."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory, MembershipFactory
from modules import tasks
from modules.models import Module
from modules.services import modules_mark_ended_delivered
from modules.tests.factories import ModuleFactory
from surveys.models import Survey

pytestmark = pytest.mark.django_db


def test_modules_mark_ended_delivered_marks_recent_modules_with_a_survey_and_their_surveys_open(
    cohort, django_capture_on_commit_callbacks
):
    now = timezone.now()
    ended = ModuleFactory(cohort=cohort, number=3, starts_at=now - datetime.timedelta(hours=9))
    running = ModuleFactory(cohort=cohort, number=4, starts_at=now - datetime.timedelta(hours=1))
    celebration = ModuleFactory(cohort=cohort, number=6, starts_at=now - datetime.timedelta(hours=9))
    long_past = ModuleFactory(cohort=cohort, number=1, starts_at=now - datetime.timedelta(days=60))
    finished = ModuleFactory(
        cohort=CohortFactory(status=Cohort.Status.FINISHED), number=2, starts_at=now - datetime.timedelta(hours=9)
    )
    participant = MembershipFactory(cohort=cohort)

    with django_capture_on_commit_callbacks(execute=True):
        assert modules_mark_ended_delivered(now=now) == [ended.pk]

    ended.refresh_from_db()
    assert ended.state == Module.State.DELIVERED
    assert ended.survey.status == Survey.Status.OPEN  # through module_delivered (surveys/receivers.py)
    assert [m.to for m in mail.outbox] == [[participant.person.email]]
    assert all(
        Module.objects.get(pk=m.pk).state == Module.State.PLANNED for m in (running, celebration, long_past, finished)
    )
    assert modules_mark_ended_delivered(now=now) == []


def test_modules_mark_ended_delivered_task_runs_the_service_and_beat_schedules_it(cohort):
    ended = ModuleFactory(cohort=cohort, number=2, starts_at=timezone.now() - datetime.timedelta(hours=9))

    assert tasks.modules_mark_ended_delivered_task.delay().get() == [ended.pk]
    entry = settings.CELERY_BEAT_SCHEDULE["modules-mark-ended-delivered"]
    assert entry["task"] == tasks.modules_mark_ended_delivered_task.name == "modules.tasks.modules_mark_ended_delivered"
