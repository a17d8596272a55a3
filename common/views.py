"""Project-wide views: password sign-in with rate limits, the page for any rate-limited request, and
the accessibility statement."""

import datetime

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from . import ratelimit as limits
from .forms import LoginForm


def ratelimited(request, exception=None):
    """RATELIMIT_VIEW: a clear 429 page instead of django-ratelimit's default 403."""
    response = render(request, "429.html", status=429)
    # The URL may hold a survey token: keep it out of caches and of the Referer of any link followed.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@method_decorator(limits.login_attempts_counted, name="post")
class LoginView(auth_views.LoginView):
    """Django's LoginView; over a limit the password is not checked and the form says why (429)."""

    form_class = LoginForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "limited": getattr(self.request, "limited", False)}

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.limited:
            response.status_code = 429
        return response


@method_decorator(login_not_required, name="dispatch")
class AccessibilityStatementView(TemplateView):
    """What was tested, what is known not to meet WCAG 2.2 AA and how to report a problem, as the
    public sector accessibility regulations ask; linked from every page's footer."""

    template_name = "common/accessibility_statement.html"
    # The regulations ask for a review at least once a year: change the date when it is done.
    prepared_on = datetime.date(2026, 12, 1)
    reviewed_on = datetime.date(2026, 12, 1)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            contact_email=settings.ACCESSIBILITY_CONTACT_EMAIL,
            prepared_on=self.prepared_on,
            reviewed_on=self.reviewed_on,
            **kwargs,
        )
