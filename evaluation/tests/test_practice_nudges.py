"""The monthly nudge: who gets it, at most once a month, what it says, and how mail errors are handled.

Tasks run eagerly; mail goes to the locmem backend, or to a real SMTP server in this process
(tests/acceptance/smtp.py) where a server's answer matters.
"""

import datetime
import re

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from cohorts.erasure import person_erase
from cohorts.tests.factories import CohortFactory, MembershipFactory
from common.models import OutboxMail, SentEmail
from config.celery import app
from evaluation import services
from evaluation.models import PracticeNudge
from evaluation.selectors import nudge_month

from .factories import PracticeMomentFactory, participant

pytestmark = pytest.mark.django_db

LONDON = timezone.get_current_timezone()


def window_now():
    """10:30 on the first weekday of the current month: inside the nudge window, and in the same month
    as the real clock that the send task reads."""
    day = timezone.localdate().replace(day=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(10, 30), tzinfo=LONDON)


def _logged(membership, *, days_before):
    moment = PracticeMomentFactory(membership=membership)
    type(moment).objects.filter(pk=moment.pk).update(created_at=window_now() - datetime.timedelta(days=days_before))
    return moment


@pytest.fixture
def running(db):
    return CohortFactory(name="Tamar Vale Cohort 1", start_date=timezone.localdate() - datetime.timedelta(days=200))


def _queue(django_capture_on_commit_callbacks, now=None):
    with django_capture_on_commit_callbacks(execute=True):
        return services.practice_nudges_queue_due(now=now or window_now())


def test_nudge_window_is_the_first_week_of_a_month_on_weekdays_from_ten():
    at = lambda *args: datetime.datetime(*args, tzinfo=LONDON)  # noqa: E731
    assert services.nudge_window_is_open(at(2026, 12, 1, 10, 0))  # Tuesday 1st
    assert not services.nudge_window_is_open(at(2026, 12, 1, 9, 59))
    assert not services.nudge_window_is_open(at(2026, 11, 1, 12, 0))  # Sunday 1st
    assert services.nudge_window_is_open(at(2026, 11, 2, 12, 0))  # Monday 2nd
    assert services.nudge_window_is_open(at(2026, 12, 7, 16, 0))
    assert not services.nudge_window_is_open(at(2026, 12, 8, 10, 0))


def test_practice_nudges_go_only_to_quiet_participants_who_want_them(running, django_capture_on_commit_callbacks):
    quiet = participant(running)
    logged_long_ago = participant(running)
    _logged(logged_long_ago, days_before=70)
    logged_lately = participant(running)
    _logged(logged_lately, days_before=20)
    switched_off = participant(running)
    services.practice_nudges_set(membership=switched_off, on=False)
    participant(running, status="withdrawn", withdrawn_on=datetime.date(2026, 3, 1))
    MembershipFactory(cohort=running)  # no account to sign in with
    participant(running, role="facilitator")
    participant(CohortFactory(status="planned", start_date=running.start_date))
    participant(CohortFactory(start_date=timezone.localdate() - datetime.timedelta(days=10)))  # too new

    created = _queue(django_capture_on_commit_callbacks)

    assert created == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([quiet.person.email, logged_long_ago.person.email])
    nudges = PracticeNudge.objects.all()
    assert {n.membership for n in nudges} == {quiet, logged_long_ago}
    assert all(n.status == PracticeNudge.Status.SENT and n.sent_at for n in nudges)
    assert all(n.month == nudge_month(window_now()) for n in nudges)


def test_practice_nudges_run_twice_send_once(running, django_capture_on_commit_callbacks):
    quiet = participant(running)

    assert _queue(django_capture_on_commit_callbacks) == 1
    assert _queue(django_capture_on_commit_callbacks, now=window_now() + datetime.timedelta(hours=1)) == 0
    assert _queue(django_capture_on_commit_callbacks, now=window_now() + datetime.timedelta(days=3)) == 0

    assert [m.to for m in mail.outbox] == [[quiet.person.email]]
    assert PracticeNudge.objects.get().attempts == 1
    # And the send task delivered twice (a worker crash, a second worker) sends nothing more.
    nudge = PracticeNudge.objects.get()
    result = services.practice_nudges_send(nudge_ids=[nudge.pk])
    assert result.skipped == [nudge.pk]
    assert len(mail.outbox) == 1


def test_practice_nudges_wait_for_the_window(running, django_capture_on_commit_callbacks):
    participant(running)
    before = window_now().replace(hour=9, minute=0)

    assert _queue(django_capture_on_commit_callbacks, now=before) == 0

    assert not PracticeNudge.objects.exists()
    assert mail.outbox == []


def test_practice_nudge_not_sent_when_the_participant_logs_or_switches_off_before_it_goes(
    running, django_capture_on_commit_callbacks
):
    logs, switches = participant(running), participant(running)
    # Recorded, but the send tasks are not run yet (e.g. the broker is slow).
    with django_capture_on_commit_callbacks(execute=False):
        services.practice_nudges_queue_due(now=window_now())
    PracticeMomentFactory(membership=logs)
    services.practice_nudges_set(membership=switches, on=False)

    result = services.practice_nudges_send(nudge_ids=list(PracticeNudge.objects.values_list("pk", flat=True)))

    assert len(result.cancelled) == 2
    assert mail.outbox == []
    assert set(PracticeNudge.objects.values_list("status", flat=True)) == {PracticeNudge.Status.CANCELLED}


