"""Every link issued for an invitation keeps working until the survey closes (issue 9, point 9).

The links are the ones participants really get: the invitation mail and a reminder, both sent by
the mailing services (locmem backend), opened and submitted through the answering views.
"""

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys import services
from surveys.models import Invitation, Response, Survey
from surveys.services import survey_close
from surveys.tests.factories import ANSWERS, InvitationFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/s/[\w-]+/)")
FORM_URL = reverse("surveys:answer")
LOCKED = "Thank you, you have already answered"
SAVED = "Thank you – your answers are saved"


def _form(**overrides):
    return {f"q_{code}": value for code, value in {**ANSWERS, **overrides}.items()}


def _last_link() -> str:
    return LINK.search(mail.outbox[-1].body).group(1)


def _token(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def _checked(page, code, value) -> bool:
    return bool(re.search(rf'name="q_{code}" value="{value}"[^>]*checked', page.content.decode()))


def _open(path: str) -> Client:
    """A browser that followed ``path``: the answering page, and the token now in its cookie."""
    client = Client()
    assert client.get(path).status_code == 200
    return client


def _saved(response) -> bool:
    """Whether ``response`` is a POST's thank-you page (it answers the post itself, no redirect)."""
    return response.status_code == 200 and SAVED in response.content.decode()


@pytest.fixture
def invited(open_survey, participants):
    """The first participant's invitation, mailed; returns (invitation, the first mail's link path)."""
    invitation = open_survey.invitations.get(membership=participants[0])
    services.invitations_send(invitation_ids=[invitation.pk])
    return invitation, _last_link()


def remind(invitation) -> str:
    """Send the reminder that is due (days later) and return its link path."""
    later = timezone.now() + datetime.timedelta(days=invitation.survey.reminder_after_days, hours=1)
    result = services.reminders_send(invitation_ids=[invitation.pk], now=later)
    assert result.sent == [invitation.pk]
    assert mail.outbox[-1].subject.startswith("Reminder")
    return _last_link()


def set_privacy(survey, privacy):
    Survey.objects.filter(pk=survey.pk).update(privacy=privacy)


@pytest.mark.parametrize("privacy", [Survey.Privacy.NAMED, Survey.Privacy.PSEUDONYMOUS])
def test_first_link_opens_and_submits_after_a_reminder_and_both_reach_the_answers(open_survey, invited, privacy):
    set_privacy(open_survey, privacy)
    invitation, first = invited
    second = remind(invitation)
    assert second != first

    client = _open(first)
    assert client.get(FORM_URL).status_code == 200
    assert _saved(client.post(FORM_URL, _form(usefulness="2")))

    response = Response.objects.get(survey=open_survey)
    if privacy == Survey.Privacy.NAMED:
        assert response.membership_id == invitation.membership_id
    else:
        assert response.membership_id is None
        assert response.pseudonym
    # The reminder's link shows and changes the same answers.
    other = _open(second)
    assert _checked(other.get(FORM_URL), "usefulness", 2)
    assert _saved(other.post(FORM_URL, _form(usefulness="5")))
    assert _checked(client.get(FORM_URL), "usefulness", 5)
    assert Response.objects.filter(survey=open_survey).count() == 1


@pytest.mark.parametrize("privacy", list(Survey.Privacy))
def test_form_opened_before_the_reminder_still_submits_after_it(open_survey, invited, privacy):
    set_privacy(open_survey, privacy)
    invitation, first = invited
    client = _open(first)
    assert client.get(FORM_URL).status_code == 200

    remind(invitation)
    saved = client.post(FORM_URL, _form())

    assert _saved(saved)
    assert Response.objects.filter(survey=open_survey).count() == 1
    invitation.refresh_from_db()
    assert invitation.has_responded


def test_anonymous_answer_is_changed_only_through_the_link_that_gave_it(open_survey, invited):
    set_privacy(open_survey, Survey.Privacy.ANONYMOUS)
    invitation, first = invited
    second = remind(invitation)
    # Before anyone answers, both links open the form.
    assert LOCKED not in _open(second).get(FORM_URL).content.decode()

    answering = _open(first)
    assert _saved(answering.post(FORM_URL, _form(usefulness="2")))

    # The answering link still edits the answer...
    assert _checked(answering.get(FORM_URL), "usefulness", 2)
    assert _saved(answering.post(FORM_URL, _form(usefulness="3")))
    # ...the reminder's link cannot reach it (nothing stored ties them) and cannot answer twice.
    other = Client()
    assert LOCKED in other.get(second).content.decode()
    assert LOCKED in other.get(FORM_URL).content.decode()
    refused = other.post(FORM_URL, _form(usefulness="1")).content.decode()
    assert LOCKED in refused
    assert SAVED not in refused
    assert Response.objects.filter(survey=open_survey).count() == 1
    assert _checked(_open(first).get(FORM_URL), "usefulness", 3)


def test_anonymous_answer_given_through_the_reminder_locks_the_first_link(open_survey, invited):
    set_privacy(open_survey, Survey.Privacy.ANONYMOUS)
    invitation, first = invited
    second = remind(invitation)

    assert _saved(_open(second).post(FORM_URL, _form()))

    assert LOCKED in Client().get(first).content.decode()
    assert LOCKED in _open(first).get(FORM_URL).content.decode()
    assert _checked(_open(second).get(FORM_URL), "usefulness", 4)


@pytest.mark.parametrize("privacy", list(Survey.Privacy))
def test_closing_the_survey_ends_every_link(open_survey, invited, privacy):
    set_privacy(open_survey, privacy)
    invitation, first = invited
    second = remind(invitation)
    holding_cookie = _open(first)

    survey_close(survey=open_survey)

    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 404
    assert holding_cookie.get(FORM_URL).status_code == 404
    assert holding_cookie.post(FORM_URL, _form()).status_code == 404
    assert not Response.objects.exists()


def test_the_database_never_holds_a_link_token(open_survey, invited):
    invitation, first = invited
    second = remind(invitation)
    assert _saved(_open(first).post(FORM_URL, _form()))
    tokens = {_token(first), _token(second)}

    assert invitation.links.count() == 2
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names from the schema
            found += [
                (table, value) for row in cursor.fetchall() for value in row if any(t in str(value) for t in tokens)
            ]
    assert found == []


def test_resend_adds_a_link_and_keeps_the_first(django_capture_on_commit_callbacks):
    invitation = InvitationFactory()
    services.invitations_send(invitation_ids=[invitation.pk])
    first = _last_link()

    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(invitation=invitation)

    second = _last_link()
    assert second != first
    assert Client().get(first).status_code == 200
    assert Client().get(second).status_code == 200
    assert Invitation.objects.by_token_hash(invitation.links.last().token_hash).get() == invitation


@pytest.mark.django_db(transaction=True)
def test_migration_makes_each_stored_link_hash_a_link_and_back(participants, open_survey):
    links_migration = ("surveys", "0004_invitationlink")
    executor = MigrationExecutor(connection)
    before = [node.key for node in executor.loader.graph.node_map[links_migration].parents if node.key[0] == "surveys"]
    # Every app's latest migration: going back to 0003 also unapplies other apps' migrations that need surveys.
    latest = executor.loader.graph.leaf_nodes()
    with_link, without_link = open_survey.invitations.order_by("pk")[:2]
    issued = timezone.now() - datetime.timedelta(days=1)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("surveys", "Invitation")
        old.objects.filter(pk=with_link.pk).update(token_hash="a" * 64, token_issued_at=issued)

        executor = MigrationExecutor(connection)
        executor.migrate(latest)

        new = executor.loader.project_state(latest).apps.get_model("surveys", "InvitationLink")
        assert list(new.objects.values_list("invitation_id", "token_hash", "issued_at")) == [
            (with_link.pk, "a" * 64, issued)
        ]
        assert not new.objects.filter(invitation_id=without_link.pk).exists()
        new.objects.create(invitation_id=with_link.pk, token_hash="b" * 64, issued_at=issued + datetime.timedelta(1))

        executor = MigrationExecutor(connection)
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("surveys", "Invitation")
        # Going back keeps the latest link of each invitation.
        assert old.objects.get(pk=with_link.pk).token_hash == "b" * 64
        assert old.objects.get(pk=without_link.pk).token_hash is None
    finally:
        # Every app's latest, not only surveys': going back unapplied the apps that depend on
        # surveys (evaluation), and later tests need their tables.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_admin_lists_an_invitations_links_without_their_hashes(staff_user, invited):
    invitation, _first = invited
    remind(invitation)
    client = Client()
    client.force_login(staff_user)

    page = client.get(reverse("admin:surveys_invitation_change", args=[invitation.pk]))

    assert page.status_code == 200
    assert page.context["inline_admin_formsets"][0].formset.queryset.count() == 2
    assert not any(h in page.content.decode() for h in invitation.links.values_list("token_hash", flat=True))


def test_links_issued_for_a_batch_are_one_per_invitation_each_opening_its_own(open_survey, django_assert_num_queries):
    """``invitation_links_issue``: one INSERT for the batch (on PostgreSQL a statement written once per
    process), a link per invitation under its token's hash, all issued at one time; none for none."""
    from surveys.models import InvitationLink
    from surveys.services.surveys import invitation_links_issue
    from surveys.tokens import token_hash

    invitations = list(open_survey.invitations.order_by("pk"))
    assert len(invitations) >= 2
    with django_assert_num_queries(0):
        assert invitation_links_issue(invitations=[]) == {}
    with django_assert_num_queries(1):
        tokens = invitation_links_issue(invitations=invitations)

    assert set(tokens) == {invitation.pk for invitation in invitations}
    links = InvitationLink.objects.filter(token_hash__in=[token_hash(token) for token in tokens.values()])
    assert {link.invitation_id: link.token_hash for link in links} == {
        pk: token_hash(token) for pk, token in tokens.items()
    }
    assert len({link.issued_at for link in links}) == 1
    for pk, token in tokens.items():
        assert services.invitation_for_token(token=token).pk == pk
