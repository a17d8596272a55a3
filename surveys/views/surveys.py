"""Facilitator pages for a cohort's module surveys.

Access: cohorts.middleware.CohortAccessMiddleware lets only the cohort's facilitators and staff
in; every sub-object is looked up inside ``request.cohort`` (surveys.views.base).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from common.audit import audit_export
from common.drawn import drawn
from common.drawn_forms import empty_form_drawn
from common.views import CohortPageMixin, ServiceFormView
from surveys import disclosure, exports, selectors, services
from surveys.forms import CohortSurveySettingsForm, SurveySettingsForm
from surveys.models import Invitation, Survey

from .base import module_and_survey, module_with_survey, survey_of_module, survey_url


class SurveyListView(CohortPageMixin, ServiceFormView):
    """The cohort's surveys, and the settings its next surveys are created with."""

    template_name = "surveys/survey_list.html"
    form_class = CohortSurveySettingsForm
    success_message = gettext_lazy("Survey settings saved. They apply to surveys not yet created.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "cohort": self.request.cohort}

    @cached_property
    def settings(self):
        """The cohort's own survey settings and its programme's defaults, read once for the page."""
        return services.survey_settings_for_cohort(cohort=self.request.cohort)

    def get_initial(self):
        current, _programme = self.settings
        return {"question_set": current and current.question_set, "privacy": current and current.privacy}

    def get_context_data(self, **kwargs):
        question_set, privacy = services.survey_defaults_for_cohort(cohort=self.request.cohort, settings=self.settings)
        context = super().get_context_data(
            rows=selectors.survey_list_for_cohort(cohort=self.request.cohort),
            default_question_set=question_set,
            default_privacy=Survey.Privacy(privacy).label,
            **kwargs,
        )
        context["form_drawn"] = empty_form_drawn(context["form"])
        return context

    def perform(self, form):
        return services.cohort_survey_settings_update(cohort=self.request.cohort, **form.cleaned_data)

    def get_success_url(self):
        return reverse("surveys:survey_list", kwargs={"cohort_pk": self.request.cohort.pk})


INVITATION_LINKS = "surveys/partials/_invitation_links.html"


class SurveyDetailView(CohortPageMixin, ServiceFormView):
    """Settings, state and each participant's invitation, with a way to copy a fresh link."""

    template_name = "surveys/survey_detail.html"
    form_class = SurveySettingsForm
    success_message = gettext_lazy("Survey settings saved.")

    def dispatch(self, request, *args, **kwargs):
        self.module, self.survey = module_and_survey(request, kwargs["number"])
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.survey is None:
            raise Http404
        return super().post(request, *args, **kwargs)

    def get_form(self, form_class=None):
        # Before the survey exists the page offers to prepare or open it, with no settings form.
        return None if self.survey is None else super().get_form(form_class)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "survey": self.survey}

    def get_context_data(self, **kwargs):
        context = {"module": self.module, "survey": self.survey}
        if self.survey is not None:
            table = selectors.invitation_list_for_survey(survey=self.survey, cohort_pk=self.request.cohort.pk)
            context |= {
                "invitations": table["invitations"],
                "invitation_table": drawn(INVITATION_LINKS, table),
                "has_responses": self.survey.responses.exists(),
            }
        else:
            question_set, privacy = services.survey_defaults_for_cohort(cohort=self.request.cohort)
            context |= {"default_question_set": question_set, "default_privacy": Survey.Privacy(privacy).label}
        context = super().get_context_data(**context, **kwargs)
        if context.get("form") is not None:
            context["form_drawn"] = empty_form_drawn(context["form"])
        return context

    def perform(self, form):
        return services.survey_update(survey=self.survey, **form.cleaned_data)

    def get_success_url(self):
        return survey_url(self.survey)


class SurveyCreateView(View):
    """POST: prepare the survey as a draft, so its settings can be changed before it opens."""

    def post(self, request, cohort_pk, number):
        survey = services.survey_get_or_create_draft(module=module_with_survey(request, number))
        return redirect(survey_url(survey))


