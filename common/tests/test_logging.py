import logging

import pytest

from common.logging import RedactSurveyTokens

pytestmark = pytest.mark.django_db

TOKEN = "Xq3v9kP2mN8rT5wY1zA4bC7dE0fG6hJ2kL9mN3pQ8rS"


def _record(msg, *args):
    return logging.LogRecord("django.request", logging.WARNING, __file__, 1, msg, args, None)


def test_redact_survey_tokens_hides_the_token_in_a_formatted_message():
    record = _record("Not Found: %s", f"/s/{TOKEN}/")

    assert RedactSurveyTokens().filter(record) is True
    assert record.getMessage() == "Not Found: /s/[redacted]/"
    assert TOKEN not in record.getMessage()


def test_redact_survey_tokens_hides_it_in_the_server_access_line():
    record = _record('"%s" %s %s', f"GET /s/{TOKEN}/ HTTP/1.1", "429", "512")

    RedactSurveyTokens().filter(record)

    assert record.getMessage() == '"GET /s/[redacted]/ HTTP/1.1" 429 512'


def test_redact_survey_tokens_leaves_other_paths_alone():
    record = _record("Not Found: %s", "/s/answer/")

    RedactSurveyTokens().filter(record)

    assert record.getMessage() == "Not Found: /s/answer/"
    assert record.args == ("/s/answer/",)


def test_an_unknown_survey_link_is_logged_without_its_token(client, caplog):
    handler_filter = RedactSurveyTokens()
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.WARNING, logger="django.request"):
            response = client.get(f"/s/{TOKEN}/")
    finally:
        caplog.handler.removeFilter(handler_filter)

    assert response.status_code == 404
    assert "/s/[redacted]/" in caplog.text
    assert TOKEN not in caplog.text
