"""Rate limits on password sign-in, sign-in links and survey links (common/ratelimit.py).

Counters live in the default cache, which the top-level conftest empties before every test.
"""

import logging
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import resolve, reverse
from django_ratelimit import core

from cohorts.tests.factories import MembershipFactory, UserFactory
from common import ratelimit
from common.models import OutboxMail
from common.ratelimit import client_ip, token_key
from modules.tests.factories import ModuleFactory
from surveys.models import Response
from surveys.services import invitation_issue_token, survey_open_for_module
from surveys.views.answer import COOKIE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_rate_limit_window(monkeypatch):
    """Every request of a test falls in the same rate-limit window.

    django-ratelimit counts in fixed windows (a minute, ten minutes...) that end at a moment set by
    the clock; a test that makes 300 requests on a slow machine could otherwise straddle the end of
    a window, see its counter start again from zero, and never reach the limit. The clock the
    windows are read from stands still at one moment for the whole test.
    """
    now = int(core.time.time())
    monkeypatch.setattr(core, "time", SimpleNamespace(time=lambda: now))


PASSWORD = "correct horse battery staple"  # UserFactory's


def _login(client, username, *, right=False):
    attempt = PASSWORD if right else "not the password"
    return client.post(reverse("login"), {"username": username, "password": attempt})


def _signed_in(client):
    return "_auth_user_id" in client.session


# PASSWORD SIGN-IN


def test_login_eleventh_attempt_for_a_username_is_refused_even_with_the_right_password():
    user = UserFactory(username="jodie")
    client = Client()

    first_ten = [_login(client, "jodie").status_code for _ in range(10)]
    response = _login(client, "jodie", right=True)

    assert first_ten == [200] * 10
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.text
    assert 'id="error-summary"' in response.text
    assert not _signed_in(client)
    user.refresh_from_db()
    assert user.last_login is None


def test_login_limit_counts_the_username_case_insensitively():
    UserFactory(username="jodie")
    client = Client()
    for index in range(10):
        _login(client, "JODIE" if index % 2 else "jodie")

    assert _login(client, " Jodie ", right=True).status_code == 429


def test_login_limit_for_one_username_leaves_other_users_signing_in():
    UserFactory(username="jodie")
    UserFactory(username="helen")
    client = Client()
    for _ in range(11):
        _login(client, "jodie")

    response = _login(client, "helen", right=True)

    assert response.status_code == 302
    assert _signed_in(client)


def test_login_sixty_first_attempt_from_one_address_is_refused():
    UserFactory(username="last")
    client = Client()
    statuses = {_login(client, f"guess{index}").status_code for index in range(60)}

    response = _login(client, "last", right=True)

    assert statuses == {200}
    assert response.status_code == 429
    assert not _signed_in(client)