class SurveyOpenView(CohortPageMixin, TemplateView):
    """GET: what "open the survey now" would do (how many people it e-mails), or why it cannot yet;
    POST: open it (normally it opens when the module is marked delivered)."""

    template_name = "surveys/survey_open.html"

    def dispatch(self, request, *args, **kwargs):
        self.module = module_with_survey(request, kwargs["number"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        survey = Survey.objects.filter(module=self.module).first()
        return super().get_context_data(
            module=self.module,
            survey=survey,
            has_started=self.module.starts_at <= timezone.now(),
            invitee_count=selectors.survey_invitee_count(module=self.module),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        try:
            survey = services.survey_open_now(module=self.module, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("surveys:survey_detail", cohort_pk=request.cohort.pk, number=self.module.number)
        messages.success(request, _("The survey is open; the invitations are being sent."))
        return redirect(survey_url(survey, "surveys:invitation_delivery"))


class InvitationLinkCreateView(View):
    """POST: issue a fresh link for one participant, shown once so the facilitator can copy it."""

    template_name = "surveys/invitation_link.html"

    def post(self, request, cohort_pk, number, pk):
        survey = survey_of_module(request, number)
        invitation = get_object_or_404(Invitation.objects.select_related("membership__person"), survey=survey, pk=pk)
        if survey.status != Survey.Status.OPEN:
            messages.error(request, _("Links can only be made while the survey is open."))
            return redirect(survey_url(survey))
        token = services.invitation_issue_token(invitation=invitation)
        link = request.build_absolute_uri(reverse("surveys:answer_start", kwargs={"token": token}))
        context = {"cohort": request.cohort, "survey": survey, "invitation": invitation, "link": link}
        response = render(request, self.template_name, context)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response


BREADCRUMBS = "surveys/partials/_breadcrumbs.html"
RESULTS_RATE = "surveys/partials/_results_rate.html"
RESULTS_QUESTIONS = "surveys/partials/_results_questions.html"


class SurveyResultsView(CohortPageMixin, TemplateView):
    template_name = "surveys/survey_results.html"

    def get_context_data(self, **kwargs):
        survey = survey_of_module(self.request, self.kwargs["number"])
        results = selectors.survey_results(survey=survey, read_with_relations=True)
        cohort = self.request.cohort
        # Safe, as blocktranslate's asvar gives it: our translation and a number.
        here = mark_safe(_("Module %(number)s results") % {"number": survey.module.number})  # noqa: S308
        breadcrumbs = drawn(BREADCRUMBS, {"cohort": {"pk": cohort.pk, "name": cohort.name}, "here": here})
        results_rate = drawn(RESULTS_RATE, selectors.results_rate_values(results, cohort_pk=cohort.pk))
        question_results = drawn(RESULTS_QUESTIONS, selectors.results_values(results)) if results.visible else ""
        return super().get_context_data(
            module=survey.module,
            survey=survey,
            results=results,
            breadcrumbs=breadcrumbs,
            results_rate=results_rate,
            question_results=question_results,
            **kwargs,
        )


class SurveyExportView(View):
    def get(self, request, cohort_pk, number, fmt):
        if fmt not in ("csv", "xlsx"):
            raise Http404
        survey = survey_of_module(request, number)
        responses = selectors.survey_response_count(survey_pk=survey.pk)
        if not disclosure.figures_visible(survey=survey, responses=responses):
            if disclosure.figures_wait_for_close(survey):
                messages.error(request, _("The export is available once the survey has closed."))
            else:
                messages.error(request, _("Fewer than three people have answered; the export is not available."))
            return redirect(survey_url(survey, "surveys:survey_results"))
        audit_export(request, what=f"survey responses ({fmt}, {survey.get_privacy_display().lower()})", obj=survey)
        if fmt == "xlsx":
            return exports.xlsx_response(survey, responses=responses)
        return exports.csv_response(survey, responses=responses)


TREND_SECTIONS = "surveys/partials/_trend_sections.html"


class SurveyTrendsView(CohortPageMixin, TemplateView):
    template_name = "surveys/survey_trends.html"

    def get_context_data(self, **kwargs):
        surveys, trends = selectors.survey_trends_for_cohort(cohort=self.request.cohort)
        trend_sections = drawn(TREND_SECTIONS, selectors.trend_values(trends)) if trends else ""
        return super().get_context_data(surveys=surveys, trend_sections=trend_sections, **kwargs)
