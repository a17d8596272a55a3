"""What an error report may carry off the server: no survey token, sign-in key or feed address.

An error report (sentry-sdk's event, Django's mail to ADMINS) holds the request's URL, query
string, headers, cookies, form fields and log lines, any of which may carry a personal link's
secret. ``scrub`` goes through such a structure and applies ``common.logging.redact_link_secrets``
(the one place that knows the URL shapes) to every string, and blanks values whose name says they
are a secret, whatever the URL.
"""

import re

from django.utils import log
from django.views import debug

from .logging import REDACTED, redact_link_secrets

# Names of fields, headers, cookies and query parameters whose value is blanked outright.
SECRET_NAMES = re.compile(r"sesame|token|csrf|session|cookie|password|secret|authorization|lc_survey|api.?key", re.I)


def scrub(value, name: str = ""):
    """A copy of ``value`` (dicts, lists, tuples, strings) with link secrets and named secrets removed."""
    if name and SECRET_NAMES.search(name) and isinstance(value, str | bytes | int):
        return REDACTED
    if isinstance(value, str):
        return redact_link_secrets(value)
    if isinstance(value, dict):
        return {key: scrub(item, str(key)) for key, item in value.items()}
    if isinstance(value, list | tuple):
        # Headers and query pairs arrive as [name, value] pairs.
        if len(value) == 2 and isinstance(value[0], str) and SECRET_NAMES.search(value[0]):
            return type(value)([value[0], REDACTED])
        return type(value)(scrub(item) for item in value)
    return value


class AdminEmailHandler(log.AdminEmailHandler):
    """Django's mail to ADMINS about a server error, with link secrets removed from the subject and
    the report (its URL, query string and the log message itself)."""

    # The report lists GET parameters as ``name = 'value'``.
    REPORT_PARAMETER = re.compile(r"^(\s*\S*(?:sesame|token)\S*\s*=\s*).+$", re.I | re.M)

    def _scrub(self, text: str) -> str:
        return self.REPORT_PARAMETER.sub(r"\g<1>" + REDACTED, redact_link_secrets(text))

    def send_mail(self, subject, message, *args, **kwargs):
        if kwargs.get("html_message"):
            kwargs["html_message"] = redact_link_secrets(kwargs["html_message"])
        super().send_mail(self._scrub(subject), self._scrub(message), *args, **kwargs)


class ExceptionReporterFilter(debug.SafeExceptionReporterFilter):
    """Django's filter for error reports, also hiding sign-in keys and survey tokens posted in forms."""

    hidden_settings = re.compile(debug.SafeExceptionReporterFilter.hidden_settings.pattern + "|SESAME", flags=re.I)

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if request is None:
            return parameters
        parameters = parameters.copy()
        for name in list(parameters):
            if re.search(r"sesame|token", name, re.I):
                parameters[name] = self.cleansed_substitute
        return parameters


def sentry_before_send(event, hint):
    return scrub(event)


def sentry_before_breadcrumb(crumb, hint):
    return scrub(crumb)


def sentry_init(*, dsn: str, environment: str) -> None:
    """Report errors to Sentry (or a compatible service), scrubbed, without personal data."""
    import sentry_sdk  # only where a DSN is set
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,  # no user names, e-mail addresses, IP addresses, cookies
        include_local_variables=False,  # a frame's variables may hold answers or tokens
        max_request_body_size="never",  # no form fields: survey answers are personal
        traces_sample_rate=0,
        before_send=sentry_before_send,
        before_breadcrumb=sentry_before_breadcrumb,
    )