def test_login_page_is_still_the_styled_form_under_the_limit(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert "registration/login.html" in [t.name for t in response.templates]
    assert 'name="username"' in response.text


# SIGN-IN LINKS


@pytest.fixture
def participant_email(cohort):
    membership = MembershipFactory(cohort=cohort, person__email="jodie@example.org", person__user=UserFactory())
    return membership.person.email


def _request_link(client, email, **extra):
    return client.post(reverse("accounts:sign_in_link_request"), {"email": email}, **extra)


def _links_queued(*emails):
    rows = OutboxMail.objects.filter(kind="accounts.sign_in_link")
    return rows.filter(to__in=emails).count() if emails else rows.count()


def _limit(rate: str) -> int:
    return int(rate.split("/")[0])


def test_sign_in_link_fourth_request_for_an_address_gets_the_same_answer_and_no_mail(participant_email):
    client = Client()
    first_three = [_request_link(client, participant_email) for _ in range(3)]

    fourth = _request_link(client, participant_email.upper())

    assert [r.status_code for r in first_three] == [302] * 3
    assert fourth.status_code == 302
    assert fourth["Location"] == first_three[0]["Location"] == reverse("accounts:sign_in_link_sent")
    assert _links_queued() == 3


def test_sign_in_link_limit_for_one_address_does_not_stop_others(participant_email, cohort):
    other = MembershipFactory(cohort=cohort, person__email="helen@example.org", person__user=UserFactory())
    client = Client()
    for _ in range(4):
        _request_link(client, participant_email)

    _request_link(client, other.person.email)

    assert _links_queued() == 4
    assert _links_queued("helen@example.org") == 1


def test_sign_in_links_for_a_whole_cohort_behind_one_address_all_go_out(cohort, settings):
    """30 participants behind one trust's NAT address all ask for a link in the same quarter hour."""
    settings.RATELIMIT_TRUSTED_PROXIES = 1
    emails = [MembershipFactory(cohort=cohort, person__email=f"p{i}@trust.example").person.email for i in range(30)]

    statuses = [_request_link(Client(), email, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code for email in emails]

    assert statuses == [302] * 30
    assert _links_queued(*emails) == 30


def test_sign_in_link_request_over_the_limit_from_one_address_is_a_429_page(participant_email, settings):
    limit = _limit(settings.RATELIMIT_SIGN_IN_LINK_PER_IP)
    assert limit > 30  # a cohort behind one address gets through (the test above)
    client = Client()
    statuses = {_request_link(client, f"someone{index}@example.org").status_code for index in range(limit)}

    response = _request_link(client, participant_email)

    assert statuses == {302}
    assert response.status_code == 429
    assert "Too many requests" in response.text
    assert "429.html" in [t.name for t in response.templates]
    assert _links_queued() == 0


def test_sign_in_link_limits_are_settings(participant_email, settings):
    settings.RATELIMIT_SIGN_IN_LINK_PER_IP = "2/15m"
    client = Client()

    statuses = [_request_link(client, f"someone{index}@example.org").status_code for index in range(3)]

    assert statuses == [302, 302, 429]


def test_sign_in_link_page_itself_is_not_limited(participant_email, settings):
    settings.RATELIMIT_SIGN_IN_LINK_PER_IP = "5/15m"
    client = Client()
    for index in range(6):
        _request_link(client, f"someone{index}@example.org")

    assert client.get(reverse("accounts:sign_in_link_request")).status_code == 200


# SURVEY LINKS


@pytest.fixture
def survey_token(cohort):
    MembershipFactory(cohort=cohort)
    survey = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=1))
    return invitation_issue_token(invitation=survey.invitations.get())


def test_survey_links_of_a_whole_cohort_behind_one_address_each_opened_twice_all_open(cohort, settings):
    settings.RATELIMIT_TRUSTED_PROXIES = 1
    MembershipFactory.create_batch(30, cohort=cohort)
    survey = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=1))
    tokens = [invitation_issue_token(invitation=invitation) for invitation in survey.invitations.all()]
    assert len(tokens) == 30

    statuses = [
        Client().get(reverse("surveys:answer_start", kwargs={"token": token}), HTTP_X_FORWARDED_FOR="198.51.100.7")
        for token in tokens * 2
    ]

    assert [r.status_code for r in statuses] == [200] * 60
    assert all(COOKIE in r.cookies for r in statuses)


def test_guessing_survey_tokens_from_one_address_is_stopped(survey_token, settings):
    limit = _limit(settings.RATELIMIT_SURVEY_LINK_PER_IP)
    client = Client()
    url = reverse("surveys:answer_start", kwargs={"token": survey_token})
    unknown = [reverse("surveys:answer_start", kwargs={"token": f"{i:043d}"}) for i in range(limit)]
    statuses = {client.get(path).status_code for path in unknown}
    client.cookies.clear()

    response = client.get(url)

    assert statuses == {404}
    assert response.status_code == 429
    assert COOKIE not in response.cookies
    assert response["Referrer-Policy"] == "no-referrer"
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    assert response.text.count("<h1") == 1


def test_survey_link_limit_per_address_leaves_other_addresses(survey_token, settings):
    settings.RATELIMIT_TRUSTED_PROXIES = 1
    settings.RATELIMIT_SURVEY_LINK_PER_IP = "5/m"
    unknown = reverse("surveys:answer_start", kwargs={"token": "0" * 43})
    for _ in range(5):
        Client().get(unknown, HTTP_X_FORWARDED_FOR="198.51.100.7")
    url = reverse("surveys:answer_start", kwargs={"token": survey_token})

    crowded = Client().get(url, HTTP_X_FORWARDED_FOR="198.51.100.7")
    elsewhere = Client().get(url, HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert crowded.status_code == 429
    assert elsewhere.status_code == 200
    assert COOKIE in elsewhere.cookies


def test_one_survey_link_hammered_is_stopped_per_token(survey_token, settings, cohort):
    limit = _limit(settings.RATELIMIT_SURVEY_LINK_PER_TOKEN)
    url = reverse("surveys:answer_start", kwargs={"token": survey_token})
    statuses = [Client().get(url, REMOTE_ADDR=f"192.0.2.{i % 200 + 1}").status_code for i in range(limit)]
    other = MembershipFactory(cohort=cohort)
    survey = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=2))
    other_token = invitation_issue_token(invitation=survey.invitations.get(membership=other))

    hammered = Client().get(url)
    other_link = Client().get(reverse("surveys:answer_start", kwargs={"token": other_token}))

    assert statuses == [200] * limit
    assert hammered.status_code == 429
    assert other_link.status_code == 200


