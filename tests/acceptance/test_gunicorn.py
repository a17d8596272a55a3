"""The production web server as shipped: gunicorn with config/gunicorn.conf.py (README).

A real gunicorn process serves this test's PostgreSQL database; its access log must show every
request line but no survey token, no sign-in link key and no password-reset key.
"""

import http.client
import os
import time

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from sesame.utils import get_query_string

from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from modules.tests.factories import ModuleFactory
from surveys.services import invitation_issue_token, survey_open_for_module
from tests.acceptance.gunicorn import gunicorn_serving

pytestmark = pytest.mark.acceptance


@pytest.fixture
def gunicorn(postgres, tmp_path):
    access_log, output = tmp_path / "access.log", tmp_path / "gunicorn.out"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": postgres}
    with gunicorn_serving(env, output=output, access_log=str(access_log)) as (port, _process):
        yield port, access_log, output


def _get(port, path, **headers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _wait_for_lines(log, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"the access log has fewer than {count} lines:\n{log.read_text()}")


def test_gunicorn_access_log_has_the_request_lines_without_any_link_secret(gunicorn):
    port, access_log, output = gunicorn
    cohort = CohortFactory()
    MembershipFactory(cohort=cohort)
    survey = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=1))
    token = invitation_issue_token(invitation=survey.invitations.get())
    user = UserFactory()
    sesame_query = get_query_string(user)  # "?sesame=<key>"
    sesame_key = sesame_query.split("=", 1)[1]
    reset_key = default_token_generator.make_token(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))

    statuses = [
        _get(port, f"/s/{token}/"),
        _get(port, f"/sign-in/link/use/{sesame_query}"),
        _get(port, "/static/css/site.css", Referer=f"http://127.0.0.1:{port}/sign-in/link/use/{sesame_query}"),
        _get(port, f"/accounts/reset/{uid}/{reset_key}/"),
    ]
    lines = _wait_for_lines(access_log, 4)
    log = "\n".join(lines)

    assert statuses[:2] == [200, 200]  # the survey link answers with the answering page itself
    assert statuses[3] == 302  # a valid reset link: Django moves the key into the session
    assert '"GET /s/[redacted]/ HTTP/1.1" 200' in log
    assert '"GET /sign-in/link/use/?sesame=[redacted] HTTP/1.1" 200' in log
    assert '/sign-in/link/use/?sesame=[redacted]"' in log  # the Referer of the stylesheet request
    assert f'"GET /accounts/reset/{uid}/[redacted]/ HTTP/1.1" 302' in log
    for secret in (token, sesame_key, reset_key):
        assert secret not in log
        assert secret not in output.read_text()
