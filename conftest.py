"""Fixtures shared by every app's tests.

Acceptance tests use real services. When ``LC_REQUIRE_SERVICES=1`` (``.ci/run`` sets it) a
missing service fails the test; on a newcomer's machine without them it is skipped with the
reason, so that the README's test command still runs everything else.
"""

import datetime
import logging
import os
import re
import shutil
import socket

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.factories import PASSWORD, CohortFactory, MembershipFactory, UserFactory
from modules.models import Attendance
from modules.tests.factories import ActItemFactory, AttendanceFactory, PDSACycleFactory, modules_for_cohort
from projects.tests.factories import (
    ActionLearningSetFactory,
    DataPointFactory,
    ImprovementProjectFactory,
    MeasureFactory,
    participant_in_set,
)
from tests.acceptance.smtp import SMTPServer

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Flags that keep Chromium from reaching out to the closed network at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def require_service(name, available):
    if available:
        return
    message = f"{name} is not available"
    if os.environ.get("LC_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message}, and LC_REQUIRE_SERVICES=1 says it must be", pytrace=False)
    pytest.skip(message)


def _port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


# Slow tests that are not end-to-end: scripts/run-tests runs them with the end-to-end ones, which
# balances its two processes (in CI on 2 cores: about 650 s of end-to-end tests, 420 s of the rest).
HEAVY = ("tests/test_query_counts.py",)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(HEAVY):
            item.add_marker(pytest.mark.heavy)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Every test starts with empty rate-limit counters (they live in the default cache)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    require_service("Redis", _port_open(host.split("@")[-1], int(port)))
    return url


@pytest.fixture(scope="session")
def chromium_path():
    require_service("Chromium", shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM))
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    playwright_sync = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are still synchronous, so Django's async-safety guard is told so.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_sync.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _browser_page(browser, **context_options):
    """A page in a fresh browser context (its own cookies), closed with it after the test.

    The context asks for reduced motion, as many real users do: Bootstrap then draws focus rings
    and opens menus at once instead of fading them in, so what a test reads does not depend on how
    busy the machine is.
    """
    context = browser.new_context(locale="en-GB", reduced_motion="reduce", **context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def page(browser):
    yield from _browser_page(browser, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone_page(browser):
    yield from _browser_page(browser, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)


def sign_in(page, live_server, user):
    """A browser test's first step: sign ``user`` (made by UserFactory) in on the sign-in page."""
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server in this process, with the SMTP backend (common.mail) pointed at it (the acceptance
    tests have their own, for a worker process: tests/acceptance/conftest.py)."""
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "common.mail.SMTPEmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = server.host, server.port, 5
        yield server


@pytest.fixture
def cohort(db):
    return CohortFactory()


@pytest.fixture
def modules(cohort):
    """``cohort``'s six modules."""
    return modules_for_cohort(cohort)


@pytest.fixture
def participants(cohort):
    """Three participants of ``cohort``."""
    return MembershipFactory.create_batch(3, cohort=cohort)


@pytest.fixture
def fill_cohort(db):
    """A function that gives ``cohort`` ``n`` participants present at three modules, each module a PDSA
    record with Act items (n / 5 done, one open) and a withdrawn member: for query counts that must
    not grow with the cohort. ``each_module(number, module, participants)`` adds a test's own rows."""

    def fill(cohort, modules, n, each_module=None):
        participants = MembershipFactory.create_batch(n, cohort=cohort)
        for number, module in enumerate(modules[:3], start=1):
            if each_module is not None:
                each_module(number, module, participants)
            Attendance.objects.bulk_create(
                Attendance(module=module, membership=m, status="present") for m in participants
            )
            cycle = PDSACycleFactory(module=module, updated_by=UserFactory())
            ActItemFactory.create_batch(n // 5, cycle=cycle, done=True, done_at=timezone.now(), done_by=UserFactory())
            ActItemFactory(cycle=cycle)
        withdrawn = MembershipFactory(cohort=cohort, status="withdrawn", withdrawn_on=datetime.date(2026, 2, 1))
        AttendanceFactory(module=modules[0], membership=withdrawn)
        return participants

    return fill


@pytest.fixture
def facilitator(cohort):
    """A user who actively facilitates ``cohort``."""
    membership = MembershipFactory(cohort=cohort, role="facilitator", person__user=UserFactory())
    return membership.person.user


@pytest.fixture
def facilitator_client(facilitator):
    client = Client()
    client.force_login(facilitator)
    return client


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def world(cohort, facilitator):
    """A cohort with two action-learning sets, a project each, a measure with twelve weekly points
    and one participant in each set (projects' and accounts' tests)."""
    set_a = ActionLearningSetFactory(cohort=cohort, name="Set A")
    set_b = ActionLearningSetFactory(cohort=cohort, name="Set B")
    project_a = ImprovementProjectFactory(action_learning_set=set_a, title="Safer handovers")
    project_b = ImprovementProjectFactory(action_learning_set=set_b, title="Quicker discharge")
    measure_a = MeasureFactory(project=project_a, name="Handovers using SBAR", baseline_points=6)
    for week, value in enumerate([40, 42, 38, 41, 39, 43, 55, 58, 60, 57, 61, 62]):
        DataPointFactory(
            measure=measure_a, date=datetime.date(2026, 1, 5) + datetime.timedelta(weeks=week), value=value
        )
    return {
        "cohort": cohort,
        "facilitator": facilitator,
        "set_a": set_a,
        "set_b": set_b,
        "project_a": project_a,
        "project_b": project_b,
        "measure_a": measure_a,
        "member_a": participant_in_set(set_a),
        "member_b": participant_in_set(set_b),
    }


@pytest.fixture
def survey_answers():
    """Valid answers to the default module survey (surveys/defaults.py), by question code."""
    return {"usefulness": "4", "confidence": "3", "pace": "About right", "recommend": "9"}


def unused_port() -> int:
    """A loopback port where nothing listens (bound, read and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dead_cache(settings, caplog):
    """The cache is Redis on a port where nothing listens, as in production with Redis stopped.
    Returns ``caplog``, recording warnings, for the warning the code under test must log."""
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{unused_port()}/0",
        }
    }
    caplog.set_level(logging.WARNING)
    return caplog


@pytest.fixture
def redis_cache(settings, redis_url):
    """The default cache is the real Redis of the tests (production's kind of cache), emptied
    before and after the test."""
    settings.CACHES = {"default": {"BACKEND": "common.cache.RedisCache", "LOCATION": redis_url}}
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


@pytest.fixture
def rendered_templates():
    """The names of the templates rendered while the test runs, in order."""
    names = []

    def rendered(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(rendered)
    yield names
    template_rendered.disconnect(rendered)
