"""A signed-in participant's own open surveys ("my programme") and the fresh link behind its button."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.services import membership_withdraw
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from modules.tests.factories import ModuleFactory
from surveys.models import Invitation, Response, Survey
from surveys.selectors import open_invitations_for_user
from surveys.services import (
    invitation_for_token,
    invitation_issue_token,
    response_submit,
    survey_close,
    survey_open_for_module,
)
from surveys.tests.answering import answer_module_survey, group
from surveys.tests.factories import ANSWERS, InvitationFactory, SurveyFactory
from surveys.views.answer import COOKIE

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's password


@pytest.fixture
def me(participants):
    """The first participant of the open survey's cohort, with an account."""
    person = participants[0].person
    person.user = UserFactory()
    person.save(update_fields=["user"])
    return person.user


@pytest.fixture
def my_invitation(open_survey, participants, me):
    return Invitation.objects.get(survey=open_survey, membership=participants[0])


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def answer_url(invitation):
    return reverse("surveys:my_invitation_answer", kwargs={"pk": invitation.pk})


def answered(invitation):
    token = invitation_issue_token(invitation=invitation)
    response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)
    invitation.refresh_from_db()
    return invitation


# Selector ---------------------------------------------------------------------------------------


def test_open_invitations_for_user_lists_only_own_invitations_to_accepting_surveys(
    cohort, open_survey, my_invitation, me
):
    membership = my_invitation.membership
    now = timezone.now()
    later = InvitationFactory(
        membership=membership,
        survey=SurveyFactory(module=ModuleFactory(cohort=cohort, number=2), closes_at=now + datetime.timedelta(days=9)),
    )
    InvitationFactory(  # not open yet
        membership=membership,
        survey=SurveyFactory(
            module=ModuleFactory(cohort=cohort, number=3),
            opens_at=now + datetime.timedelta(days=1),
        ),
    )
    closed = InvitationFactory(
        membership=membership, survey=SurveyFactory(module=ModuleFactory(cohort=cohort, number=4))
    )
    survey_close(survey=closed.survey)
    InvitationFactory(  # draft
        membership=membership,
        survey=SurveyFactory(module=ModuleFactory(cohort=cohort, number=5), status=Survey.Status.DRAFT),
    )
    InvitationFactory(survey=SurveyFactory())  # someone else's, in another cohort

    rows = open_invitations_for_user(user=me)

    assert [row.invitation.pk for row in rows] == [my_invitation.pk, later.pk]  # soonest closing first
    first = rows[0]
    assert (first.module.number, first.module.title) == (1, open_survey.module.title)
    assert first.closes_at == open_survey.closes_at
    assert first.responded is False
    assert first.can_answer is True


def test_open_invitations_for_user_shows_answered_state_and_anonymous_lock(open_survey, my_invitation, me):
    answered(my_invitation)
    named = open_invitations_for_user(user=me)[0]
    Survey.objects.filter(pk=open_survey.pk).update(privacy=Survey.Privacy.ANONYMOUS)
    anonymous = open_invitations_for_user(user=me)[0]

    assert named.responded is True
    assert named.can_answer is True
    assert anonymous.responded is True
    assert anonymous.can_answer is False


def test_open_invitations_for_user_leaves_out_withdrawn_memberships(my_invitation, me):
    membership_withdraw(membership=my_invitation.membership)

    assert open_invitations_for_user(user=me) == []


def test_open_invitations_for_user_for_someone_without_invitations_is_empty(open_survey):
    assert open_invitations_for_user(user=UserFactory()) == []


@pytest.mark.parametrize("surveys", [1, 3])
def test_open_invitations_for_user_runs_one_query(cohort, my_invitation, me, surveys, django_assert_num_queries):
    for number in range(2, surveys + 1):
        InvitationFactory(
            membership=my_invitation.membership,
            survey=SurveyFactory(module=ModuleFactory(cohort=cohort, number=number)),
        )

    with django_assert_num_queries(1):
        rows = open_invitations_for_user(user=me)
        assert sorted(row.module.number for row in rows) == list(range(1, surveys + 1))


# View -------------------------------------------------------------------------------------------


def test_my_invitation_answer_named_survey_redirects_through_a_fresh_link_to_the_form(my_invitation, me):
    client = client_for(me)

    response = client.post(answer_url(my_invitation))

    my_invitation.refresh_from_db()
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:answer_start", kwargs={"token": token})
    assert invitation_for_token(token=token).pk == my_invitation.pk
    page = client.get(response["Location"])
    assert COOKIE in client.cookies
    assert page.status_code == 200  # the link is the form itself
    assert "<fieldset" in page.text
    assert 'name="q_usefulness"' in page.text
    assert f'action="{reverse("surveys:answer")}"' in page.text


def test_my_invitation_answer_lets_a_named_respondent_change_their_answers(my_invitation, me):
    answered(my_invitation)
    client = client_for(me)

    response = client.post(answer_url(my_invitation))
    page = client.get(response["Location"], follow=True)

    assert page.status_code == 200
    assert re.search(r'name="q_usefulness" value="4"[^>]*checked', page.text)
    assert not re.search(r'name="q_usefulness" value="[1235]"[^>]*checked', page.text)


