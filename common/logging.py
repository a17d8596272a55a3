"""Keep the secrets that links carry out of every log.

A survey link ``/s/<token>/`` is a password for one participant's answers, a calendar feed
``/calendar/<token>.ics`` shows one person's module dates; a sign-in link
(django-sesame's ``?sesame=<key>``) and a password-reset link (``/reset/<uid>/<key>/``) sign
someone in. Web servers log every request line, and Django's request and server loggers write the
path of every 4xx answer (an expired link is a 404), so ``redact_link_secrets`` is the one place
that knows these URL shapes: the logging filter below uses it for the app's own logs and runserver's
access lines (settings.LOGGING), and ``GunicornLogger`` for gunicorn's access and error logs
(config/gunicorn.conf.py).
"""

import logging
import re

from gunicorn import glogging

REDACTED = "[redacted]"
# (pattern, replacement): what precedes the secret is kept, so a log line still shows the page.
_SECRETS = [
    # surveys/urls.py: /s/<token>/ (but not the answering page /s/answer/)
    (re.compile(r"/s/(?!answer/)[^/\s\"'?#]+"), "/s/" + REDACTED),
    # accounts/urls.py: a person's calendar feed, /calendar/<token>.ics
    (re.compile(r"/calendar/[^/\s\"'?#]+\.ics"), "/calendar/" + REDACTED + ".ics"),
    # django-sesame's query parameter (SESAME_TOKEN_NAME, "sesame" by default), also in a bare
    # query string such as gunicorn's %(q)s atom and in Referer headers
    (re.compile(r"(?<![\w-])(sesame=)[^&\s\"'#]+"), r"\g<1>" + REDACTED),
    # django.contrib.auth's reset/<uidb64>/<token>/ (Django replaces the key by "set-password")
    (re.compile(r"(/reset/[^/\s\"'?#]+/)(?!set-password/)[^/\s\"'?#]+"), r"\g<1>" + REDACTED),
]


def redact_link_secrets(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactLinkSecrets(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        redacted = redact_link_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class GunicornLogger(glogging.Logger):
    """gunicorn's logger with every access-log atom redacted, whatever ``access_log_format`` uses
    (request line, path, query, Referer, raw environ values), and its error log filtered."""

    def setup(self, cfg):
        super().setup(cfg)
        # setup() runs again on every reload (SIGHUP); the logger object is the same.
        if not any(isinstance(f, RedactLinkSecrets) for f in self.error_log.filters):
            self.error_log.addFilter(RedactLinkSecrets())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact_link_secrets(value) if isinstance(value, str) else value for key, value in atoms.items()}
