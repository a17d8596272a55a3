"""Project-wide views: password sign-in with rate limits, the page for any rate-limited request, and
the one view pattern every app's form pages follow (ARCHITECTURE.md).

A page with a form: the form validates the input, one service call does the work, a
``ValidationError`` from the service goes back onto the form (field errors on their field), and the
view deals with HTTP only: who may see it, messages, redirects and status codes.
"""

import sys

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import FormView
from django.views.generic.base import TemplateResponseMixin
from django.views.generic.edit import FormMixin

from . import exports as spreadsheets
from . import health
from . import ratelimit as limits
from .audit import audit_export
from .forms import LoginForm, form_add_service_errors
from .versions import is_stale


def ratelimited(request, exception=None):
    """RATELIMIT_VIEW: a clear 429 page instead of django-ratelimit's default 403."""
    response = render(request, "429.html", status=429)
    # The URL may hold a survey token: keep it out of caches and of the Referer of any link followed.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def server_error(request):
    """handler500: the database being unreachable (restarted, failed over) is a 503 that asks
    people to try again in a minute; anything else is the plain 500 page. Both templates are
    static: nothing here may need the database. With ATOMIC_REQUESTS the request's writes were
    rolled back whole."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "60"
    else:
        response = HttpResponseServerError(loader.get_template("500.html").render())
    response["Cache-Control"] = "no-store"
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


class CohortPageMixin:
    """Pages under ``/cohorts/<cohort_pk>/``: the access middleware has put the cohort on the request."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("cohort", getattr(self.request, "cohort", None))
        return context


class StaffPageMixin:
    """Pages for the provider's staff only (``is_staff``): anyone else signed in gets 404, as for a
    cohort that is not theirs, so that nobody learns what exists."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class CohortSpreadsheetView(View):
    """A cohort's named data as a CSV or XLSX download (``<fmt>`` in the URL), streamed and
    formula-safe (``common.exports``), and recorded in the audit trail: who downloaded what. Access is
    the cohort middleware's (facilitators of the cohort and staff by default). A subclass gives
    ``what`` (for the audit), ``sheet_title``, ``rows(cohort)`` and ``filename(cohort)``."""

    what = ""
    sheet_title = ""

    def rows(self, cohort):
        raise NotImplementedError

    def filename(self, cohort) -> str:
        raise NotImplementedError

    def get(self, request, *args, fmt, **kwargs):
        if fmt not in spreadsheets.FORMATS:
            raise Http404
        cohort = request.cohort
        audit_export(request, what=f"{self.what} ({fmt})", obj=cohort)
        return spreadsheets.spreadsheet_response(fmt, self.rows(cohort), self.filename(cohort), str(self.sheet_title))


class ServiceFormMixin(FormMixin):
    """The one form pattern: subclasses set ``form_class`` and implement ``perform(form)`` (one service
    call, its result kept as ``self.result``) and ``get_success_url()``. A form that does not validate,
    or a service that refuses, answers 400 with the errors on the form."""

    success_message = ""

    def perform(self, form):
        raise NotImplementedError(f"{type(self).__name__} must say which service does the work")

    def get_success_message(self) -> str:
        return self.success_message

    def form_valid(self, form):
        try:
            self.result = self.perform(form)
        except ValidationError as error:
            if is_stale(error):
                return self.form_stale(error)
            form_add_service_errors(form, error)
            return self.form_invalid(form)
        message = self.get_success_message()
        if message:
            messages.success(self.request, message)
        return self.done()

    def done(self):
        """The answer to a post that was saved: by default a redirect to ``get_success_url()``
        (post, redirect, get)."""
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def reload(self):
        """Read again what the page shows (after someone else saved it): views whose form carries a
        version (common.versions) override this."""

    def form_stale(self, error):
        """Someone else saved first: the page drawn again from what is saved now (their changes),
        with the message, answering 409. Nothing of this post was saved."""
        self.reload()
        kwargs = {key: value for key, value in self.get_form_kwargs().items() if key not in ("data", "files")}
        form = self.get_form_class()(**kwargs)
        form.cleaned_data = {}  # an unbound form has none; add_error expects it
        form.add_error(None, error)
        return self.render_to_response(self.get_context_data(form=form), status=409)


class ServiceFormView(ServiceFormMixin, FormView):
    """A page with a form (``template_name``): GET shows it, POST sends it."""


class ServiceFormPostView(ServiceFormMixin, TemplateResponseMixin, View):
    """A form sent from another page, with no page of its own: POST only. A refused form is shown on
    that page again: subclasses override ``form_invalid`` to draw it (status 400)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        return self.form_valid(form) if form.is_valid() else self.form_invalid(form)


@method_decorator([login_not_required, transaction.non_atomic_requests], name="dispatch")
class HealthView(View):
    """``/healthz`` for a load balancer or uptime monitor: 200 when the database, the cache and the
    broker all answer, 503 otherwise, with each part's state and nothing else."""

    def get(self, request):
        checks = health.health_check()
        healthy = all(state == "ok" for state in checks.values())
        response = JsonResponse(
            {"status": "ok" if healthy else "down", "checks": checks}, status=200 if healthy else 503
        )
        response["Cache-Control"] = "no-store"
        return response
