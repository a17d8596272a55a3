"""The evaluation pages for a cohort's facilitators and staff: the overview, the self-assessment
change, the Kirkpatrick evaluation and follow-up results, and the choice of consented quotes.

Who may open them is checked by CohortAccessMiddleware (``cohort_access = FACILITATOR``).
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from cohorts.access import FACILITATOR
from common.views import CohortPageMixin, ServiceFormPostView, ServiceFormView
from surveys.models import Survey

from . import quote_selectors, quote_services, result_selectors, scheduling, selectors
from .forms import FollowUpDateForm, QuoteMoveForm, QuoteSourceForm


class EvaluationPageMixin(CohortPageMixin):
    cohort_access = FACILITATOR


class EvaluationOverviewView(EvaluationPageMixin, TemplateView):
    template_name = "evaluation/evaluation_overview.html"

    def get_context_data(self, **kwargs):
        cohort = self.request.cohort
        surveys = result_selectors.evaluation_survey_figures(cohort=cohort)
        quotes_selected, quotes_available = quote_selectors.quote_counts(cohort=cohort)
        return super().get_context_data(
            survey_rows=[(kind, kind.label, surveys.get(kind)) for kind in Survey.Kind if kind != Survey.Kind.MODULE],
            practice=selectors.practice_totals(cohort=cohort),
            quotes_selected=quotes_selected,
            quotes_available=quotes_available,
            evaluation_dates=selectors.cohort_evaluation_dates(cohort=cohort),
            **kwargs,
        )


class FollowUpDateUpdateView(EvaluationPageMixin, ServiceFormView):
    """When the follow-up survey opens (a date per cohort; by default module 6's day + 3 months)."""

    template_name = "evaluation/follow_up_date_update.html"
    form_class = FollowUpDateForm
    success_message = _("The follow-up survey's date is saved.")

    def get_initial(self):
        return {"follow_up_on": selectors.cohort_evaluation_dates(cohort=self.request.cohort).follow_up_on}

    def perform(self, form):
        return scheduling.cohort_evaluation_follow_up_set(cohort=self.request.cohort, **form.cleaned_data)

    def get_success_url(self):
        return reverse("evaluation:evaluation_overview", kwargs={"cohort_pk": self.request.cohort.pk})


class SelfAssessmentResultsView(EvaluationPageMixin, TemplateView):
    template_name = "evaluation/self_assessment_results.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            results=result_selectors.self_assessment_results(cohort=self.request.cohort), **kwargs
        )


class LevelResultsView(EvaluationPageMixin, TemplateView):
    """The end-of-programme evaluation by Kirkpatrick level, or the follow-up by topic."""

    template_name = "evaluation/level_results.html"
    kind = Survey.Kind.EVALUATION

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            kind=self.kind,
            kind_label=Survey.Kind(self.kind).label,
            level=result_selectors.survey_results_by_level(cohort=self.request.cohort, kind=self.kind),
            **kwargs,
        )


class QuoteListView(EvaluationPageMixin, TemplateView):
    template_name = "evaluation/quote_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(board=quote_selectors.quote_board(cohort=self.request.cohort), **kwargs)


class QuoteActionMixin(EvaluationPageMixin):
    """Forms posted from the quotes page; a refused one draws that page again (400)."""

    form_class = QuoteSourceForm
    template_name = "evaluation/quote_list.html"

    def get_success_url(self):
        return reverse("evaluation:quote_list", kwargs={"cohort_pk": self.request.cohort.pk})

    def form_invalid(self, form):
        board = quote_selectors.quote_board(cohort=self.request.cohort)
        return self.render_to_response(self.get_context_data(board=board, error_form=form), status=400)

    def get_context_data(self, **kwargs):
        return {"view": self, "cohort": self.request.cohort, **kwargs}


class QuoteSelectView(QuoteActionMixin, ServiceFormPostView):
    success_message = _("Quote added to the report.")

    def perform(self, form):
        return quote_services.quote_select(cohort=self.request.cohort, key=form.cleaned_data["source"])


class QuoteDeselectView(QuoteActionMixin, ServiceFormPostView):
    success_message = _("Quote taken out of the report.")

    def perform(self, form):
        return quote_services.quote_deselect(cohort=self.request.cohort, key=form.cleaned_data["source"])


class QuoteMoveView(QuoteActionMixin, ServiceFormPostView):
    form_class = QuoteMoveForm

    def perform(self, form):
        return quote_services.quote_move(
            cohort=self.request.cohort, key=form.cleaned_data["source"], up=form.cleaned_data["direction"] == "up"
        )
