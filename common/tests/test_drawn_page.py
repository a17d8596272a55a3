"""A whole page drawn once per process for what it shows, with each request's own CSRF token
(common.drawn.drawn_page, DrawnPageResponse)."""

import re

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.middleware.csrf import _unmask_cipher_token
from django.template.loader import render_to_string
from django.test import RequestFactory

from cohorts.tests.factories import UserFactory
from common import drawn

# A page with a CSRF-protected form (the thank-you page offering the next survey) in the site's frame.
PAGE = "surveys/answer_saved.html"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


pytestmark = pytest.mark.usefixtures("nothing_drawn")


@pytest.fixture
def renders(rendered_templates):
    """How many times the page is rendered while the test runs."""
    return lambda: rendered_templates.count(PAGE)


def _request(user=None):
    request = RequestFactory().get("/s/answer/")
    request.user = user or AnonymousUser()
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _context(title="Survey after Module 2: Wicked problems"):
    survey = {"title": title, "closes_at": None, "cohort": {"name": "Cohort 7"}}
    return {"survey": survey, "module": None, "next_survey": {"title": "The programme's evaluation"}}


def _tokens_match_the_cookie(html, request):
    """Every CSRF token in the page is a masking of the secret the request's cookie will carry."""
    tokens = TOKEN.findall(html)
    secret = request.META["CSRF_COOKIE"]
    return bool(tokens) and all(_unmask_cipher_token(token) == secret for token in tokens)


def test_a_page_is_drawn_once_and_each_request_gets_its_own_csrf_token(renders):
    first, second = _request(), _request()

    one = drawn.drawn_page(first, PAGE, _context(), key=("saved", 1))
    two = drawn.drawn_page(second, PAGE, _context(), key=("saved", 1))

    assert renders() == 1
    assert drawn.CSRF_SLOT not in one
    assert _tokens_match_the_cookie(one, first)
    assert _tokens_match_the_cookie(two, second)
    assert first.META["CSRF_COOKIE"] != second.META["CSRF_COOKIE"]
    # The CSRF cookie is sent with the response, as {% csrf_token %} would have it sent.
    assert first.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_a_drawn_page_is_the_page_rendered_the_usual_way_but_for_the_token():
    request = _request()
    usual = render_to_string(PAGE, _context(), _request())

    page = drawn.drawn_page(request, PAGE, _context(), key=("saved", 1))

    assert TOKEN.sub("token", page) == TOKEN.sub("token", usual)
    assert "The programme&#x27;s evaluation" in page


def test_another_key_or_frame_is_drawn_again(renders, db):
    drawn.drawn_page(_request(), PAGE, _context(), key=("saved", 1))
    changed = drawn.drawn_page(_request(), PAGE, _context("Survey after Module 3"), key=("saved", 2))
    signed_in = _request(UserFactory())
    framed = drawn.drawn_page(signed_in, PAGE, _context(), key=("saved", 1))

    assert renders() == 3
    assert "Survey after Module 3" in changed
    # The signed-in frame has the sign-out form, with this request's token too.
    assert 'id="sign-out"' in framed
    assert len(TOKEN.findall(framed)) == 2
    assert _tokens_match_the_cookie(framed, signed_in)


def test_a_response_with_messages_waiting_is_drawn_the_usual_way_and_shows_them(renders):
    drawn.DrawnPageResponse(_request(), PAGE, _context(), key=("saved", 1)).render()
    request = _request()
    messages.info(request, "Your link was sent again.")

    response = drawn.DrawnPageResponse(request, PAGE, _context(), key=("saved", 1)).render()

    assert renders() == 2
    assert "Your link was sent again." in response.content.decode()
    # Shown, so marked used: the messages middleware drops them when the response goes.
    assert messages.get_messages(request).used


def test_a_page_without_a_form_takes_no_token():
    request = _request()
    context = {**_context(), "next_survey": None}

    page = drawn.drawn_page(request, PAGE, context, key=("saved", "nothing next"))

    assert "your answers are saved" in page
    assert not TOKEN.search(page)
    assert "CSRF_COOKIE" not in request.META