def test_my_invitation_answer_keeps_the_mailed_link_working(my_invitation, me):
    old = invitation_issue_token(invitation=my_invitation)

    client_for(me).post(answer_url(my_invitation))

    assert invitation_for_token(token=old) == my_invitation
    assert my_invitation.links.count() == 2


def test_my_invitation_answer_refuses_a_new_link_for_an_answered_anonymous_survey(open_survey, my_invitation, me):
    Survey.objects.filter(pk=open_survey.pk).update(privacy=Survey.Privacy.ANONYMOUS)
    answered(my_invitation)
    client = client_for(me)

    response = client.post(answer_url(my_invitation), follow=True)

    assert my_invitation.links.count() == 1
    assert response.redirect_chain == [(reverse("accounts:my_programme"), 302)]
    assert "already answered this anonymous survey" in response.text


def test_my_invitation_answer_gives_an_unanswered_anonymous_survey_a_link(open_survey, my_invitation, me):
    Survey.objects.filter(pk=open_survey.pk).update(privacy=Survey.Privacy.ANONYMOUS)

    response = client_for(me).post(answer_url(my_invitation))

    assert response.status_code == 302
    assert response["Location"].startswith("/s/")


def test_my_invitation_answer_is_404_for_another_persons_invitation(open_survey, participants, me):
    other = Invitation.objects.get(survey=open_survey, membership=participants[1])

    response = client_for(me).post(answer_url(other))

    assert response.status_code == 404
    assert not other.links.exists()


def test_my_invitation_answer_is_404_for_a_closed_survey(open_survey, my_invitation, me):
    survey_close(survey=open_survey)

    response = client_for(me).post(answer_url(my_invitation))

    assert response.status_code == 404
    assert not my_invitation.links.exists()


def test_my_invitation_answer_is_404_after_withdrawing(my_invitation, me):
    membership_withdraw(membership=my_invitation.membership)

    response = client_for(me).post(answer_url(my_invitation))

    assert response.status_code == 404


def test_my_invitation_answer_is_404_for_an_unknown_invitation(me):
    assert client_for(me).post(reverse("surveys:my_invitation_answer", kwargs={"pk": 999999})).status_code == 404


def test_my_invitation_answer_is_post_only(my_invitation, me):
    response = client_for(me).get(answer_url(my_invitation))

    assert response.status_code == 405
    assert not my_invitation.links.exists()


def test_my_invitation_answer_needs_csrf_token(my_invitation, me):
    client = Client(enforce_csrf_checks=True)
    client.force_login(me)

    response = client.post(answer_url(my_invitation))

    assert response.status_code == 403
    assert not my_invitation.links.exists()


def test_my_invitation_answer_needs_sign_in(my_invitation):
    response = Client().post(answer_url(my_invitation))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_my_invitation_answer_for_a_facilitator_of_the_cohort_is_404(cohort, facilitator, my_invitation):
    assert client_for(facilitator).post(answer_url(my_invitation)).status_code == 404


# Browser ----------------------------------------------------------------------------------------


@pytest.mark.acceptance
@pytest.mark.django_db(transaction=True)
def test_participant_answers_from_my_programme_on_a_phone_and_comes_back_to_change(phone_page, live_server):
    cohort = CohortFactory(name="Tamar Vale Cohort 2")
    user = UserFactory(username="busy-clinician")
    membership = MembershipFactory(cohort=cohort, person__user=user)
    survey = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=2, title="Leading teams"))
    Survey.objects.filter(pk=survey.pk).update(privacy=Survey.Privacy.NAMED)
    phone = phone_page
    phone.goto(f"{live_server.url}/accounts/login/")
    phone.get_by_label("Username").fill(user.username)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.goto(f"{live_server.url}{reverse('accounts:my_programme')}")

    surveys = phone.get_by_role("heading", name="My open surveys").locator("xpath=following-sibling::ul[1]")
    assert "Module 2: Leading teams" in surveys.inner_text()
    assert "Not answered yet" in surveys.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    surveys.get_by_role("button", name=re.compile("^Answer now")).click()
    phone.wait_for_url(re.compile(r"/s/answer/$"))
    answer_module_survey(phone, confident="5 – Strongly agree")

    phone.goto(f"{live_server.url}{reverse('accounts:my_programme')}")
    assert "Answered, thank you" in surveys.inner_text()
    surveys.get_by_role("button", name=re.compile("^Change my answers")).click()
    phone.wait_for_url(re.compile(r"/s/answer/$"))
    useful = group(phone, "The module was useful for my work.")
    assert useful.get_by_label("4 – Agree").is_checked()
    useful.get_by_label("2 – Disagree").check()
    phone.get_by_role("button", name="Save my changes").click()
    phone.get_by_text("Thank you – your answers are saved").wait_for()
    assert (
        Response.objects.get(survey=survey, membership=membership).answers.get(question__code="usefulness").number == 2
    )
