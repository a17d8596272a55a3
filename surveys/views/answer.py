"""Participants answering from their link, without an account.

The token from the e-mailed link is moved at once into a signed, HttpOnly cookie scoped to the
answering pages and the browser is redirected to a clean URL, so the token does not linger in the
address bar or history. A cookie rather than the database session: the session table would then
hold the token in clear, and for an anonymous survey the token is the only thing that can find
the response again.

CSRF: these pages must send ``Referrer-Policy: no-referrer``, and under that policy browsers send
``Origin: null`` with the form POST, which Django's CSRF origin check rejects. The answering view is
therefore exempt from Django's check and protected instead by (1) the token cookie being
``SameSite=Lax``, so a cross-site POST arrives without it and gets the neutral page, and (2) a
Fetch Metadata check refusing any POST the browser marks as cross-site.
"""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from common import ratelimit as limits
from common.ratelimit import ratelimit
from surveys.forms import SurveyAnswerForm
from surveys.services import (
    ResponseLockedError,
    invitation_for_token,
    response_for_token,
    response_submit,
    survey_questions,
)

COOKIE = "lc_survey"
COOKIE_SALT = "surveys.answer"
COOKIE_PATH = "/s/"


def _private(response):
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def link_not_valid(request):
    """One page, one status for unknown, closed and replaced links: nothing tells them apart."""
    return _private(render(request, "surveys/answer_unavailable.html", status=404))


def _token_from_cookie(request) -> str:
    return request.get_signed_cookie(COOKIE, default="", salt=COOKIE_SALT)


@method_decorator(login_not_required, name="dispatch")
# Over the limit: the 429 page (RATELIMIT_VIEW in settings), before any token is looked up.
@method_decorator(
    ratelimit(group="survey-link", key="ip", rate=limits.SURVEY_LINK_RATE_PER_IP, method="GET"), name="get"
)
class AnswerStartView(View):
    def get(self, request, token):
        invitation = invitation_for_token(token=token)
        if invitation is None:
            return link_not_valid(request)
        response = _private(redirect("surveys:answer"))
        max_age = int((invitation.survey.closes_at - timezone.now()).total_seconds())
        response.set_signed_cookie(
            COOKIE,
            token,
            salt=COOKIE_SALT,
            max_age=max(max_age, 60),
            path=COOKIE_PATH,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
        return response


@method_decorator([login_not_required, csrf_exempt], name="dispatch")
class AnswerView(View):
    template_name = "surveys/answer_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and request.headers.get("Sec-Fetch-Site", "same-origin") not in (
            "same-origin",
            "none",
        ):
            return link_not_valid(request)
        self.token = _token_from_cookie(request)
        self.invitation = invitation_for_token(token=self.token)
        if self.invitation is None:
            return link_not_valid(request)
        self.questions = survey_questions(self.invitation.survey)
        return super().dispatch(request, *args, **kwargs)

    def _render(self, form, *, response=None, status=200, saved=False):
        context = {
            "form": form,
            "survey": self.invitation.survey,
            "module": self.invitation.survey.module,
            "response": response,
            "saved": saved,
        }
        return _private(render(self.request, self.template_name, context, status=status))

    def get(self, request):
        response = response_for_token(invitation=self.invitation, token=self.token)
        if response is None and self.invitation.answer_is_final:
            return _private(render(request, "surveys/answer_locked.html", {"survey": self.invitation.survey}))
        form = SurveyAnswerForm(questions=self.questions, initial=SurveyAnswerForm.initial_from(response))
        return self._render(form, response=response, saved=request.GET.get("saved") == "1")

    def post(self, request):
        form = SurveyAnswerForm(request.POST, questions=self.questions)
        if not form.is_valid():
            return self._render(form, status=400)
        try:
            response_submit(invitation=self.invitation, token=self.token, raw_answers=form.raw_answers)
        except ResponseLockedError:
            return _private(render(request, "surveys/answer_locked.html", {"survey": self.invitation.survey}))
        except ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_link":
                return link_not_valid(request)
            for code, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(f"q_{code}" if f"q_{code}" in form.fields else None, message)
            return self._render(form, status=400)
        return _private(redirect(f"{request.path}?saved=1"))