@pytest.mark.parametrize("limit", ["per token", "per address"])
def test_survey_link_over_a_limit_is_refused_before_its_token_is_looked_up(
    survey_token, settings, django_assert_num_queries, limit
):
    """The 429 comes before any read of the invitations: a guesser over the limit learns nothing
    about the token asked for (its page, its status, the time its lookup takes), and costs the
    database nothing."""
    settings.RATELIMIT_SURVEY_LINK_PER_TOKEN = "2/m"
    settings.RATELIMIT_SURVEY_LINK_PER_IP = "3/m"
    url = reverse("surveys:answer_start", kwargs={"token": survey_token})
    if limit == "per token":
        before = [Client().get(url, REMOTE_ADDR=f"192.0.2.{i + 1}") for i in range(2)]
        expected = [200, 200]
    else:
        guess = [reverse("surveys:answer_start", kwargs={"token": f"{i:043d}"}) for i in range(3)]
        before = [Client().get(path, REMOTE_ADDR="192.0.2.99") for path in guess]
        expected = [404] * 3

    with django_assert_num_queries(0):
        refused = Client().get(url, REMOTE_ADDR="192.0.2.99")

    assert [r.status_code for r in before] == expected
    assert refused.status_code == 429
    assert COOKIE not in refused.cookies
    assert 'name="q_usefulness"' not in refused.text


# SURVEY LINKS, COUNTED IN REDIS (production's cache: both limits in one round trip)


@pytest.fixture
def redis_round_trips(monkeypatch):
    """How many times the rate limits talked to Redis: single commands and pipelines sent."""
    sent = []
    for cls, name in ((redis.Redis, "execute_command"), (redis.client.Pipeline, "execute")):
        original = getattr(cls, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):
            if not (_name == "execute_command" and isinstance(self, redis.client.Pipeline)):
                sent.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, spy)
    return sent


def test_survey_link_limits_in_redis_take_one_round_trip_under_django_ratelimits_keys(
    redis_cache, redis_round_trips, survey_token, settings
):
    url = reverse("surveys:answer_start", kwargs={"token": survey_token})
    statuses = [Client().get(url, REMOTE_ADDR="192.0.2.7").status_code for _ in range(3)]

    assert statuses == [200] * 3
    assert redis_round_trips == ["execute"] * 3
    # The same counters django-ratelimit itself reads.
    request = RequestFactory().get(url, REMOTE_ADDR="192.0.2.7")
    request.resolver_match = resolve(url)
    for group, key, rate in (
        ("survey-link-ip", "ip", settings.RATELIMIT_SURVEY_LINK_PER_IP),
        ("survey-link-token", token_key, settings.RATELIMIT_SURVEY_LINK_PER_TOKEN),
    ):
        usage = ratelimit.core.get_usage(request, group=group, key=key, rate=rate, method=["GET", "HEAD"])
        assert usage["count"] == 3, group


def test_survey_link_limits_in_redis_stop_guessing_and_hammering(redis_cache, survey_token, settings):
    settings.RATELIMIT_SURVEY_LINK_PER_IP = "5/m"
    settings.RATELIMIT_SURVEY_LINK_PER_TOKEN = "3/m"
    url = reverse("surveys:answer_start", kwargs={"token": survey_token})
    guesses = [
        Client().get(reverse("surveys:answer_start", kwargs={"token": f"{i:043d}"}), REMOTE_ADDR="192.0.2.7")
        for i in range(5)
    ]
    guessed_then_real = Client().get(url, REMOTE_ADDR="192.0.2.7")
    opened = [Client().get(url, REMOTE_ADDR=f"192.0.2.{i + 20}").status_code for i in range(2)]
    hammered = Client().get(url, REMOTE_ADDR="192.0.2.99")

    assert [r.status_code for r in guesses] == [404] * 5
    assert guessed_then_real.status_code == 429
    assert COOKIE not in guessed_then_real.cookies
    assert opened == [200, 200]  # the token's 2nd and 3rd opening (the 429 above counted as its 1st)
    assert hammered.status_code == 429


