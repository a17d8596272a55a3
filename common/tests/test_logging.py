"""Secrets in URLs (survey tokens, sign-in link keys) never reach a log: common/logging.py."""

import datetime
import io
import logging
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from sesame import settings as sesame_settings

from cohorts.tests.factories import MembershipFactory
from common.logging import GunicornLogger, RedactLinkSecrets, redact_link_secrets
from modules.tests.factories import ModuleFactory
from surveys.services import invitation_issue_token, survey_open_for_module

pytestmark = pytest.mark.django_db

TOKEN = "Xq3v9kP2mN8rT5wY1zA4bC7dE0fG6hJ2kL9mN3pQ8rS"
SESAME_KEY = "AAAAAQbxk2EfaHmVfQ9zT3x0Lg4Yp7sWq1e8RnK5cJdM"
RESET_KEY = "cc9w2k-4f1e5a2b3c4d5e6f7a8b9c0d1e2f3a4b"


def _record(msg, *args):
    return logging.LogRecord("django.request", logging.WARNING, __file__, 1, msg, args, None)


def test_redact_survey_tokens_hides_the_token_in_a_formatted_message():
    record = _record("Not Found: %s", f"/s/{TOKEN}/")

    assert RedactLinkSecrets().filter(record) is True
    assert record.getMessage() == "Not Found: /s/[redacted]/"
    assert TOKEN not in record.getMessage()


def test_redact_survey_tokens_hides_it_in_the_server_access_line():
    record = _record('"%s" %s %s', f"GET /s/{TOKEN}/ HTTP/1.1", "429", "512")

    RedactLinkSecrets().filter(record)

    assert record.getMessage() == '"GET /s/[redacted]/ HTTP/1.1" 429 512'


def test_redact_survey_tokens_leaves_other_paths_alone():
    record = _record("Not Found: %s", "/s/answer/")

    RedactLinkSecrets().filter(record)

    assert record.getMessage() == "Not Found: /s/answer/"
    assert record.args == ("/s/answer/",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"GET /s/{TOKEN}/ HTTP/1.1", "GET /s/[redacted]/ HTTP/1.1"),
        (f"GET /sign-in/link/use/?sesame={SESAME_KEY} HTTP/1.1", "GET /sign-in/link/use/?sesame=[redacted] HTTP/1.1"),
        (f"sesame={SESAME_KEY}", "sesame=[redacted]"),  # gunicorn's %(q)s: the query string alone
        (f"/sign-in/link/use/?a=1&sesame={SESAME_KEY}&b=2", "/sign-in/link/use/?a=1&sesame=[redacted]&b=2"),
        (f"GET /accounts/reset/MQ/{RESET_KEY}/ HTTP/1.1", "GET /accounts/reset/MQ/[redacted]/ HTTP/1.1"),
        ("GET /accounts/reset/MQ/set-password/ HTTP/1.1", "GET /accounts/reset/MQ/set-password/ HTTP/1.1"),
        ("GET /cohorts/3/surveys/ HTTP/1.1", "GET /cohorts/3/surveys/ HTTP/1.1"),
    ],
)
def test_redact_link_secrets_hides_survey_tokens_sign_in_keys_and_reset_keys(text, expected):
    assert redact_link_secrets(text) == expected


def test_redact_link_secrets_knows_the_sign_in_link_parameter_name():
    """django-sesame's parameter is configurable (SESAME_TOKEN_NAME); the pattern follows it."""
    assert redact_link_secrets(f"?{sesame_settings.TOKEN_NAME}={SESAME_KEY}") == (
        f"?{sesame_settings.TOKEN_NAME}=[redacted]"
    )


def test_an_unknown_survey_link_is_logged_without_its_token(client, caplog):
    handler_filter = RedactLinkSecrets()
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.WARNING, logger="django.request"):
            response = client.get(f"/s/{TOKEN}/")
    finally:
        caplog.handler.removeFilter(handler_filter)

    assert response.status_code == 404
    assert "/s/[redacted]/" in caplog.text
    assert TOKEN not in caplog.text


def test_a_post_to_a_real_survey_link_is_refused_and_logged_without_its_token(client, caplog, cohort):
    """The link page answers GET only (its form posts to /s/answer/): Django's "Method Not Allowed"
    warning names the path, which holds a working token."""
    MembershipFactory(cohort=cohort)
    survey = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=1))
    token = invitation_issue_token(invitation=survey.invitations.get())
    handler_filter = RedactLinkSecrets()
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.WARNING, logger="django.request"):
            response = client.post(f"/s/{token}/", {"q_usefulness": "4"})
    finally:
        caplog.handler.removeFilter(handler_filter)

    assert response.status_code == 405
    assert "Method Not Allowed (POST): /s/[redacted]/" in caplog.text
    assert token not in caplog.text


