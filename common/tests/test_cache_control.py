"""Personal pages stay out of shared caches: common.middleware.PrivatePagesNoStoreMiddleware.

Chosen rule: a response to a signed-in user, and any response under /s/ (the URL itself is a
participant's key), is ``private, no-store``. Anonymous public pages keep what their views send
(Django's login view already sends its own never-cache header; the "check your e-mail" page holds
nothing personal), and static files keep WhiteNoise's long public caching: they are the same for
everyone and fingerprinted.
"""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.cache import get_max_age

from cohorts.tests.factories import MembershipFactory
from modules.tests.factories import ModuleFactory
from surveys.services import invitation_issue_token, survey_open_for_module
from surveys.views.answer import COOKIE

pytestmark = pytest.mark.django_db


def _directives(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


PRIVATE = {"private", "no-store"}


@pytest.fixture
def survey_token(cohort):
    MembershipFactory(cohort=cohort)
    survey = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=1))
    return invitation_issue_token(invitation=survey.invitations.get())


def test_signed_in_pages_are_private_and_not_stored(facilitator_client, cohort):
    home = facilitator_client.get(reverse("home"))
    cohort_page = facilitator_client.get(reverse("modules:cohort_detail", kwargs={"cohort_pk": cohort.pk}))
    not_found = facilitator_client.get(reverse("modules:cohort_detail", kwargs={"cohort_pk": cohort.pk + 1000}))

    assert (home.status_code, cohort_page.status_code, not_found.status_code) == (200, 200, 404)
    assert _directives(home) >= PRIVATE
    assert _directives(cohort_page) >= PRIVATE
    assert _directives(not_found) >= PRIVATE


def test_survey_start_answer_thank_you_and_unknown_link_pages_are_private_and_not_stored(survey_token):
    client = Client()
    start = client.get(reverse("surveys:answer_start", kwargs={"token": survey_token}))
    answer = client.get(reverse("surveys:answer"))
    answers = {"q_usefulness": "4", "q_confidence": "3", "q_pace": "About right", "q_recommend": "9"}
    saved = client.post(reverse("surveys:answer"), answers)
    unknown = Client().get(reverse("surveys:answer_start", kwargs={"token": "x" * 43}))

    assert start.status_code == 200  # the link page is the answering form itself
    assert 'name="q_usefulness"' in start.text
    assert COOKIE in start.cookies
    assert answer.status_code == 200
    assert saved.status_code == 200
    assert "Thank you – your answers are saved" in saved.text  # the POST's own answer
    assert unknown.status_code == 404
    assert _directives(start) >= PRIVATE
    assert _directives(answer) >= PRIVATE
    assert _directives(saved) >= PRIVATE
    assert _directives(unknown) >= PRIVATE


def test_anonymous_public_pages_keep_their_own_headers():
    login = Client().get(reverse("login"))
    link_sent = Client().get(reverse("accounts:sign_in_link_sent"))

    assert login.status_code == link_sent.status_code == 200
    # Django's LoginView is never_cache: max-age=0, no-cache, no-store, must-revalidate, private.
    assert {"no-cache", "no-store", "must-revalidate", "private"} <= _directives(login)
    assert "private" not in _directives(link_sent)
    assert "no-store" not in _directives(link_sent)


def test_static_files_keep_public_caching_even_for_a_signed_in_user(facilitator_client, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()
    client.cookies = facilitator_client.cookies  # a new handler picks up the WhiteNoise settings

    response = client.get(settings.STATIC_URL + "css/site.css")

    assert response.status_code == 200
    assert "private" not in _directives(response)
    assert "no-store" not in _directives(response)
    assert get_max_age(response) is not None
