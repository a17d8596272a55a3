"""Project-wide views: password sign-in with rate limits, and the page for any rate-limited request."""

from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils.decorators import method_decorator

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
