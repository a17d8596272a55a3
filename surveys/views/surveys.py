"""Facilitator pages for a cohort's module surveys.

Access: common.middleware.CohortAccessMiddleware lets only the cohort's facilitators and staff
in; every sub-object is looked up inside ``request.cohort``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from common.forms import form_add_service_errors
from modules.models import Module
from surveys import charts, disclosure, exports, selectors, services
from surveys.forms import CohortSurveySettingsForm, SurveySettingsForm
from surveys.models import Invitation, Survey


def _survey(request, number) -> Survey:
    module = get_object_or_404(Module, cohort=request.cohort, number=number)
    survey = Survey.objects.filter(module=module).select_related("module__cohort", "question_set").first()
    if survey is None:
        raise Http404
    return survey


def _survey_url(survey, name="surveys:survey_detail"):
    return reverse(name, kwargs={"cohort_pk": survey.module.cohort_id, "number": survey.module.number})


class SurveyListView(View):
    template_name = "surveys/survey_list.html"

    def get(self, request, cohort_pk, form=None, status=200):
        cohort = request.cohort
        current = getattr(cohort, "survey_settings", None)
        form = form or CohortSurveySettingsForm(
            cohort=cohort,
            initial={"question_set": current and current.question_set, "privacy": current and current.privacy},
        )
        question_set, privacy = services.survey_defaults_for_cohort(cohort=cohort)
        context = {
            "cohort": cohort,
            "rows": selectors.survey_list_for_cohort(cohort=cohort),
            "form": form,
            "default_question_set": question_set,
            "default_privacy": Survey.Privacy(privacy).label,
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request, cohort_pk):
        form = CohortSurveySettingsForm(request.POST, cohort=request.cohort)
        if not form.is_valid():
            return self.get(request, cohort_pk, form=form, status=400)
        try:
            services.cohort_survey_settings_update(
                cohort=request.cohort,
                question_set=form.cleaned_data["question_set"],
                privacy=form.cleaned_data["privacy"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
            return self.get(request, cohort_pk, form=form, status=400)
        messages.success(request, _("Survey settings saved. They apply to surveys not yet created."))
        return redirect("surveys:survey_list", cohort_pk=cohort_pk)


class SurveyDetailView(View):
    """Settings, state and each participant's invitation, with a way to copy a fresh link."""

    template_name = "surveys/survey_detail.html"

    def get(self, request, cohort_pk, number, form=None, status=200):
        module = get_object_or_404(Module, cohort=request.cohort, number=number, number__lte=5)
        survey = Survey.objects.filter(module=module).select_related("module__cohort", "question_set").first()
        context = {"cohort": request.cohort, "module": module, "survey": survey}
        if survey is not None:
            context |= {
                "form": form or SurveySettingsForm(survey=survey),
                "invitations": selectors.invitation_list_for_survey(survey=survey),
                "has_responses": survey.responses.exists(),
            }
        else:
            question_set, privacy = services.survey_defaults_for_cohort(cohort=request.cohort)
            context |= {"default_question_set": question_set, "default_privacy": Survey.Privacy(privacy).label}
        return render(request, self.template_name, context, status=status)

    def post(self, request, cohort_pk, number):
        survey = _survey(request, number)
        form = SurveySettingsForm(request.POST, survey=survey)
        if not form.is_valid():
            return self.get(request, cohort_pk, number, form=form, status=400)
        try:
            services.survey_update(survey=survey, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
            return self.get(request, cohort_pk, number, form=form, status=400)
        messages.success(request, _("Survey settings saved."))
        return redirect(_survey_url(survey))


class SurveyCreateView(View):
    """Prepare the survey as a draft, so its settings can be changed before it opens."""

    def post(self, request, cohort_pk, number):
        module = get_object_or_404(Module, cohort=request.cohort, number=number, number__lte=5)
        survey = services.survey_get_or_create_draft(module=module)
        return redirect(_survey_url(survey))


class SurveyOpenView(View):
    """Open the survey now (normally it opens when the module is marked delivered)."""

    def post(self, request, cohort_pk, number):
        module = get_object_or_404(Module, cohort=request.cohort, number=number, number__lte=5)
        survey = services.survey_open_and_invite(module=module)
        messages.success(request, _("The survey is open; the invitations are being sent."))
        return redirect(_survey_url(survey))


class InvitationLinkCreateView(View):
    """Issue a fresh link for one participant, shown once so the facilitator can copy it."""

    template_name = "surveys/invitation_link.html"

    def post(self, request, cohort_pk, number, pk):
        survey = _survey(request, number)
        invitation = get_object_or_404(Invitation.objects.select_related("membership__person"), survey=survey, pk=pk)
        if survey.status != Survey.Status.OPEN:
            messages.error(request, _("Links can only be made while the survey is open."))
            return redirect(_survey_url(survey))
        token = services.invitation_issue_token(invitation=invitation)
        link = request.build_absolute_uri(reverse("surveys:answer_start", kwargs={"token": token}))
        response = render(
            request,
            self.template_name,
            {"cohort": request.cohort, "survey": survey, "invitation": invitation, "link": link},
        )
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response


class SurveyResultsView(View):
    template_name = "surveys/survey_results.html"

    def get(self, request, cohort_pk, number):
        survey = _survey(request, number)
        results = selectors.survey_results(survey=survey)
        charts_by_question = {
            r.question.pk: charts.bar_chart(r.bars) for r in results.questions if r.bars and results.visible
        }
        context = {
            "cohort": request.cohort,
            "module": survey.module,
            "survey": survey,
            "results": results,
            "rows": [(r, charts_by_question.get(r.question.pk)) for r in results.questions],
        }
        return render(request, self.template_name, context)


class SurveyExportView(View):
    def get(self, request, cohort_pk, number, fmt):
        if fmt not in ("csv", "xlsx"):
            raise Http404
        survey = _survey(request, number)
        if not disclosure.figures_visible(survey=survey, responses=survey.responses.count()):
            if disclosure.figures_wait_for_close(survey):
                messages.error(request, _("The export is available once the survey has closed."))
            else:
                messages.error(request, _("Fewer than three people have answered; the export is not available."))
            return redirect(_survey_url(survey, "surveys:survey_results"))
        if fmt == "xlsx":
            return exports.xlsx_response(survey)
        return exports.csv_response(survey)


class SurveyTrendsView(View):
    template_name = "surveys/survey_trends.html"

    def get(self, request, cohort_pk):
        surveys, trends = selectors.survey_trends_for_cohort(cohort=request.cohort)
        items = []
        for trend in trends:
            low, high = (-100, 100) if trend.kind == "nps" else (1, 5)
            items.append((trend, charts.line_chart(trend.points, low=low, high=high)))
        return render(request, self.template_name, {"cohort": request.cohort, "surveys": surveys, "items": items})