def test_practice_nudge_mail_has_the_links_and_is_logged(running, django_capture_on_commit_callbacks):
    quiet = participant(running)

    _queue(django_capture_on_commit_callbacks)

    [message] = mail.outbox
    log_url = f"http://testserver/cohorts/{running.pk}/practice/log/"
    off_url = f"http://testserver/cohorts/{running.pk}/practice/reminders/"
    assert message.subject == "A minute for your practice log (Tamar Vale Cohort 1)"
    assert f"Dear {quiet.person.full_name}," in message.body
    assert log_url in message.body
    assert off_url in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert '<html lang="en-GB">' in html
    assert re.search(r"<title>A minute for your practice log \(Tamar Vale Cohort 1\)</title>", html)
    assert f'href="{log_url}"' in html
    assert f'href="{off_url}"' in html
    assert message.extra_headers["List-Unsubscribe"] == f"<{off_url}>"
    record = SentEmail.objects.get()
    assert (record.kind, record.to, record.status) == ("evaluation.practice_nudge", quiet.person.email, "sent")
    assert record.target == PracticeNudge.objects.get()


def test_practice_nudge_temporary_smtp_error_is_retried(running, smtp_server, django_capture_on_commit_callbacks):
    quiet = participant(running)
    smtp_server.reply(quiet.person.email, "451 4.3.0 Try again later", times=1)

    _queue(django_capture_on_commit_callbacks)

    nudge = PracticeNudge.objects.get()
    assert (nudge.status, nudge.attempts) == (PracticeNudge.Status.SENT, 2)
    assert [to for to, _message in smtp_server.messages] == [quiet.person.email]
    assert list(SentEmail.objects.order_by("pk").values_list("status", "error")) == [
        ("deferred", f"{quiet.person.email}: 451 4.3.0 Try again later"),
        ("sent", ""),
    ]


def test_practice_nudge_permanent_smtp_error_is_recorded_not_retried(
    running, smtp_server, django_capture_on_commit_callbacks
):
    refused, fine = participant(running), participant(running)
    smtp_server.reply(refused.person.email, "550 5.1.1 No such mailbox")

    _queue(django_capture_on_commit_callbacks)

    failed = PracticeNudge.objects.get(membership=refused)
    assert (failed.status, failed.attempts) == (PracticeNudge.Status.FAILED, 1)
    assert "550" in failed.last_error
    assert PracticeNudge.objects.get(membership=fine).status == PracticeNudge.Status.SENT
    assert [to for to, _message in smtp_server.messages] == [fine.person.email]
    assert SentEmail.objects.get(to=refused.person.email).status == "failed"


def test_practice_nudge_left_queued_is_published_again_by_the_next_run(running, django_capture_on_commit_callbacks):
    quiet = participant(running)
    # The broker was down: the row was recorded but no task ran.
    with django_capture_on_commit_callbacks(execute=False):
        services.practice_nudges_queue_due(now=window_now())
    PracticeNudge.objects.update(updated_at=window_now())

    # Five minutes later the row is too recent to count as left behind (a retry may still be on its way)...
    _queue(django_capture_on_commit_callbacks, now=window_now() + datetime.timedelta(minutes=5))
    assert mail.outbox == []
    # ... but after the longest backoff it is published again.
    _queue(django_capture_on_commit_callbacks, now=window_now() + datetime.timedelta(hours=1))
    assert [m.to for m in mail.outbox] == [[quiet.person.email]]


def test_erasing_a_person_cancels_their_queued_nudge_and_its_mail_without_keeping_the_address(
    running, django_capture_on_commit_callbacks
):
    quiet = participant(running)
    with django_capture_on_commit_callbacks(execute=False):
        services.practice_nudges_queue_due(now=window_now())

    person_erase(person=quiet.person)

    outgoing = OutboxMail.objects.get()
    assert (outgoing.status, outgoing.to) == (OutboxMail.Status.CANCELLED, "")
    assert PracticeNudge.objects.get().status == PracticeNudge.Status.CANCELLED
    assert mail.outbox == []


def test_practice_nudges_job_is_scheduled_hourly_with_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["practice-nudges-queue-due"]

    assert entry["schedule"] == 3600.0
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


def test_practice_nudge_month_is_a_first_day_and_unique_per_membership(running):
    quiet = participant(running)
    PracticeNudge.objects.create(membership=quiet, month=datetime.date(2026, 11, 1))

    for month in (datetime.date(2026, 11, 1), datetime.date(2026, 12, 2)):
        with pytest.raises(IntegrityError), transaction.atomic():
            PracticeNudge.objects.create(membership=quiet, month=month)
    PracticeNudge.objects.create(membership=quiet, month=datetime.date(2026, 12, 1))
    assert PracticeNudge.objects.filter(membership=quiet).count() == 2
