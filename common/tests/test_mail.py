"""The mail log: what is stored, the admin list and its resend action, the folder and SMTP backends."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPEmailBackend
from django.core.mail.message import sanitize_address
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from common import mime
from common.mail import _SMTP as QuotingSMTP
from common.mail import (
    FolderEmailBackend,
    RenderedMail,
    SkeletonFill,
    SMTPEmailBackend,
    mail_message,
    sent_email_record,
    sent_email_resend,
    smtp_quoted,
)
from common.mime import _POLICY, BuiltMIME, MimeSkeleton, _header_line, envelope_address
from common.models import SentEmail
from surveys import services
from surveys.models import Invitation
from surveys.tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def message_to(address="someone@example.org", body="Hello"):
    return mail_message(to=address, mail=RenderedMail(subject="Subject", text=body, html=f"<p>{body}</p>"))


def test_sent_email_record_removes_secrets():
    message = message_to(body="Your link: https://example.org/s/SECRET-TOKEN/")

    row = sent_email_record(message=message, kind="test.note", status=SentEmail.Status.SENT, secrets=["SECRET-TOKEN"])

    assert "SECRET-TOKEN" not in row.body
    assert row.redacted
    assert row.message_id == message.extra_headers["Message-ID"]


def test_sent_email_resend_without_secrets_sends_the_same_text():
    row = sent_email_record(message=message_to(body="The survey closed."), kind="test.note", status="sent")

    assert sent_email_resend(sent_email=row) == "sent"
    assert mail.outbox[0].body == "The survey closed."
    assert SentEmail.objects.count() == 2


def test_sent_email_resend_refuses_a_redacted_mail_without_resender():
    row = sent_email_record(message=message_to(body="link TOKEN"), kind="test.note", status="sent", secrets=["TOKEN"])

    assert sent_email_resend(sent_email=row) == "impossible"
    assert mail.outbox == []


def test_sent_email_resend_of_an_invitation_makes_a_fresh_one(django_capture_on_commit_callbacks):
    invitation = InvitationFactory()
    services.invitations_send(invitation_ids=[invitation.pk])
    row = SentEmail.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        assert sent_email_resend(sent_email=row) == "queued"

    assert len(mail.outbox) == 2
    assert mail.outbox[0].body != mail.outbox[1].body  # a new link
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


def test_admin_lists_and_filters_sent_mail(client, staff_user):
    sent_email_record(message=message_to("a@example.org"), kind="surveys.invitation", status="sent")
    sent_email_record(message=message_to("b@example.org"), kind="surveys.summary", status="failed", error="550")
    client.force_login(staff_user)
    url = reverse("admin:common_sentemail_changelist")

    everything = client.get(url)
    failed = client.get(url, {"status": "failed"})
    by_kind = client.get(url, {"kind": "surveys.invitation"})

    assert everything.status_code == 200
    assert everything.context["cl"].result_count == 2
    assert [row.to for row in failed.context["cl"].result_list] == ["b@example.org"]
    assert [row.to for row in by_kind.context["cl"].result_list] == ["a@example.org"]


def test_admin_resend_action(client, staff_user, django_capture_on_commit_callbacks):
    invitation = InvitationFactory()
    services.invitations_send(invitation_ids=[invitation.pk])
    row = SentEmail.objects.get()
    client.force_login(staff_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:common_sentemail_changelist"),
            {"action": "resend", "_selected_action": [row.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert "1 e-mail sent again" in response.content.decode()
    assert len(mail.outbox) == 2


def test_admin_mail_log_is_read_only(client, staff_user):
    row = sent_email_record(message=message_to(), kind="test.note", status="sent")
    client.force_login(staff_user)

    assert client.get(reverse("admin:common_sentemail_add")).status_code == 403
    response = client.post(reverse("admin:common_sentemail_change", args=[row.pk]), {"subject": "changed"})
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.subject == "Subject"


def test_folder_backend_writes_one_file_per_message(tmp_path):
    backend = FolderEmailBackend(file_path=tmp_path)

    assert backend.send_messages([message_to("a@example.org"), message_to("b@example.org")]) == 2

    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    assert all(f.suffix == ".eml" for f in files)
    assert b"To: a@example.org" in b"".join(f.read_bytes() for f in files)


def _skeleton_message(skeleton, mark, *, to="ann@example.org", name="Ann", subject="Hello"):
    mail = RenderedMail(subject=subject.replace(mark, name), text=f"Dear {name}", html=f"<p>Dear {name}</p>")
    return mail_message(to=to, mail=mail, skeleton=SkeletonFill(skeleton, {mark: name}, {mark: name}))


def test_skeleton_message_is_built_in_full_where_the_generator_would_encode_or_the_subject_varies():
    mark = "lc-name-0123456789abcdef"
    prototype = mail_message(
        to="to@example.invalid", mail=RenderedMail(subject="Hello", text=f"Dear {mark}", html=f"<p>Dear {mark}</p>")
    )
    skeleton = MimeSkeleton(prototype, marks=[mark], headers=["Message-ID"])

    assert isinstance(_skeleton_message(skeleton, mark).message(), BuiltMIME)
    # A recipient that is not ASCII: Django encodes the header, so the message is built in full.
    full = _skeleton_message(skeleton, mark, to="zoë@exämple.org", name="Zoë").message()
    assert not isinstance(full, BuiltMIME)
    assert "xn--" in full["To"]

    prototype.subject = f"Hello {mark}"
    by_subject = MimeSkeleton(prototype, marks=[mark], headers=["Message-ID"])
    assert not isinstance(_skeleton_message(by_subject, mark, subject=f"Hello {mark}").message(), BuiltMIME)


@given(
    st.sampled_from(["To", "Message-ID", "X-LC-Invitation", "Date"]),
    st.one_of(
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=120),
        st.from_regex(r"\A[!-~]{1,120}\Z"),
        st.from_regex(r"\A[!-~ \t\x0b\x0c\x1c]{1,100}\Z"),
    ),
)
def test_header_line_is_what_the_generator_folds(name, value):
    assert _outcome(_header_line, name, value) == _outcome(_POLICY.fold_binary, name, value)


@pytest.mark.parametrize(
    "value",
    ["<" + "1" * 40 + ".2.3@leadership-cohorts.example>", "a" * 66, "a" * 67, "a, b; c " * 12, "x,y;z" * 30],
)
def test_header_line_examples(value):
    assert _header_line("Message-ID", value) == _POLICY.fold_binary("Message-ID", value)


@pytest.mark.parametrize("seconds", [1764748800.0, 1764748800.999, 1764748801.25])
def test_date_now_is_formatdate_of_the_second_by_local_time_or_not(monkeypatch, seconds):
    """Kept for a second, under the second and whether it is local time (each gives another header)."""
    from email.utils import formatdate

    monkeypatch.setattr(mime.time, "time", lambda: seconds)
    for localtime in (False, True, False):
        assert mime._date_now(localtime) == formatdate(seconds, localtime=localtime)


def _outcome(function, *args):
    try:
        return function(*args)
    except Exception as error:  # what is raised is the outcome compared
        return type(error)


@given(st.one_of(st.emails(), st.text(), st.from_regex(r"\A[a-z0-9._+-]{1,8}@[a-z0-9.-]{1,70}\Z")))
def test_envelope_address_is_what_django_gives_or_raises(address):
    assert _outcome(envelope_address, address, "utf-8") == _outcome(sanitize_address, address, "utf-8")


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.org",
        "ann.o-brien+survey@mail.example.org",
        "Ann <ann@example.org>",
        "zoë@exämple.org",
        "ann@" + "a" * 64 + ".org",
        "ann..b@example.org",
        "ann@-example.org",
        "a@b@example.org",
        "ann@example.org\n",
    ],
)
def test_envelope_address_examples(address):
    assert _outcome(envelope_address, address, "utf-8") == _outcome(sanitize_address, address, "utf-8")


class _Connection:
    """What a backend hands to smtplib: the boundary."""

    def __init__(self):
        self.sent = []

    def sendmail(self, from_addr, to_addrs, msg):
        self.sent.append((from_addr, to_addrs))


@pytest.mark.parametrize(
    ("to", "from_email"),
    [
        ("ann@example.org", "Leadership Cohorts <noreply@leadership-cohorts.example>"),
        ("Ann Smith <ann@example.org>", "noreply@leadership-cohorts.example"),
        ("zoë@exämple.org", "Zoë Cohorts <noreply@exämple.org>"),
        ("a@b@example.org", "noreply@leadership-cohorts.example"),
    ],
)
def test_smtp_backend_gives_the_server_the_envelope_django_gives(settings, to, from_email):
    settings.DEFAULT_FROM_EMAIL = from_email
    mark = "lc-name-0123456789abcdef"
    prototype = mail_message(
        to="to@example.invalid", mail=RenderedMail(subject="Hello", text=f"Dear {mark}", html=f"<p>Dear {mark}</p>")
    )
    skeleton = MimeSkeleton(prototype, marks=[mark], headers=["Message-ID"])
    outcomes = []
    for backend_class in (SMTPEmailBackend, DjangoSMTPEmailBackend):
        backend = backend_class()
        backend.connection = _Connection()
        outcomes.append((_outcome(backend._send, _skeleton_message(skeleton, mark, to=to)), backend.connection.sent))

    assert outcomes[0] == outcomes[1]


@given(st.one_of(st.emails(), st.text(), st.from_regex(r"\A[a-z0-9._+-]{1,8}@[a-z0-9.-]{1,70}\Z")))
def test_smtp_quoted_is_what_smtplib_gives(address):
    assert _outcome(smtp_quoted, address) == _outcome(smtplib.quoteaddr, address)


def _commands(smtp_class, esmtp_features):
    """What an SMTP connection says to the server for MAIL and RCPT (the socket is the boundary)."""

    class Recording(smtp_class):
        def send(self, data):
            self.said.append(data)

        def getreply(self):
            return 250, b"OK"

    connection = Recording()
    connection.said, connection.does_esmtp, connection.esmtp_features = [], bool(esmtp_features), esmtp_features
    for sender, recipient, options in [
        ("noreply@leadership-cohorts.example", "ann@example.org", ()),
        ("Leadership Cohorts <noreply@leadership-cohorts.example>", "Ann <ann@example.org>", ("size=1000",)),
        ("noreply@leadership-cohorts.example", "zoë@exämple.org", ("SMTPUTF8",)),
        ("not an address", "<>", ("size=10", "BODY=8BITMIME")),
    ]:
        connection.said.append(_outcome(connection.mail, sender, options))
        connection.said.append(_outcome(connection.rcpt, recipient, options))
    return connection.said


@pytest.mark.parametrize("esmtp_features", [{}, {"size": "1000"}, {"size": "1000", "smtputf8": ""}])
def test_smtp_connection_says_what_smtplib_says(esmtp_features):
    assert _commands(QuotingSMTP, esmtp_features) == _commands(smtplib.SMTP, esmtp_features)
