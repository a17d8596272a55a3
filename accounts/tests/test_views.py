"""The participants' way in: "my programme" and e-mailed sign-in links (moved here from projects)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from cohorts.models import Membership
from cohorts.tests.factories import client_for
from modules.tests.factories import ModuleFactory
from surveys.models import Invitation, Survey
from surveys.services import invitation_issue_token, response_submit, survey_close, survey_open_for_module

pytestmark = pytest.mark.django_db


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_my_programme_shows_modules_set_and_project(world):
    ModuleFactory(cohort=world["cohort"], number=1, title="Leading self")

    response = client_for(world["member_a"]).get(reverse("accounts:my_programme"))

    assert response.status_code == 200
    assert "Leading self" in response.text
    assert "Set A" in response.text
    assert "Safer handovers" in response.text
    assert "Quicker discharge" not in response.text


def _open_survey(cohort, number, privacy=None):
    survey = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=number, title=f"Module {number} title"))
    if privacy:
        Survey.objects.filter(pk=survey.pk).update(privacy=privacy)
    return survey


def _answer(survey, user, answers):
    invitation = Invitation.objects.get(survey=survey, membership__person__user=user)
    response_submit(invitation=invitation, token=invitation_issue_token(invitation=invitation), raw_answers=answers)
    return invitation


def test_my_programme_lists_open_surveys_with_their_state(world, survey_answers):
    cohort, me = world["cohort"], world["member_a"]
    unanswered = _open_survey(cohort, 1)
    answered = _open_survey(cohort, 2, Survey.Privacy.NAMED)
    anonymous = _open_survey(cohort, 3, Survey.Privacy.ANONYMOUS)
    closed = _open_survey(cohort, 4)
    _answer(answered, me, survey_answers)
    locked = _answer(anonymous, me, survey_answers)
    survey_close(survey=closed)
    mine = {s.pk: Invitation.objects.get(survey=s, membership__person__user=me) for s in (unanswered, answered)}
    theirs = Invitation.objects.get(survey=unanswered, membership__person__user=world["member_b"])

    response = client_for(me).get(reverse("accounts:my_programme"))

    assert response.status_code == 200
    text = response.text
    assert "My open surveys" in text
    assert "Module 1: Module 1 title" in text
    assert "Module 3: Module 3 title" in text
    assert "Module 4: Module 4 title" not in text
    assert text.count("Not answered yet") == 1
    assert text.count("Answered, thank you") == 2
    assert text.count(">Answer now<") == 1
    assert text.count(">Change my answers<") == 1
    answer_urls = set(re.findall(r'action="(/me/surveys/\d+/answer/)"', text))
    assert answer_urls == {reverse("surveys:my_invitation_answer", kwargs={"pk": i.pk}) for i in mine.values()}
    assert reverse("surveys:my_invitation_answer", kwargs={"pk": locked.pk}) not in text
    assert reverse("surveys:my_invitation_answer", kwargs={"pk": theirs.pk}) not in text
    assert 'name="csrfmiddlewaretoken"' in text


def test_my_programme_says_when_no_survey_is_open(world):
    response = client_for(world["member_a"]).get(reverse("accounts:my_programme"))

    assert "No surveys are open for you at the moment." in response.text


def test_my_programme_answer_button_leads_to_the_survey_form(world):
    survey = _open_survey(world["cohort"], 1)
    client = client_for(world["member_a"])
    page = client.get(reverse("accounts:my_programme"))
    action = re.search(r'action="(/me/surveys/\d+/answer/)"', page.text).group(1)

    response = client.post(action, follow=True)

    assert response.status_code == 200
    # One redirect, to a fresh survey link, which shows the form itself.
    ((link, status),) = response.redirect_chain
    assert status == 302
    assert resolve(link).view_name == "surveys:answer_start"
    assert survey.module.title in response.text
    assert "<fieldset" in response.text


def test_my_programme_query_count_is_constant_in_open_surveys(world, survey_answers, django_assert_num_queries):
    client = client_for(world["member_a"])
    url = reverse("accounts:my_programme")
    _open_survey(world["cohort"], 1)
    small = _count_queries(client, url)

    _answer(_open_survey(world["cohort"], 2, Survey.Privacy.NAMED), world["member_a"], survey_answers)
    _answer(_open_survey(world["cohort"], 3, Survey.Privacy.ANONYMOUS), world["member_a"], survey_answers)

    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.text.count("Answered, thank you") == 2
    assert response.text.count("Not answered yet") == 1


def test_my_programme_requires_sign_in(client):
    response = client.get(reverse("accounts:my_programme"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_sign_in_link_request_answers_the_same_for_unknown_address(
    world, client, mailoutbox, django_capture_on_commit_callbacks
):
    known = Membership.objects.get(person__user=world["member_a"]).person.email
    url = reverse("accounts:sign_in_link_request")

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"email": known}, follow=True)
        second = client.post(url, {"email": "nobody@example.org"}, follow=True)

    assert first.status_code == second.status_code == 200
    assert first.redirect_chain == second.redirect_chain
    assert first.text == second.text
    assert len(mailoutbox) == 1


def test_sign_in_link_signs_in_once(world, client, mailoutbox, django_capture_on_commit_callbacks):
    email = Membership.objects.get(person__user=world["member_a"]).person.email
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:sign_in_link_request"), {"email": email})
    link = re.search(r"http://testserver(\S+)", mailoutbox[0].body).group(1)
    token = link.split("sesame=")[1]

    shown = client.get(link)
    used = client.post(reverse("accounts:sign_in_link_use"), {"sesame": token})
    me = client.get(reverse("accounts:my_programme"))
    client.logout()
    again = client.post(reverse("accounts:sign_in_link_use"), {"sesame": token})

    assert shown.status_code == 200
    assert used.status_code == 302
    assert me.status_code == 200
    assert "Safer handovers" in me.text
    assert again.status_code == 400
    assert "no longer works" in again.text


def test_sign_in_link_pages_are_open_without_signing_in(client):
    request_page = client.get(reverse("accounts:sign_in_link_request"))
    sent_page = client.get(reverse("accounts:sign_in_link_sent"))
    use_without_token = client.get(reverse("accounts:sign_in_link_use"))

    assert request_page.status_code == 200
    assert 'name="email"' in request_page.text
    assert sent_page.status_code == 200
    assert "no longer works" in use_without_token.text


def test_sign_in_link_with_forged_token_does_not_sign_in(client):
    response = client.post(reverse("accounts:sign_in_link_use"), {"sesame": "AAAAforged"})

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def _link_for(client, email, capture, mailoutbox):
    with capture(execute=True):
        client.post(reverse("accounts:sign_in_link_request"), {"email": email})
    return re.search(r"sesame=(\S+)", mailoutbox[-1].body).group(1)


def test_sign_in_link_of_an_imported_participant_signs_them_in(
    cohort, client, mailoutbox, django_capture_on_commit_callbacks
):
    from cohorts.tests.factories import MembershipFactory

    membership = MembershipFactory(cohort=cohort, person__email="imported@example.org")
    token = _link_for(client, "imported@example.org", django_capture_on_commit_callbacks, mailoutbox)

    response = client.post(reverse("accounts:sign_in_link_use"), {"sesame": token}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:my_programme")
    assert cohort.name in response.text
    membership.person.refresh_from_db()
    assert client.session["_auth_user_id"] == str(membership.person.user.pk)


def test_sign_in_link_of_a_member_withdrawn_since_does_not_sign_in(
    world, client, mailoutbox, django_capture_on_commit_callbacks
):
    from cohorts.services import membership_withdraw

    membership = Membership.objects.get(person__user=world["member_a"])
    token = _link_for(client, membership.person.email, django_capture_on_commit_callbacks, mailoutbox)
    membership_withdraw(membership=membership)

    response = client.post(reverse("accounts:sign_in_link_use"), {"sesame": token})

    assert response.status_code == 400
    assert "no longer works" in response.text
    assert "_auth_user_id" not in client.session


def test_session_from_a_link_ends_when_the_member_is_withdrawn(
    world, client, mailoutbox, django_capture_on_commit_callbacks
):
    from cohorts.services import membership_withdraw

    membership = Membership.objects.get(person__user=world["member_a"])
    token = _link_for(client, membership.person.email, django_capture_on_commit_callbacks, mailoutbox)
    client.post(reverse("accounts:sign_in_link_use"), {"sesame": token})
    assert client.get(reverse("accounts:my_programme")).status_code == 200

    membership_withdraw(membership=membership)

    assert client.get(reverse("accounts:my_programme")).status_code == 302


def test_sign_in_link_request_with_the_mail_server_down_answers_fast_and_the_same(
    world, client, settings, django_capture_on_commit_callbacks
):
    import socket
    import time

    from common.models import OutboxMail, SentEmail

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    email = Membership.objects.get(person__user=world["member_a"]).person.email

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:sign_in_link_request"), {"email": email}, follow=True)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("accounts:sign_in_link_sent"), 302)]
    assert "Check your e-mail" in response.text
    assert elapsed < 3
    row = OutboxMail.objects.get()
    assert row.status == OutboxMail.Status.QUEUED  # the sweep and the task's retries send it later
    assert "ConnectionRefusedError" in row.last_error
    assert SentEmail.objects.filter(status=SentEmail.Status.DEFERRED).exists()
