import datetime
import re
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts import services
from accounts.mail import KIND_SIGN_IN_LINK
from cohorts.services import membership_withdraw
from cohorts.tests.factories import MembershipFactory, PersonFactory, UserFactory
from common.models import OutboxMail, SentEmail
from common.outbox import outbox_send, outbox_sweep

pytestmark = pytest.mark.django_db


def _send(email, capture):
    with capture(execute=True):
        return services.sign_in_link_send(email=email)


def test_sign_in_link_send_mails_a_link_only_to_known_members(mailoutbox, cohort, django_capture_on_commit_callbacks):
    person = PersonFactory(email="ward.manager@example.org", user=UserFactory())
    MembershipFactory(cohort=cohort, person=person)

    assert _send("Ward.Manager@example.org ", django_capture_on_commit_callbacks) is True
    assert _send("nobody@example.org", django_capture_on_commit_callbacks) is False

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ward.manager@example.org"]
    assert "/sign-in/link/use/?sesame=" in mailoutbox[0].body
    html = mailoutbox[0].alternatives[0]
    assert html[1] == "text/html"
    assert 'href="http://testserver/sign-in/link/use/?sesame=' in html[0]


def test_sign_in_link_send_makes_the_account_of_a_member_without_one(
    mailoutbox, cohort, django_capture_on_commit_callbacks
):
    membership = MembershipFactory(cohort=cohort, person__email="imported@example.org")
    assert membership.person.user is None

    assert _send("imported@example.org", django_capture_on_commit_callbacks) is True

    membership.person.refresh_from_db()
    assert membership.person.user.username == "imported@example.org"
    assert not membership.person.user.has_usable_password()
    assert mailoutbox[0].to == ["imported@example.org"]


def test_sign_in_link_send_nothing_for_a_withdrawn_member_nor_an_inactive_account(
    mailoutbox, cohort, django_capture_on_commit_callbacks
):
    withdrawn = MembershipFactory(cohort=cohort, person__email="gone@example.org", person__user=UserFactory())
    membership_withdraw(membership=withdrawn)
    MembershipFactory(cohort=cohort, person__email="off@example.org", person__user=UserFactory(is_active=False))
    PersonFactory(email="nomember@example.org")

    sent = [_send(f"{e}example.org", django_capture_on_commit_callbacks) for e in ("gone@", "off@", "nomember@")]

    assert sent == [False, False, False]
    assert mailoutbox == []
    assert not OutboxMail.objects.exists()
    assert get_user_model().objects.filter(person__email="nomember@example.org").count() == 0


def test_sign_in_link_is_logged_with_the_link_removed(mailoutbox, cohort, django_capture_on_commit_callbacks):
    MembershipFactory(cohort=cohort, person__email="jo@example.org")

    _send("jo@example.org", django_capture_on_commit_callbacks)

    token = re.search(r"sesame=(\S+)", mailoutbox[0].body).group(1)
    logged = SentEmail.objects.get(kind=KIND_SIGN_IN_LINK)
    assert logged.status == SentEmail.Status.SENT
    assert logged.redacted
    assert token not in logged.body
    assert "[personal link removed]" in logged.body
    row = OutboxMail.objects.get()
    assert (row.status, row.attempts, row.to) == (OutboxMail.Status.SENT, 1, "jo@example.org")


def test_sign_in_link_withdrawn_before_sending_is_cancelled(mailoutbox, cohort, django_capture_on_commit_callbacks):
    membership = MembershipFactory(cohort=cohort, person__email="jo@example.org")
    services.sign_in_link_send(email="jo@example.org")  # the send task is not run (no commit here)
    membership_withdraw(membership=membership)

    result = outbox_send(outbox_id=OutboxMail.objects.get().pk)

    assert result.status == OutboxMail.Status.CANCELLED
    assert mailoutbox == []


def test_sign_in_link_not_sent_after_it_expired(mailoutbox, cohort):
    MembershipFactory(cohort=cohort, person__email="jo@example.org")
    services.sign_in_link_send(email="jo@example.org")
    row = OutboxMail.objects.get()

    result = outbox_send(outbox_id=row.pk, now=timezone.now() + datetime.timedelta(minutes=31))

    assert result.status == OutboxMail.Status.CANCELLED
    assert mailoutbox == []


def test_sign_in_link_with_the_mail_server_down_is_kept_for_a_retry(cohort, settings, monkeypatch):
    MembershipFactory(cohort=cohort, person__email="jo@example.org")
    services.sign_in_link_send(email="jo@example.org")
    row = OutboxMail.objects.get()

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    result = outbox_send(outbox_id=row.pk)

    row.refresh_from_db()
    assert result.transient_error is not None
    assert (row.status, row.attempts) == (OutboxMail.Status.QUEUED, 1)
    assert "SMTPServerDisconnected" in row.last_error
    logged = SentEmail.objects.get()
    assert logged.status == SentEmail.Status.DEFERRED
    assert "sesame=[personal link removed]" in logged.body


def test_sign_in_link_refused_for_good_fails_without_retry(cohort, monkeypatch):
    MembershipFactory(cohort=cohort, person__email="jo@example.org")
    services.sign_in_link_send(email="jo@example.org")
    row = OutboxMail.objects.get()

    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"jo@example.org": (550, b"5.1.1 No such user")})

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    result = outbox_send(outbox_id=row.pk)

    row.refresh_from_db()
    assert result.transient_error is None
    assert row.status == OutboxMail.Status.FAILED
    assert "550" in row.last_error


def test_outbox_send_twice_sends_once(mailoutbox, cohort):
    MembershipFactory(cohort=cohort, person__email="jo@example.org")
    services.sign_in_link_send(email="jo@example.org")
    pk = OutboxMail.objects.get().pk

    first, second = outbox_send(outbox_id=pk), outbox_send(outbox_id=pk)

    assert (first.status, second.status) == (OutboxMail.Status.SENT, "skipped")
    assert len(mailoutbox) == 1


def test_outbox_sweep_sends_rows_left_behind_and_cancels_expired_ones(mailoutbox, cohort):
    for email in ("late@example.org", "stale@example.org"):
        MembershipFactory(cohort=cohort, person__email=email)
        services.sign_in_link_send(email=email)
    late, stale = OutboxMail.objects.order_by("pk")
    long_ago = timezone.now() - datetime.timedelta(minutes=20)
    OutboxMail.objects.filter(pk=late.pk).update(updated_at=long_ago)
    OutboxMail.objects.filter(pk=stale.pk).update(expires_at=long_ago)

    published = outbox_sweep()

    assert published == 1
    assert [m.to for m in mailoutbox] == [["late@example.org"]]
    stale.refresh_from_db()
    assert stale.status == OutboxMail.Status.CANCELLED
