"""Celery tasks for survey mail, run eagerly in-process (the embedded set-up's code path).

The same tasks against a real worker, Redis and SMTP server: tests/acceptance/test_survey_mail.py.
"""

import collections
import datetime
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cohorts.tests.factories import MembershipFactory
from common.models import SentEmail
from config.celery import app
from surveys import services, tasks
from surveys.models import Invitation, Survey
from surveys.tests.factories import InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def test_send_tasks_are_late_acknowledged_and_bounded():
    for task in (tasks.invitations_send_task, tasks.reminders_send_task, tasks.summary_send_task):
        assert task.acks_late is True
        assert task.max_retries == tasks.MAX_TASK_RETRIES
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_services_find_tasks_by_name_in_a_process_that_never_imported_them():
    """A web process imports no tasks module, yet the services publish tasks by name (without running
    Django's system checks on the way, as Celery's loader would)."""
    script = (
        "import django; django.setup(); import celery; from django.core import checks; "
        "checks.run_checks = lambda *args, **kwargs: print('system checks ran'); "
        "from common.tasks import registered_task; from surveys.services.publishing import SUMMARY_SEND_TASK; "
        "assert SUMMARY_SEND_TASK not in celery.current_app.tasks; "
        "print(registered_task(SUMMARY_SEND_TASK).name)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=False
    )

    assert (done.returncode, done.stdout.strip()) == (0, "surveys.tasks.summary_send"), done.stderr


def test_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        assert entry["schedule"] > 0


def test_retry_countdowns_stay_below_the_broker_visibility_timeout():
    visibility_timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    countdowns = [services.mail_retry_countdown(retries) for retries in range(tasks.MAX_TASK_RETRIES + 1)]

    assert all(0 < countdown < visibility_timeout for countdown in countdowns)
    assert countdowns == sorted(countdowns)


def test_invitations_send_task_sends_by_primary_key():
    invitations = InvitationFactory.create_batch(2)

    result = tasks.invitations_send_task.delay([i.pk for i in invitations])

    assert result.get() == {"sent": 2, "failed": 0, "deferred": 0, "skipped": 0}
    assert len(mail.outbox) == 2


def test_invitations_send_task_retries_a_temporary_error_then_delivers(smtp_server):
    invitation = InvitationFactory()
    address = invitation.membership.person.email
    smtp_server.reply(address, "451 4.3.0 Try again later", times=2)

    tasks.invitations_send_task.delay([invitation.pk])

    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts) == (Invitation.Status.SENT, 3)
    assert len(smtp_server.messages_to(address)) == 1
    assert list(SentEmail.objects.filter(to=address).order_by("pk").values_list("status", flat=True)) == [
        "deferred",
        "deferred",
        "sent",
    ]


def test_invitations_send_task_gives_up_for_now_and_leaves_the_row_to_the_sweeper(smtp_server):
    invitation = InvitationFactory()
    smtp_server.reply(invitation.membership.person.email, "421 4.3.2 System not accepting messages")

    tasks.invitations_send_task.delay([invitation.pk])

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.QUEUED
    assert invitation.attempts == tasks.MAX_TASK_RETRIES + 1
    assert invitation.last_error.endswith("421 4.3.2 System not accepting messages")
    later = timezone.now() + datetime.timedelta(seconds=max(settings.MAIL_RETRY_COUNTDOWNS)) + services.QUEUED_GRACE
    smtp_server.clear()

    assert tasks.invitations_sweep_task.delay().get() == 0  # still inside the last backoff
    assert services.invitations_sweep(now=later + datetime.timedelta(seconds=1)) == 1
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


