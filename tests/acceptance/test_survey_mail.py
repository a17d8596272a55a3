"""Survey mail end to end: a real Celery worker process, real Redis, a real SMTP server, PostgreSQL.

Each reliability promise of issue 4 has its own test here.
"""

import collections
import datetime
import itertools
import re
import time

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from common.models import SentEmail
from modules.services import module_mark_delivered
from modules.tests.factories import ModuleFactory
from surveys import services
from surveys.models import Invitation, Survey
from surveys.tests.factories import ANSWERS, InvitationFactory, SurveyFactory
from surveys.tokens import token_hash
from tests.acceptance.conftest import use_broker

pytestmark = pytest.mark.acceptance

LINK = re.compile(r"https?://\S+/s/[\w-]+/")


def wait_until(predicate, timeout=30.0, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def all_done(survey_or_ids):
    rows = (
        Invitation.objects.filter(survey=survey_or_ids)
        if isinstance(survey_or_ids, Survey)
        else Invitation.objects.filter(pk__in=survey_or_ids)
    )
    return not rows.filter(status__in=[Invitation.Status.QUEUED, Invitation.Status.SENDING]).exists()


def delivered_module(participants=30, number=4):
    """A running cohort whose module ``number`` took place today, with its participants."""
    cohort = CohortFactory(name="North Trust Cohort 3")
    module = ModuleFactory(
        cohort=cohort,
        number=number,
        title="Leading through change",
        starts_at=timezone.now() - datetime.timedelta(hours=8),
    )
    members = [MembershipFactory(cohort=cohort) for _ in range(participants)]
    return module, members


def mark_delivered(module):
    """What the "mark delivered" request does, in one transaction (ATOMIC_REQUESTS)."""
    with transaction.atomic():
        module_mark_delivered(module=module)
        return services.survey_open_and_invite(module=module)


def open_survey_with_invitations(count):
    survey = SurveyFactory()
    invitations = InvitationFactory.create_batch(count, survey=survey, queued_at=timezone.now())
    return survey, [invitation.pk for invitation in invitations]


def plain_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_invitations_reach_each_participant_once_and_the_link_opens_their_survey(worker, smtp):
    module, members = delivered_module(participants=30)

    survey = mark_delivered(module)

    wait_until(lambda: all_done(survey), message="all invitations sent")
    emails = sorted(m.person.email for m in members)
    assert sorted(smtp.recipients()) == emails
    assert set(survey.invitations.values_list("status", flat=True)) == {Invitation.Status.SENT}
    member = members[7]
    (message,) = smtp.messages_to(member.person.email)
    assert "Leading through change" in message["Subject"]
    assert member.person.full_name in plain_text(message)
    link = LINK.search(plain_text(message)).group(0)
    assert link in message.get_body(preferencelist=("html",)).get_content()

    response = Client().get(link.removeprefix("http://testserver"), follow=True)

    assert response.status_code == 200
    assert response.context["survey"] == survey
    assert "Leading through change" in response.content.decode()
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert Invitation.objects.by_token_hash(token_hash(token)).get().membership == member


def test_rollback_sends_nothing(worker, smtp, broker):
    module, _members = delivered_module(participants=5)

    def open_then_fail():
        with transaction.atomic():
            services.survey_open_and_invite(module=module)
            raise RuntimeError("something after opening the survey failed")

    with pytest.raises(RuntimeError):
        open_then_fail()

    # A published task would be picked up within a fraction of a second.
    time.sleep(2)
    assert smtp.recipients() == []
    assert not Invitation.objects.exists()
    assert broker.connection_for_write().default_channel.client.llen("celery") == 0


def test_task_delivered_three_times_to_two_workers_sends_one_email_each(worker_factory, smtp):
    survey, ids = open_survey_with_invitations(60)
    worker_factory(concurrency=2)
    worker_factory(concurrency=2)

    for _ in range(3):
        services.invitations_publish(invitation_ids=ids)

    wait_until(lambda: all_done(survey), message="all invitations sent")
    time.sleep(1)  # let any duplicate arrive before counting
    counts = collections.Counter(smtp.recipients())
    assert len(counts) == 60
    assert set(counts.values()) == {1}
    assert SentEmail.objects.filter(kind=services.KIND_INVITATION, status=SentEmail.Status.SENT).count() == 60


def test_worker_killed_mid_batch_then_restarted_sends_each_invitation_exactly_once(worker_factory, smtp):
    _survey, ids = open_survey_with_invitations(services.SEND_CHUNK_SIZE)
    emails = dict(Invitation.objects.filter(pk__in=ids).values_list("pk", "membership__person__email"))
    stalled = emails[ids[9]]
    smtp.stall(stalled, seconds=60)
    first = worker_factory(concurrency=1)

    services.invitations_publish(invitation_ids=ids)
    wait_until(lambda: len(smtp.recipients()) == 9, message="nine messages before the stall")
    time.sleep(0.3)  # the worker now waits on the server's answer to RCPT for the tenth
    first.kill()

    assert Invitation.objects.filter(pk__in=ids, status=Invitation.Status.SENT).count() == 9
    assert (
        Invitation.objects.filter(pk__in=ids, status=Invitation.Status.SENDING).count() == services.SEND_CHUNK_SIZE - 9
    )
    # The unacknowledged message is handed out again once the visibility timeout (5 s) has passed;
    # the rows the dead worker held are taken over once older than 1.5 x the hard limit (6 s).
    time.sleep(6.5)
    worker_factory(concurrency=1)

    wait_until(lambda: all_done(ids), timeout=40, message="the batch finished by the restarted worker")
    counts = collections.Counter(smtp.recipients())
    assert sorted(counts) == sorted(emails.values())
    assert set(counts.values()) == {1}
    assert Invitation.objects.get(pk=ids[9]).attempts == 2
    assert Invitation.objects.get(pk=ids[0]).attempts == 1


def test_temporary_smtp_errors_are_retried_with_backoff_and_permanent_ones_fail(worker, smtp):
    module, members = delivered_module(participants=6)
    busy, unknown = members[1].person.email, members[4].person.email
    smtp.reply(busy, "451 4.3.0 Mailbox temporarily unavailable", times=2)
    smtp.reply(unknown, "550 5.1.1 No such user")

    survey = mark_delivered(module)

    wait_until(lambda: all_done(survey), timeout=40, message="every invitation settled")
    counts = collections.Counter(smtp.recipients())
    assert sorted(counts) == sorted(m.person.email for m in members if m.person.email != unknown)
    assert set(counts.values()) == {1}
    refused = Invitation.objects.get(survey=survey, membership=members[4])
    assert refused.status == Invitation.Status.FAILED
    assert "550 5.1.1 No such user" in refused.last_error
    retried = Invitation.objects.get(survey=survey, membership=members[1])
    assert (retried.status, retried.attempts) == (Invitation.Status.SENT, 3)
    log = list(SentEmail.objects.filter(to=busy).order_by("created_at"))
    assert [row.status for row in log] == ["deferred", "deferred", "sent"]
    # Backoff from MAIL_RETRY_COUNTDOWNS=1,2,2: at least 1 s, then at least 2 s between tries.
    gaps = [(b.created_at - a.created_at).total_seconds() for a, b in itertools.pairwise(log)]
    assert gaps[0] >= 1
    assert gaps[1] >= 2


def test_mail_server_down_for_a_while_then_back_delivers_every_invitation_once(worker, smtp):
    module, members = delivered_module(participants=20)
    smtp.stop()

    survey = mark_delivered(module)
    wait_until(lambda: "retry 2 in" in worker.output(), message="a retry")
    assert smtp.recipients() == []
    assert survey.invitations.filter(status=Invitation.Status.SENT).count() == 0
    assert "Connection refused" in survey.invitations.exclude(last_error="").first().last_error
    # No message was tried, so no attempt is counted.
    assert set(survey.invitations.values_list("attempts", flat=True)) == {0}
    smtp.start()

    wait_until(lambda: all_done(survey), timeout=40, message="delivery after the server came back")
    counts = collections.Counter(smtp.recipients())
    assert sorted(counts) == sorted(m.person.email for m in members)
    assert set(counts.values()) == {1}
    assert set(survey.invitations.values_list("last_error", flat=True)) == {""}
    assert set(survey.invitations.values_list("attempts", flat=True)) == {1}


def test_one_full_mailbox_does_not_hold_back_the_others_and_gets_its_invitation_once_accepted(worker, smtp):
    module, members = delivered_module(participants=30)
    full = members[0]
    smtp.reply(full.person.email, "452 4.2.2 Mailbox full")

    survey = mark_delivered(module)

    others = sorted(m.person.email for m in members[1:])
    wait_until(lambda: sorted(smtp.recipients()) == others, timeout=20, message="the 29 others delivered")
    refused = survey.invitations.get(membership=full)
    wait_until(lambda: Invitation.objects.get(pk=refused.pk).attempts >= 2, message="the full mailbox tried again")
    # Tried again alone: nobody else was tried twice.
    assert set(survey.invitations.exclude(pk=refused.pk).values_list("status", "attempts")) == {
        (Invitation.Status.SENT, 1)
    }
    refused.refresh_from_db()
    assert refused.status != Invitation.Status.SENT
    assert "452 4.2.2 Mailbox full" in refused.last_error

    smtp.accept(full.person.email)

    wait_until(lambda: all_done(survey), timeout=30, message="the full mailbox's invitation delivered")
    counts = collections.Counter(smtp.recipients())
    assert sorted(counts) == sorted(m.person.email for m in members)
    assert set(counts.values()) == {1}
    log = list(SentEmail.objects.filter(to=full.person.email).order_by("created_at").values_list("status", flat=True))
    assert log[-1] == "sent"
    assert set(log[:-1]) == {"deferred"}
    refused.refresh_from_db()
    assert (refused.status, refused.attempts) == (Invitation.Status.SENT, len(log))


def test_connection_dropped_mid_batch_the_rest_is_sent_on_the_retry_without_counting_an_attempt(worker, smtp):
    survey, ids = open_survey_with_invitations(10)
    dropped = Invitation.objects.select_related("membership__person").get(pk=ids[3])
    smtp.disconnect(dropped.membership.person.email, times=1)

    services.invitations_publish(invitation_ids=ids)

    wait_until(lambda: all_done(survey), message="every invitation sent")
    counts = collections.Counter(smtp.recipients())
    assert len(counts) == 10
    assert set(counts.values()) == {1}
    attempts = dict(Invitation.objects.filter(pk__in=ids).values_list("pk", "attempts"))
    assert [attempts[pk] for pk in ids] == [1, 1, 1, 2, 1, 1, 1, 1, 1, 1]


def test_broker_down_request_is_fast_and_the_sweep_sends_later(
    broker, redis_url, dead_broker_url, worker_factory, smtp
):
    module, members = delivered_module(participants=10)
    use_broker(broker, dead_broker_url)

    started = time.monotonic()
    survey = mark_delivered(module)
    elapsed = time.monotonic() - started

    assert elapsed < 2
    assert survey.status == Survey.Status.OPEN
    assert survey.invitations.filter(status=Invitation.Status.QUEUED).count() == 10
    module.refresh_from_db()
    assert module.is_delivered

    # The broker is back; the periodic sweep finds what was left behind.
    use_broker(broker, redis_url)
    worker_factory()
    swept = services.invitations_sweep(now=timezone.now() + services.QUEUED_GRACE + datetime.timedelta(seconds=1))

    assert swept == 10
    wait_until(lambda: all_done(survey), message="delivery after the sweep")
    counts = collections.Counter(smtp.recipients())
    assert sorted(counts) == sorted(m.person.email for m in members)
    assert set(counts.values()) == {1}


def test_broker_down_resend_request_answers_fast_and_the_sweep_queues_it(postgres, broker, redis_url, dead_broker_url):
    survey = SurveyFactory()
    invitation = InvitationFactory(survey=survey, status=Invitation.Status.FAILED, last_error="550 earlier")
    facilitator = MembershipFactory(cohort=survey.module.cohort, role="facilitator", person__user=UserFactory())
    client = Client()
    client.force_login(facilitator.person.user)
    url = reverse("surveys:invitation_resend", args=[survey.module.cohort_id, survey.module.number, invitation.pk])
    use_broker(broker, dead_broker_url)

    started = time.monotonic()
    response = client.post(url)
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < 2
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.QUEUED
    use_broker(broker, redis_url)
    assert services.invitations_sweep(now=timezone.now() + services.QUEUED_GRACE + datetime.timedelta(seconds=1)) == 1
    assert broker.connection_for_write().default_channel.client.llen("celery") == 1


def test_a_reminder_leaves_the_first_link_working_and_both_mails_links_answer(worker, smtp):
    module, members = delivered_module(participants=3)
    survey = mark_delivered(module)
    wait_until(lambda: all_done(survey), message="the invitations sent")
    member = members[1]
    assert len(smtp.messages_to(member.person.email)) == 1
    # Days later: the invitations went out longer ago than the survey's reminder interval.
    long_ago = timezone.now() - datetime.timedelta(days=survey.reminder_after_days, hours=1)
    survey.invitations.update(sent_at=long_ago)

    assert services.reminders_queue_due() == 3
    wait_until(lambda: len(smtp.messages_to(member.person.email)) == 2, message="the reminder")

    first, second = (LINK.search(plain_text(m)).group(0) for m in smtp.messages_to(member.person.email))
    assert first != second
    answer = reverse("surveys:answer")
    client = Client()
    assert client.get(first.removeprefix("http://testserver")).status_code == 200
    form = {f"q_{code}": value for code, value in {**ANSWERS, "usefulness": "2"}.items()}
    saved = client.post(answer, form)
    assert saved.status_code == 200
    assert "Thank you – your answers are saved" in saved.text
    assert survey.responses.count() == 1
    # The reminder's link reaches the same (pseudonymous) answers.
    other = Client()
    assert other.get(second.removeprefix("http://testserver")).status_code == 200
    assert re.search(r'name="q_usefulness" value="2"[^>]*checked', other.get(answer).text)
