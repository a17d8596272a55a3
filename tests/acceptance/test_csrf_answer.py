"""CSRF on the survey answering page: Django's own check, and no survey token in any Referer.

Only the link page's URL (``/s/<token>/``) holds a secret. It answers with the answering form itself
and ``Referrer-Policy: strict-origin``, so a request made from it (the form's POST to ``/s/answer/``,
its static files) carries a Referer of the site's origin only, never the token's path, and the POST
still a real ``Origin``; its script replaces the address with ``/s/answer/``. That page's URL holds
no secret and answers ``same-origin``. So Django's CsrfViewMiddleware checks every answer POST (token
and origin), no Referer leaves the site and none ever carries the token. Tested with Django's test
client (enforcing CSRF) and in Chromium, with a cross-site page on a second origin (127.0.0.1
against the live server's localhost) that auto-submits a form to the answering URL.
"""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.urls import reverse

from cohorts.tests.factories import CohortFactory, MembershipFactory
from modules.tests.factories import ModuleFactory
from surveys.models import Response
from surveys.services import invitation_issue_token, survey_open_for_module
from surveys.views.answer import COOKIE

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

ANSWERS = {"q_usefulness": "4", "q_confidence": "3", "q_pace": "About right", "q_recommend": "9"}
SAVED = "Thank you – your answers are saved"


@pytest.fixture
def token(db):
    cohort = CohortFactory()
    module = ModuleFactory(cohort=cohort, number=1)
    participant = MembershipFactory(cohort=cohort)
    MembershipFactory.create_batch(2, cohort=cohort)
    survey = survey_open_for_module(module=module)
    return invitation_issue_token(invitation=survey.invitations.get(membership=participant))


def _answering_client(token):
    """A client (enforcing CSRF) that opened the link, and the link's page: the answering form."""
    client = Client(enforce_csrf_checks=True)
    start = client.get(reverse("surveys:answer_start", kwargs={"token": token}))
    assert start.status_code == 200
    assert start["Referrer-Policy"] == "strict-origin"
    return client, start


def test_link_page_and_answer_page_send_their_referrer_policies_and_a_csrf_token(token):
    client, start = _answering_client(token)
    page = client.get(reverse("surveys:answer"))
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"
    for shown in (start, page):
        assert 'name="csrfmiddlewaretoken"' in shown.text
        assert f'action="{reverse("surveys:answer")}"' in shown.text
        assert token not in shown.text


def test_answer_post_without_csrf_token_is_refused_by_django(token):
    client, _page = _answering_client(token)
    # The survey cookie is there (as an old browser without SameSite would send it): CSRF still refuses.
    assert COOKIE in client.cookies
    response = client.post(reverse("surveys:answer"), ANSWERS, headers={"Origin": "http://testserver"})
    assert response.status_code == 403
    assert not Response.objects.exists()


def test_answer_post_from_another_origin_is_refused_even_with_the_token(token):
    client, page = _answering_client(token)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    data = {**ANSWERS, "csrfmiddlewaretoken": csrf}
    refused = client.post(reverse("surveys:answer"), data, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert not Response.objects.exists()
    accepted = client.post(reverse("surveys:answer"), data, headers={"Origin": "http://testserver"})
    assert accepted.status_code == 200
    assert SAVED in accepted.text
    assert Response.objects.count() == 1


def test_answer_next_needs_the_csrf_token(token):
    client, _page = _answering_client(token)
    response = client.post(reverse("surveys:answer_next"), headers={"Origin": "http://testserver"})
    assert response.status_code == 403


class _AttackerPage(BaseHTTPRequestHandler):
    """A page on another site that posts answers to the survey as soon as it loads."""

    target = ""

    def do_GET(self):
        fields = "".join(f'<input type="hidden" name="{name}" value="{value}">' for name, value in ANSWERS.items())
        body = (
            f'<!doctype html><html><body><form id="f" method="post" action="{self.target}">{fields}</form>'
            '<script>document.getElementById("f").submit()</script></body></html>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def attacker_url(live_server):
    handler = type("Attacker", (_AttackerPage,), {"target": f"{live_server.url}{reverse('surveys:answer')}"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_cross_site_form_post_in_chromium_is_refused_and_no_referer_carries_the_token(
    page, live_server, token, attacker_url
):
    assert "localhost" in live_server.url  # the attacker's 127.0.0.1 is another site
    sent = []
    page.on("request", lambda request: sent.append((request.method, request.url, request.headers)))

    # The participant opens their link: the answering page, the cookie set, the address made clean.
    with page.expect_response(f"{live_server.url}/s/{token}/") as link:
        page.goto(f"{live_server.url}/s/{token}/")
    assert link.value.status == 200
    assert link.value.headers["referrer-policy"] == "strict-origin"
    page.wait_for_url(re.compile(r"/s/answer/$"))

    # A page on another site auto-submits answers to the answering URL.
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.goto(attacker_url)
    assert posted.value.status == 403
    assert not Response.objects.exists()
    cross = next(headers for method, _url, headers in sent if method == "POST")
    assert cross.get("origin") == attacker_url.rstrip("/")

    # The participant answers for real from the link's page: accepted, with the site's own Origin,
    # through Django's check; its Referer is the site's origin only (strict-origin).
    page.goto(f"{live_server.url}/s/{token}/")
    page.wait_for_url(re.compile(r"/s/answer/$"))
    for name, value in ANSWERS.items():
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    with page.expect_response(lambda r: r.request.method == "POST") as answered:
        page.get_by_role("button", name="Send my answers").click()
    assert answered.value.status == 200  # the thank-you page is the POST's own answer
    assert answered.value.url == f"{live_server.url}/s/answer/"
    page.get_by_text(SAVED).wait_for()
    assert Response.objects.count() == 1
    posts = [headers for method, _url, headers in sent if method == "POST"]
    assert [headers.get("origin") for headers in posts] == [attacker_url.rstrip("/"), live_server.url]
    assert posts[-1].get("referer") == f"{live_server.url}/"

    # Changed from the answering page (/s/answer/, same-origin): its full address is the Referer.
    page.get_by_role("link", name="See or change my answers").click()
    page.wait_for_url(re.compile(r"/s/answer/$"))
    page.locator('input[name="q_usefulness"][value="2"]').check()
    with page.expect_response(lambda r: r.request.method == "POST") as changed:
        page.get_by_role("button", name="Save my changes").click()
    assert changed.value.status == 200
    page.get_by_text(SAVED).wait_for()
    assert Response.objects.count() == 1
    posts = [headers for method, _url, headers in sent if method == "POST"]
    assert [headers.get("origin") for headers in posts] == [attacker_url.rstrip("/"), *[live_server.url] * 2]
    assert posts[-1].get("referer") == f"{live_server.url}/s/answer/"

    # No request the browser made (pages, static files, the attacker's) carried the token in its
    # Referer; the only URL holding it is the link itself, opened twice.
    assert len(sent) > 4
    assert all(token not in headers.get("referer", "") for _method, _url, headers in sent)
    assert [url for _method, url, _headers in sent if token in url] == [f"{live_server.url}/s/{token}/"] * 2
