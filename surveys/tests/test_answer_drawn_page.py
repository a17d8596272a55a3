"""The answering page and the thank-you page are drawn once per process for what they show
(common.drawn.drawn_page): the same for every participant of a survey but for the CSRF token, and
drawn again as soon as anything they show changes."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone

from common import drawn
from modules.models import Module
from surveys.models import Survey

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM = {"q_usefulness": "4", "q_confidence": "3", "q_pace": "About right", "q_recommend": "9"}


@pytest.fixture(autouse=True)
def _nothing_drawn():
    drawn.cache_clear()
    yield
    drawn.cache_clear()


def _open(token) -> tuple[Client, str]:
    client = Client()
    page = client.get(reverse("surveys:answer_start", kwargs={"token": token}))
    assert page.status_code == 200
    return client, page.text


def test_two_participants_get_the_same_page_each_with_their_own_csrf_token(linked):
    (_one, first_token), (_two, second_token) = linked[0], linked[1]

    first_client, first = _open(first_token)
    second_client, second = _open(second_token)

    first_csrf, second_csrf = TOKEN.search(first).group(1), TOKEN.search(second).group(1)
    assert first_csrf != second_csrf
    assert TOKEN.sub("", first) == TOKEN.sub("", second)
    assert drawn.CSRF_SLOT not in first
    # Each token is the one their own CSRF cookie accepts: both can send their answers.
    for client in (first_client, second_client):
        saved = client.post(reverse("surveys:answer"), FORM, headers={"Sec-Fetch-Site": "same-origin"})
        assert saved.status_code == 200
        assert drawn.CSRF_SLOT not in saved.text


def test_a_change_to_what_the_page_shows_is_shown_to_the_next_participant(open_survey, linked):
    _open(linked[0][1])
    Module.objects.filter(pk=open_survey.module_id).update(title="Leading through wicked problems")
    new_close = open_survey.closes_at + datetime.timedelta(days=3)
    Survey.objects.filter(pk=open_survey.pk).update(closes_at=new_close)

    _client, page = _open(linked[1][1])

    assert "Leading through wicked problems" in page
    assert dateformat.format(timezone.localtime(new_close), "j F Y") in page


def test_the_thank_you_page_is_drawn_once_for_a_survey(linked):
    pages = []
    for _invitation, token in linked[:2]:
        client, _page = _open(token)
        saved = client.post(reverse("surveys:answer"), FORM, headers={"Sec-Fetch-Site": "same-origin"})
        assert saved.status_code == 200
        pages.append(saved.text)

    assert "your answers are saved" in pages[0]
    assert TOKEN.sub("", pages[0]) == TOKEN.sub("", pages[1])
    assert drawn.kept_at_most("surveys/answer_saved.html") is not None
