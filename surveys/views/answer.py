"""Participants answering from their link, without an account: two requests, as a browser makes them.

The link ``/s/<token>/`` shows the questions at once and keeps the token in a signed, HttpOnly
cookie scoped to the answering pages (``/s/``); the form posts to the clean ``/s/answer/``, which
answers with the thank-you page itself (saved first, committed before it is sent). Two requests per
participant instead of four (link redirect, form, post redirect, thank-you): the journey is what a
participant waits for on a phone, and what a cohort's thirty submits after a module cost (issue 14).

The token does not linger where others see it: the answering page's script replaces the address
(and the tab's history entry) with ``/s/answer/`` as the page loads; later visits and the POST
carry the token in the cookie, never in a URL. A cookie rather than the database session: the
session table would then hold the token in clear, and for an anonymous survey the token is the
only thing that can find the response again. A reload of the thank-you page asks the browser to
send the answers again; saving is idempotent (the same answers replace themselves), so nothing is
doubled or lost.

Referrer and CSRF: the link page answers ``Referrer-Policy: strict-origin``, so no Referer holds
more than the site's origin (never the token's path), while its form POST still carries a real
``Origin``; the pages at ``/s/answer/`` hold no secret and answer ``same-origin``; the neutral "link
not valid" page answers ``no-referrer``. Django's own CSRF check (token and origin) applies to every
POST. On top of it, the token cookie is ``SameSite=Lax`` (a cross-site POST arrives without it) and
a Fetch Metadata check refuses any POST the browser marks as cross-site.
"""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views import View

from common import ratelimit as limits
from common.drawn import DrawnPageResponse
from common.ratelimit import ratelimits
from common.views import ServiceFormView
from surveys import structure
from surveys.forms import SurveyAnswerForm
from surveys.selectors import invitation_leading_on
from surveys.services import (
    ResponseLockedError,
    invitation_for_token,
    invitation_issue_token,
    response_for_token,
    response_save,
    survey_questions,
)

COOKIE = "lc_survey"
COOKIE_SALT = "surveys.answer"
COOKIE_PATH = "/s/"
QUESTIONS_TEMPLATE = "surveys/partials/_answer_questions.html"


def _private(response, referrer_policy="no-referrer"):
    response["Referrer-Policy"] = referrer_policy
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def link_not_valid(request):
    """One page, one status for unknown, closed and replaced links: nothing tells them apart."""
    return _private(render(request, "surveys/answer_unavailable.html", status=404))


def _token_from_cookie(request) -> str:
    return request.get_signed_cookie(COOKIE, default="", salt=COOKIE_SALT)


def _cross_site_post(request) -> bool:
    return request.method == "POST" and request.headers.get("Sec-Fetch-Site", "same-origin") not in (
        "same-origin",
        "none",
    )


def _set_version(survey) -> tuple:
    """What an empty answering form's fields and questions depend on: the question set's version,
    the privacy (the consent levels) and the language of their labels."""
    return survey.question_set_id, survey.question_set.updated_at, survey.privacy, translation.get_language()


def _module_and_cohort(survey) -> tuple:
    """What the answering pages' heading shows of the survey's module and cohort."""
    module = survey.module
    return (module.number, module.title) if module else (None, None), survey.cohort.name


class NoRequestTransactionMixin:
    """Outside ATOMIC_REQUESTS' request-wide transaction. The GETs only read; a POST is one
    transaction of its own, from its locked read to its write, committed before the thank-you page
    is drawn. The request-wide BEGIN and COMMIT would only add two round trips to every GET."""

    @classmethod
    def as_view(cls, **initkwargs):
        return transaction.non_atomic_requests(super().as_view(**initkwargs))


