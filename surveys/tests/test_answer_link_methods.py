"""The link page answers GET and HEAD only, and counts both against its rate limits: any other
method is refused before a token is looked up (the same 405 for a working token and a wrong one,
no query), and HEAD, which sets the link's cookie as GET does, cannot go round the limits."""

import pytest
from django.test import Client
from django.urls import reverse

from surveys.models import Survey
from surveys.services import invitation_issue_token, response_submit
from surveys.tests.factories import ANSWERS
from surveys.views.answer import COOKIE

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(linked):
    return reverse("surveys:answer_start", kwargs={"token": linked[0][1]})


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_other_methods_are_refused_before_any_lookup_and_alike_for_any_token(link, method, django_assert_num_queries):
    wrong = reverse("surveys:answer_start", kwargs={"token": "0" * 43})

    with django_assert_num_queries(0):
        working, unknown = (getattr(Client(), method)(url) for url in (link, wrong))

    assert (working.status_code, unknown.status_code) == (405, 405)
    assert sorted(working["Allow"].split(", ")) == ["GET", "HEAD"]
    assert COOKIE not in working.cookies


@pytest.mark.parametrize("first", ["get", "head"])
def test_head_is_counted_with_get_against_the_links_limits(link, settings, first):
    settings.RATELIMIT_SURVEY_LINK_PER_TOKEN = "2/m"
    other = "head" if first == "get" else "get"

    opened = [getattr(Client(), first)(link, REMOTE_ADDR=f"192.0.2.{i + 1}").status_code for i in range(2)]
    over = getattr(Client(), other)(link, REMOTE_ADDR="192.0.2.9")

    assert opened == [200, 200]
    assert over.status_code == 429
    assert COOKIE not in over.cookies


def test_the_already_answered_page_replaces_a_links_address_too(open_survey, linked):
    Survey.objects.filter(pk=open_survey.pk).update(privacy=Survey.Privacy.ANONYMOUS)
    invitation, token = linked[0]
    response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)

    another = invitation_issue_token(invitation=invitation)

    page = Client().get(reverse("surveys:answer_start", kwargs={"token": another}))

    assert "Thank you, you have already answered" in page.text
    assert f'data-answer-address="{reverse("surveys:answer")}"' in page.text
    assert "surveys/answer" in page.text.split("<script", 1)[1]
