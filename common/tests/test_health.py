"""Running it: /healthz, the periodic jobs' heartbeat and warning, error reports without secrets."""

import datetime
import logging

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from common import health
from common.scrubbing import ExceptionReporterFilter, scrub, sentry_before_send
from conftest import unused_port
from modules.tasks import modules_mark_ended_delivered_task

pytestmark = pytest.mark.django_db

TOKEN = "q8Hc2m0V9xYtKJ3s4bLrWnD1aEoPfGiZuXyT5vB7c6A"
SESAME = "AAAAAQZfJ8ka7Tz1pRVyCDU3ePmBxQw2ySn4aX9v"


# /healthz


def test_healthz_answers_200_with_every_part_ok_without_signing_in(settings):
    settings.CELERY_BROKER_URL = "memory://"

    response = Client().get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}
    assert response["Cache-Control"] == "no-store"


def test_healthz_names_the_broker_when_it_is_down_and_says_nothing_more(settings):
    secret_url = f"redis://:broker-password@127.0.0.1:{unused_port()}/0"
    settings.CELERY_BROKER_URL = secret_url

    response = Client().get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "down", "checks": {"database": "ok", "cache": "ok", "broker": "down"}}
    assert "broker-password" not in response.text


def test_healthz_names_the_cache_when_it_is_down(settings):
    settings.CELERY_BROKER_URL = "memory://"
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{unused_port()}/0",
        }
    }

    response = Client().get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "down", "broker": "ok"}


# THE PERIODIC JOBS' HEARTBEAT


def test_a_periodic_job_that_finishes_records_the_heartbeat():
    assert health.periodic_jobs_last_run() is None
    before = timezone.now()

    modules_mark_ended_delivered_task.delay()

    assert health.periodic_jobs_last_run() >= before


def test_a_task_that_is_not_periodic_records_nothing():
    health.periodic_job_ran(name="common.tasks.outbox_send")

    assert health.periodic_jobs_last_run() is None


@pytest.fixture
def warn_after(settings):
    settings.PERIODIC_JOBS_WARN_AFTER = 15 * 60
    return settings.PERIODIC_JOBS_WARN_AFTER


def test_home_page_warns_facilitators_when_the_periodic_jobs_have_not_run(warn_after, facilitator_client):
    health.periodic_job_ran(
        name="surveys.tasks.surveys_close_due", now=timezone.now() - datetime.timedelta(seconds=warn_after + 60)
    )

    response = facilitator_client.get(reverse("home"))

    assert 'id="periodic-jobs-warning"' in response.text
    assert "The scheduled jobs are not running." in response.text
    assert "They last ran on" in response.text


def test_home_page_has_no_warning_while_the_periodic_jobs_run(warn_after, facilitator_client):
    health.periodic_job_ran(name="surveys.tasks.surveys_close_due")

    response = facilitator_client.get(reverse("home"))

    assert response.status_code == 200
    assert "periodic-jobs-warning" not in response.text


def test_home_page_warns_when_the_periodic_jobs_never_ran(warn_after, facilitator_client):
    response = facilitator_client.get(reverse("home"))

    assert "The scheduled jobs are not running." in response.text


def test_admin_index_warns_staff_and_stops_when_the_jobs_run(warn_after, staff_user):
    client = Client()
    client.force_login(staff_user)

    stale = client.get(reverse("admin:index"))
    health.periodic_job_ran(name="surveys.tasks.invitations_sweep")
    running = client.get(reverse("admin:index"))

    assert stale.status_code == running.status_code == 200
    assert 'id="periodic-jobs-warning"' in stale.text
    assert "periodic-jobs-warning" not in running.text


def test_warning_switched_off_by_the_setting(settings, facilitator_client):
    settings.PERIODIC_JOBS_WARN_AFTER = 0

    assert "periodic-jobs-warning" not in facilitator_client.get(reverse("home")).text


# ERROR REPORTS WITHOUT SECRETS


def test_scrubber_removes_tokens_sign_in_keys_and_feed_addresses_from_a_sentry_event():
    event = {
        "message": f"Error on /s/{TOKEN}/",
        "request": {
            "url": f"https://lc.example/sign-in/link/use/?sesame={SESAME}",
            "query_string": f"sesame={SESAME}",
            "headers": [["Referer", f"https://lc.example/s/{TOKEN}/"], ["Cookie", "lc_survey=abc"]],
            "cookies": {"sessionid": "xyz", "lc_survey": "signed-token"},
            "data": {"sesame": SESAME, "email": "ward@example.org"},
        },
        "breadcrumbs": {"values": [{"message": f"GET /calendar/{TOKEN}.ics 404"}]},
        "exception": {"values": [{"value": "boom", "stacktrace": {"frames": [{"vars": {"token": TOKEN}}]}}]},
        "extra": {"count": 3},
    }

    scrubbed = sentry_before_send(event, hint={})
    text = repr(scrubbed)

    assert TOKEN not in text
    assert SESAME not in text
    assert "signed-token" not in text
    assert "xyz" not in text
    assert scrubbed["request"]["url"] == "https://lc.example/sign-in/link/use/?sesame=[redacted]"
    assert scrubbed["request"]["headers"][0] == ["Referer", "https://lc.example/s/[redacted]/"]
    assert scrubbed["breadcrumbs"]["values"][0]["message"] == "GET /calendar/[redacted].ics 404"
    assert scrubbed["extra"] == {"count": 3}  # what is not secret stays
    assert scrubbed["request"]["data"]["email"] == "ward@example.org"


def test_scrub_keeps_the_shape_of_what_it_is_given():
    assert scrub(("a", 1, None)) == ("a", 1, None)
    assert scrub({"nested": [{"url": f"/s/{TOKEN}/"}]}) == {"nested": [{"url": "/s/[redacted]/"}]}


def test_mail_to_admins_about_a_server_error_has_no_survey_token(settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    settings.DEBUG = False
    request = RequestFactory().get(f"/s/{TOKEN}/", {"sesame": SESAME})
    logger = logging.getLogger("django.request")
    try:
        raise ValueError("the answer page broke")
    except ValueError:
        logger.error(
            "Internal Server Error: %s", request.path, exc_info=True, extra={"status_code": 500, "request": request}
        )

    (message,) = mail.outbox
    assert message.to == ["ops@example.org"]
    assert TOKEN not in message.subject
    assert TOKEN not in message.body
    assert SESAME not in message.body
    assert "/s/[redacted]/" in message.body


def test_error_report_filter_hides_posted_sign_in_keys():
    request = RequestFactory().post("/sign-in/link/use/", {"sesame": SESAME, "email": "a@example.org"})

    parameters = ExceptionReporterFilter().get_post_parameters(request)

    assert parameters["sesame"] != SESAME
    assert parameters["email"] == "a@example.org"