# CLIENT ADDRESS


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "192.0.2.1"),  # no proxy: a client's header is ignored
        (1, "10.9.9.9, 203.0.113.9", "203.0.113.9"),  # the entry our proxy appended
        (2, "10.9.9.9, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (1, "not-an-address", "192.0.2.1"),  # malformed: fall back, never fail
        (2, "203.0.113.9", "192.0.2.1"),  # fewer entries than proxies
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_trusts_only_our_proxies(settings, proxies, forwarded, expected):
    settings.RATELIMIT_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


# ADMIN SIGN-IN


def test_admin_login_is_limited_per_username_and_shares_the_count_with_the_main_login():
    staff = UserFactory(username="admin-jo", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(5):
        _login(client, "admin-jo")
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "admin-jo", "password": "not the password"})

    response = client.post(reverse("admin:login"), {"username": "admin-jo", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many" in response.content.decode()
    assert not _signed_in(client)
    staff.refresh_from_db()
    assert staff.last_login is None


def test_admin_login_below_the_limit_signs_staff_in():
    UserFactory(username="admin-sam", is_staff=True, is_superuser=True)
    client = Client()
    client.post(reverse("admin:login"), {"username": "admin-sam", "password": "not the password"})

    response = client.post(reverse("admin:login"), {"username": "admin-sam", "password": PASSWORD})

    assert response.status_code == 302
    assert _signed_in(client)


# A CACHE OUTAGE: counters cannot be read, the request is allowed and a warning logged


def _cache_warnings(caplog):
    return [r for r in caplog.records if r.name == "common.ratelimit" and r.levelno == logging.WARNING]


def test_login_with_the_cache_down_still_signs_in_and_warns(dead_cache):
    UserFactory(username="jodie")
    client = Client()

    wrong = _login(client, "jodie")
    right = _login(client, "jodie", right=True)

    assert wrong.status_code == 200
    assert "Please enter a correct username and password" in wrong.text
    assert right.status_code == 302
    assert _signed_in(client)
    assert _cache_warnings(dead_cache)
    assert "login-ip" in dead_cache.text


def test_admin_login_with_the_cache_down_still_signs_staff_in(dead_cache):
    UserFactory(username="admin-sam", is_staff=True, is_superuser=True)
    client = Client()

    response = client.post(reverse("admin:login"), {"username": "admin-sam", "password": PASSWORD})

    assert response.status_code == 302
    assert _signed_in(client)
    assert _cache_warnings(dead_cache)


def test_sign_in_link_request_with_the_cache_down_still_mails_the_link(
    dead_cache, participant_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _request_link(Client(), participant_email)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:sign_in_link_sent")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [participant_email]
    assert _cache_warnings(dead_cache)


def test_survey_link_with_the_cache_down_still_opens_and_takes_answers(dead_cache, survey_token):
    client = Client()

    start = client.get(reverse("surveys:answer_start", kwargs={"token": survey_token}))
    page = client.get(reverse("surveys:answer"))
    answers = {"q_usefulness": "4", "q_confidence": "3", "q_pace": "About right", "q_recommend": "9"}
    answered = client.post(reverse("surveys:answer"), answers)

    assert start.status_code == 200
    assert COOKIE in start.cookies
    assert page.status_code == 200
    assert answered.status_code == 200
    assert "Thank you – your answers are saved" in answered.text
    assert Response.objects.count() == 1
    assert _cache_warnings(dead_cache)
    assert survey_token not in dead_cache.text


def test_signed_in_pages_with_the_cache_down_pass_the_whole_middleware_stack(dead_cache, facilitator_client, cohort):
    home = facilitator_client.get(reverse("home"))
    cohort_page = facilitator_client.get(reverse("modules:cohort_detail", kwargs={"cohort_pk": cohort.pk}))

    assert home.status_code == 200
    assert cohort_page.status_code == 200


def test_every_rate_limit_goes_through_the_one_wrapper_that_survives_a_cache_outage():
    """A view decorated with django-ratelimit's own decorator would 500 while the cache is down."""
    root = Path(__file__).resolve().parents[2]
    direct = re.compile(r"^\s*(from|import)\s+django_ratelimit\.(decorators|core)\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if ".venv" not in path.parts
        and path.relative_to(root) != Path("common/ratelimit.py")
        and direct.search(path.read_text())
    ]

    assert offenders == []