def test_runserver_access_lines_go_through_the_filter_as_configured_in_settings():
    """settings.LOGGING routes django.server (runserver's access log) through the filtered handler."""
    logger = logging.getLogger("django.server")
    handlers = [handler for handler in logger.handlers if isinstance(handler, logging.StreamHandler)]
    assert handlers
    out = io.StringIO()
    previous = [handler.setStream(out) for handler in handlers]
    try:
        logger.info('"%s" %s %s', f"GET /sign-in/link/use/?sesame={SESAME_KEY} HTTP/1.1", "200", "1234")
        logger.info('"%s" %s %s', f"GET /s/{TOKEN}/ HTTP/1.1", "200", "8192")
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)

    assert '"GET /sign-in/link/use/?sesame=[redacted] HTTP/1.1" 200 1234' in out.getvalue()
    assert '"GET /s/[redacted]/ HTTP/1.1" 200 8192' in out.getvalue()
    assert SESAME_KEY not in out.getvalue()
    assert TOKEN not in out.getvalue()


# GUNICORN


def _gunicorn_logger(tmp_path):
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set("logger_class", "common.logging.GunicornLogger")
    return cfg.logger_class(cfg)


def _access(logger, *, method, uri, referer="-", status="200 OK"):
    path, _, query = uri.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "RAW_URI": uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": referer,
    }
    request = SimpleNamespace(headers=[("HOST", "127.0.0.1"), ("REFERER", referer)])
    response = SimpleNamespace(status=status, headers=[("Content-Type", "text/html")], sent=512)
    logger.access(response, request, environ, datetime.timedelta(milliseconds=12))


def test_gunicorn_logger_writes_access_lines_without_tokens_or_sign_in_keys(tmp_path):
    logger = _gunicorn_logger(tmp_path)
    assert isinstance(logger, GunicornLogger)

    _access(logger, method="GET", uri=f"/s/{TOKEN}/")
    _access(
        logger,
        method="GET",
        uri="/static/css/site.css",
        referer=f"https://cohorts.example.org/sign-in/link/use/?sesame={SESAME_KEY}",
    )
    _access(logger, method="GET", uri=f"/sign-in/link/use/?sesame={SESAME_KEY}")
    log = (tmp_path / "access.log").read_text()

    assert '"GET /s/[redacted]/ HTTP/1.1" 200 512' in log
    assert '"GET /sign-in/link/use/?sesame=[redacted] HTTP/1.1" 200 512' in log
    assert '"https://cohorts.example.org/sign-in/link/use/?sesame=[redacted]"' in log
    assert TOKEN not in log
    assert SESAME_KEY not in log


def test_gunicorn_logger_redacts_every_atom_a_custom_format_may_use(tmp_path):
    logger = _gunicorn_logger(tmp_path)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/sign-in/link/use/?sesame={SESAME_KEY}",
        "PATH_INFO": "/sign-in/link/use/",
        "QUERY_STRING": f"sesame={SESAME_KEY}",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    request = SimpleNamespace(headers=[("REFERER", f"/s/{TOKEN}/")])
    response = SimpleNamespace(status="200 OK", headers=[], sent=1)

    atoms = logger.atoms(response, request, environ, datetime.timedelta(seconds=1))

    assert atoms["q"] == "sesame=[redacted]"
    assert atoms["{raw_uri}e"] == "/sign-in/link/use/?sesame=[redacted]"
    assert atoms["{referer}i"] == "/s/[redacted]/"
    assert not [key for key, value in atoms.items() if SESAME_KEY in str(value) or TOKEN in str(value)]


def test_gunicorn_error_log_is_redacted_too(tmp_path):
    """A worker's "Error handling request /s/<token>/" goes to the error log."""
    logger = _gunicorn_logger(tmp_path)
    logger.setup(logger.cfg)  # a reload (HUP) runs setup again: still one filter

    logger.error("Error handling request %s", f"/s/{TOKEN}/")
    log = (tmp_path / "error.log").read_text()

    assert "Error handling request /s/[redacted]/" in log
    assert TOKEN not in log
    assert sum(isinstance(f, RedactLinkSecrets) for f in logger.error_log.filters) == 1
