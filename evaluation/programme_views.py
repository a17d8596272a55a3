"""The programme pages, for the provider's staff: every programme, and one programme's cohorts side by
side. They live in evaluation, the highest app whose data they show (cohorts, modules, surveys and the
self-assessment change), as ARCHITECTURE.md asks of a page showing several layers.

**Staff only.** A facilitator of one cohort of a programme does not see its other cohorts (their
people, attendance and results are not theirs to see), so the rule is simply ``is_staff``: everyone
else signed in gets 404 (``common.views.StaffPageMixin``), as for a cohort that is not theirs.
"""

from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from cohorts.models import Programme
from common.views import StaffPageMixin

from . import programme_selectors
from .programme_forms import ChartQuestionForm


class ProgrammeListView(StaffPageMixin, TemplateView):
    template_name = "evaluation/programme_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(programmes=list(programme_selectors.programme_list()), **kwargs)


class ProgrammeDetailView(StaffPageMixin, TemplateView):
    template_name = "evaluation/programme_detail.html"

    def get_context_data(self, **kwargs):
        programme = get_object_or_404(Programme.objects.select_related("provider"), pk=self.kwargs["programme_pk"])
        form = ChartQuestionForm(self.request.GET or None)
        comparison = programme_selectors.programme_comparison(programme=programme, question_code=form.question_chosen())
        if not form.is_bound:
            form = ChartQuestionForm(initial={"question": comparison.question_code})
        return super().get_context_data(programme=programme, comparison=comparison, question_form=form, **kwargs)