@method_decorator(login_not_required, name="dispatch")
class AnswerView(NoRequestTransactionMixin, ServiceFormView):
    """The participant's questions; their answers are checked once, by the form, and saved by
    ``response_save``. Two outcomes are pages of their own rather than errors on the form: a link
    that stopped working while they answered, and an anonymous answer already given elsewhere.

    A save is answered with a short page of its own (the thank-you, the survey it may lead on to, a
    link back to the answers), not the whole form again, and not a redirect to it. Each request
    reads the invitation once (``invitation_for_token``) and the questions from the set version's
    cached structure (``survey_questions``); nothing is written to a session."""

    template_name = "surveys/answer_form.html"
    form_class = SurveyAnswerForm
    # The address holds no secret here (it is always /s/answer/): same-origin, see the docstring.
    referrer_policy = "same-origin"

    def dispatch(self, request, *args, **kwargs):
        self.invitation = None
        if not self._handles(request.method):
            # Refused before any lookup: a method the page does not answer tells nothing of a token.
            return self.http_method_not_allowed(request, *args, **kwargs)
        if _cross_site_post(request):
            return link_not_valid(request)
        self.response = None
        self.token = self.token_of(request, kwargs)
        if request.method != "POST":
            self.invitation = invitation_for_token(token=self.token)
            if self.invitation is None:
                return link_not_valid(request)
        # (A POST reads the invitation in its own transaction: see post.)
        return _private(super().dispatch(request, *args, **kwargs), referrer_policy=self.referrer_policy)

    def _handles(self, method: str) -> bool:
        method = method.lower()
        return method in self.http_method_names and hasattr(self, method)

    def token_of(self, request, kwargs) -> str:
        return _token_from_cookie(request)

    @cached_property
    def questions(self):
        return survey_questions(self.invitation.survey)

    def post(self, request, *args, **kwargs):
        # One transaction from the read to the write: the invitation is read once, locked for the
        # save (its survey and question set shared), and the answers are written under that lock.
        # The pages that follow are TemplateResponses, drawn after the commit.
        with transaction.atomic():
            self.invitation = invitation_for_token(token=self.token, lock=True)
            if self.invitation is None:
                return link_not_valid(request)
            return super().post(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if not self.invitation.has_responded:
            # Nothing to look up (a response always marks its invitation answered).
            return super().get(request, *args, **kwargs)
        self.response = response_for_token(invitation=self.invitation, token=self.token)
        if self.response is None and self.invitation.answer_is_final:
            return self._locked()
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        survey = self.invitation.survey
        levels = survey.quote_consent_levels
        # The fields depend only on the set's version (_set_version): made once, then shared by
        # every form (never changed by one).
        fields = structure.fragment(
            ("answer-fields", *_set_version(survey)), lambda: SurveyAnswerForm.fields_for(self.questions, levels)
        )
        return {**super().get_form_kwargs(), "questions": self.questions, "consent_levels": levels, "fields": fields}

    def get_initial(self):
        return SurveyAnswerForm.initial_from(self.response, self.questions)

    def get_context_data(self, **kwargs):
        survey = self.invitation.survey
        return super().get_context_data(survey=survey, module=survey.module, response=self.response, **kwargs)

    def render_to_response(self, context, **response_kwargs):
        form = context["form"]
        if form.is_bound or form.initial:
            return super().render_to_response(context, **response_kwargs)
        # Nobody's answers in it: the same page for every participant of this set version (the
        # questions, drawn once, and the page around them), but for the CSRF token.
        survey = self.invitation.survey
        key = ("answer-questions", *_set_version(survey))
        context["questions_html"] = structure.fragment(
            key, lambda: render_to_string(QUESTIONS_TEMPLATE, {"form": form, "survey": survey})
        )
        key += (survey.title, survey.closes_at, *_module_and_cohort(survey))
        return DrawnPageResponse(self.request, self.get_template_names(), context, key=key, **response_kwargs)

    def perform(self, form):
        return response_save(
            invitation=self.invitation, token=self.token, questions=self.questions, answers=form.answers, locked=True
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ResponseLockedError:
            return self._locked()

    def done(self):
        # The thank-you page is the POST's own answer: no redirect, one request fewer.
        return self._saved()

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, code="invalid_link"):
            # The survey closed (or the link went) while they were answering.
            return link_not_valid(self.request)
        return super().form_invalid(form)

    def _saved(self):
        survey = self.invitation.survey
        leading_on = invitation_leading_on(invitation=self.invitation)
        next_survey = leading_on.survey if leading_on else None
        context = {"survey": survey, "module": survey.module, "next_survey": next_survey}
        # The same thank-you page for everyone who answered this survey, but for the CSRF token.
        key = ("answer-saved", survey.pk, survey.title, survey.closes_at, *_module_and_cohort(survey))
        key += (next_survey.title if next_survey else None,)
        return DrawnPageResponse(self.request, "surveys/answer_saved.html", context, key=key)

    def _locked(self):
        return TemplateResponse(self.request, "surveys/answer_locked.html", {"survey": self.invitation.survey})


@method_decorator(login_not_required, name="dispatch")
# Over a limit: the 429 page (RATELIMIT_VIEW in settings), before any token is looked up. Per token
# first; per address only at a level no cohort behind one address reaches, which stops guessing.
@method_decorator(
    ratelimits(
        {"group": "survey-link-ip", "key": "ip", "rate": limits.SURVEY_LINK_RATE_PER_IP},
        {"group": "survey-link-token", "key": limits.token_key, "rate": limits.SURVEY_LINK_RATE_PER_TOKEN},
        # HEAD is answered as GET is (the cookie too): counted with it.
        method=["GET", "HEAD"],
    ),
    name="dispatch",
)
class AnswerStartView(AnswerView):
    """The e-mailed link: the answering page itself, the token taken from the address and kept in
    the cookie for what follows (the POST, later visits to ``/s/answer/``). GET only: the form
    posts to ``/s/answer/``."""

    http_method_names = ["get", "head"]
    # The address holds the token: no Referer may carry more than the origin (see the docstring).
    referrer_policy = "strict-origin"

    def token_of(self, request, kwargs) -> str:
        return kwargs["token"]

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if self.invitation is not None and response.status_code == 200:
            max_age = int((self.invitation.survey.closes_at - timezone.now()).total_seconds())
            response.set_signed_cookie(
                COOKIE,
                self.token,
                salt=COOKIE_SALT,
                max_age=max(max_age, 60),
                path=COOKIE_PATH,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response


@method_decorator(login_not_required, name="dispatch")
class AnswerNextView(View):
    """From a thank-you page to the survey it leads on to (the post self-assessment to the
    evaluation): a fresh link to the same participant's invitation, as "my programme" issues, then
    the usual link page. POST only, so that it writes nothing on a prefetch; protected as the
    answering page is (Django's CSRF check, link cookie, Fetch Metadata)."""

    http_method_names = ["post"]

    def post(self, request):
        if _cross_site_post(request):
            return link_not_valid(request)
        invitation = invitation_for_token(token=_token_from_cookie(request))
        leading_on = invitation_leading_on(invitation=invitation) if invitation else None
        if leading_on is None:
            return link_not_valid(request)
        token = invitation_issue_token(invitation=leading_on)
        return _private(redirect(reverse("surveys:answer_start", kwargs={"token": token})))