def test_invitations_send_task_retries_a_full_mailbox_alone_while_the_others_go(smtp_server):
    survey = SurveyFactory()
    invitations = InvitationFactory.create_batch(services.SEND_CHUNK_SIZE, survey=survey)
    full = invitations[0]
    smtp_server.reply(full.membership.person.email, "452 4.2.2 Mailbox full", times=2)

    outcome = tasks.invitations_send_task.delay([i.pk for i in invitations]).get()

    assert outcome == {"sent": services.SEND_CHUNK_SIZE - 1, "failed": 0, "deferred": 1, "skipped": 0}
    counts = collections.Counter(smtp_server.recipients())
    assert sorted(counts) == sorted(i.membership.person.email for i in invitations)
    assert set(counts.values()) == {1}
    attempts = dict(Invitation.objects.filter(survey=survey).values_list("pk", "attempts"))
    assert attempts.pop(full.pk) == 3
    assert set(attempts.values()) == {1}
    assert list(
        SentEmail.objects.filter(to=full.membership.person.email).order_by("pk").values_list("status", flat=True)
    ) == ["deferred", "deferred", "sent"]


def test_invitations_send_task_gives_up_on_a_mailbox_full_for_good_and_leaves_it_to_the_sweeper(smtp_server):
    survey = SurveyFactory()
    full, other = InvitationFactory.create_batch(2, survey=survey)
    smtp_server.reply(full.membership.person.email, "452 4.2.2 Mailbox full")

    tasks.invitations_send_task.delay([full.pk, other.pk])

    full.refresh_from_db()
    other.refresh_from_db()
    assert (other.status, other.attempts) == (Invitation.Status.SENT, 1)
    assert (full.status, full.attempts) == (Invitation.Status.QUEUED, tasks.MAX_TASK_RETRIES + 1)
    assert smtp_server.recipients() == [other.membership.person.email]


def test_invitations_send_task_after_a_dropped_connection_retries_only_the_unsent(smtp_server):
    survey = SurveyFactory()
    invitations = InvitationFactory.create_batch(4, survey=survey)
    smtp_server.disconnect(invitations[1].membership.person.email)

    tasks.invitations_send_task.delay([i.pk for i in invitations])

    counts = collections.Counter(smtp_server.recipients())
    assert sorted(counts) == sorted(i.membership.person.email for i in invitations)
    assert set(counts.values()) == {1}
    attempts = dict(Invitation.objects.filter(survey=survey).values_list("pk", "attempts"))
    assert [attempts[i.pk] for i in invitations] == [1, 2, 1, 1]


def test_invitations_send_task_permanent_error_is_not_retried(smtp_server):
    invitation = InvitationFactory()
    smtp_server.reply(invitation.membership.person.email, "550 5.1.1 User unknown")

    outcome = tasks.invitations_send_task.delay([invitation.pk]).get()

    assert outcome["failed"] == 1
    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts) == (Invitation.Status.FAILED, 1)


def test_summary_send_task_mails_facilitators_once(django_capture_on_commit_callbacks):
    now = timezone.now()
    survey = SurveyFactory(
        status=Survey.Status.CLOSED,
        closed_at=now,
        opens_at=now - datetime.timedelta(days=7),
        closes_at=now,
    )
    MembershipFactory(cohort=survey.module.cohort, role="facilitator")

    tasks.summary_send_task.delay(survey.pk)
    tasks.summary_send_task.delay(survey.pk)

    assert len(mail.outbox) == 1
    assert "Nobody was invited" in mail.outbox[0].body


def test_periodic_tasks_run_their_services(django_capture_on_commit_callbacks):
    now = timezone.now()
    due = SurveyFactory(opens_at=now - datetime.timedelta(days=7), closes_at=now - datetime.timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.surveys_close_due_task.delay().get() == [due.pk]
    assert tasks.surveys_open_for_delivered_modules_task.delay().get() == []
    assert tasks.reminders_queue_due_task.delay().get() == 0


def test_survey_mail_jobs_command_runs_every_job(django_capture_on_commit_callbacks):
    now = timezone.now()
    SurveyFactory(opens_at=now - datetime.timedelta(days=7), closes_at=now - datetime.timedelta(seconds=1))
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("survey_mail_jobs", stdout=out)

    assert "surveys closed: 1" in out.getvalue()
    assert Survey.objects.get().status == Survey.Status.CLOSED
