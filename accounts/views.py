"""Participants' way in: the "my programme" page and e-mailed sign-in links (django-sesame)."""

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from sesame import settings as sesame_settings

from common import ratelimit as limits
from common.drawn import drawn
from common.ratelimit import ratelimit
from common.views import ServiceFormPostView, ServiceFormView
from evaluation import quote_selectors, quote_services
from evaluation.forms import QuoteSourceForm

from . import selectors, services
from .calendar import modules_calendar
from .forms import SignInLinkForm

PROGRAMME_ENTRY = "accounts/partials/_programme_entry.html"


class MyProgrammeView(TemplateView):
    template_name = "accounts/my_programme.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entries = selectors.my_programme(user=self.request.user)
        context["entries"] = [drawn(PROGRAMME_ENTRY, selectors.programme_entry_values(entry)) for entry in entries]
        context["answer_form"] = any(row.can_answer for entry in entries for row in entry.open_surveys)
        return context


def _calendar_response(modules, *, filename: str | None) -> HttpResponse:
    name = gettext_lazy("Leadership Cohorts: my module dates")
    content = modules_calendar(modules=modules, name=str(name))
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class MyCalendarView(View):
    """The module dates of the person's cohorts as an .ics file to open in a calendar program."""

    def get(self, request):
        return _calendar_response(selectors.calendar_modules(user=request.user), filename="my-module-dates.ics")


class CalendarFeedManageView(TemplateView):
    """The personal calendar feed: GET says whether there is one; POST makes a new address (the old
    one stops working) and shows it, once: only its hash is kept."""

    template_name = "accounts/calendar_feed.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(feed=selectors.calendar_feed_of(user=self.request.user), **kwargs)

    def post(self, request):
        try:
            token = services.calendar_feed_create(user=request.user)
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(errors=error.messages), status=400)
        url = request.build_absolute_uri(reverse("accounts:calendar_feed", kwargs={"token": token}))
        return self.render_to_response(self.get_context_data(feed_url=url))


class CalendarFeedRevokeView(View):
    http_method_names = ["post"]

    def post(self, request):
        if services.calendar_feed_revoke(user=request.user):
            messages.success(request, gettext_lazy("Calendar feed switched off: its address no longer works."))
        return redirect("accounts:calendar_feed_manage")


@method_decorator(login_not_required, name="dispatch")
class CalendarFeedView(View):
    """The feed a calendar program subscribes to: the token in the URL is the only key. A switched-off
    feed, a disabled account or someone no longer in any cohort gets 404 (a withdrawn member's
    modules drop out of the feed; with none left, the feed is gone)."""

    def get(self, request, token):
        user = selectors.user_for_calendar_token(token=token)
        modules = selectors.calendar_modules(user=user) if user is not None else []
        if not modules:
            raise Http404
        response = _calendar_response(modules, filename=None)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex"
        return response


class MyQuotesView(TemplateView):
    """A participant's own answers and reflections they let us quote, with "withdraw consent"."""

    template_name = "accounts/my_quotes.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(quotes=quote_selectors.quotes_of_user(user=self.request.user), **kwargs)


class QuoteConsentWithdrawView(ServiceFormPostView):
    form_class = QuoteSourceForm
    template_name = "accounts/my_quotes.html"
    success_message = gettext_lazy("Consent withdrawn: this text will not be quoted.")

    def perform(self, form):
        return quote_services.quote_consent_withdraw(user=self.request.user, key=form.cleaned_data["source"])

    def get_success_url(self):
        return reverse("accounts:my_quotes")

    def form_invalid(self, form):
        quotes = quote_selectors.quotes_of_user(user=self.request.user)
        return self.render_to_response({"view": self, "quotes": quotes, "error_form": form}, status=400)


@method_decorator(login_not_required, name="dispatch")
# Too many requests from one network address: the 429 page (RATELIMIT_VIEW); it says nothing about
# any e-mail address.
@method_decorator(
    ratelimit(group="sign-in-link-ip", key="ip", rate=limits.SIGN_IN_LINK_RATE_PER_IP, method="POST"), name="post"
)
# Too many links for one address: the usual "check your e-mail" answer but nothing is sent, so the
# answer still does not tell who has an account and nobody can fill a person's inbox.
@method_decorator(
    ratelimit(
        group="sign-in-link-email",
        key=limits.email_key,
        rate=limits.SIGN_IN_LINK_RATE_PER_EMAIL,
        method="POST",
        block=False,
    ),
    name="post",
)
class SignInLinkRequestView(ServiceFormView):
    form_class = SignInLinkForm
    template_name = "accounts/sign_in_link_request.html"

    def perform(self, form):
        # The same answer whether or not the address is known: nobody learns who has an account.
        if not getattr(self.request, "limited", False):
            services.sign_in_link_send(email=form.cleaned_data["email"])

    def get_success_url(self):
        return reverse("accounts:sign_in_link_sent")


@method_decorator(login_not_required, name="dispatch")
class SignInLinkSentView(TemplateView):
    template_name = "accounts/sign_in_link_sent.html"


@method_decorator(login_not_required, name="dispatch")
class SignInLinkUseView(View):
    """Opening the link shows a button; only the POST signs in. Mail scanners that follow
    links (e.g. Safe Links in NHS mail) therefore cannot use up the single-use token."""

    template_name = "accounts/sign_in_link_use.html"

    def get(self, request):
        token = request.GET.get(sesame_settings.TOKEN_NAME, "")
        return render(request, self.template_name, {"token": token, "failed": not token})

    def post(self, request):
        token = request.POST.get(sesame_settings.TOKEN_NAME, "")
        user = authenticate(request, sesame=token) if token else None
        if user is None:
            return render(request, self.template_name, {"token": "", "failed": True}, status=400)
        login(request, user, backend="accounts.backends.SignInLinkBackend")
        return redirect(reverse("accounts:my_programme"))
