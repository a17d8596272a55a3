"""The PDSA pages of a cohort: each surveyed module's cycle (Plan, Do, Study with the survey's
headline figures, Act) and the timeline of all five.

The PDSA records, their forms and their write service belong to ``modules``; these pages live here
because the Study step shows survey results. Access: cohorts.middleware.CohortAccessMiddleware (the
cohort's facilitators and staff); modules are looked up inside ``request.cohort``.
"""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from common.drawn import drawn
from common.drawn_forms import empty_fields_drawn
from common.views import CohortPageMixin, ServiceFormView
from modules import services as module_services
from modules.forms import PDSACycleForm, act_item_formset
from surveys import selectors

# The record's text fields, drawn by crispy-forms one by one between the page's own parts.
PDSA_FIELDS = ("plan_intent", "plan_prediction", "do_notes", "study_reading")


class PDSACycleUpdateView(CohortPageMixin, ServiceFormView):
    """Record a module's PDSA cycle: Plan, Do, Study and the Act list (a formset beside the form)."""

    template_name = "surveys/pdsacycle_update.html"
    form_class = PDSACycleForm

    def dispatch(self, request, *args, **kwargs):
        self.reload(data=request.POST if request.method == "POST" else None)
        return super().dispatch(request, *args, **kwargs)

    def reload(self, data=None):
        self.entry, self.modules = selectors.pdsa_entry_for_module(
            cohort=self.request.cohort, number=self.kwargs["number"]
        )
        if self.entry is None:
            raise Http404
        self.formset = act_item_formset(data=data, items=self.entry.act_items)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid() and self.formset.is_valid():
            return self.form_valid(form)
        return self.form_invalid(form)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        del kwargs["initial"]  # the form takes its initial values from the cycle
        return {**kwargs, "cycle": self.entry.cycle}

    def get_context_data(self, **kwargs):
        entry = self.entry
        context = super().get_context_data(
            entry=entry, module=entry.module, modules=self.modules, formset=self.formset, **kwargs
        )
        context["fields_drawn"] = empty_fields_drawn(context["form"], PDSA_FIELDS)
        return context

    def perform(self, form):
        changes = [change for f in self.formset.forms if (change := f.change()) is not None]
        fields = {name: value for name, value in form.cleaned_data.items() if name != "version"}
        return module_services.pdsa_cycle_update(
            module=self.entry.module,
            act_items=changes,
            by=self.request.user,
            seen_version=form.cleaned_data["version"],
            **fields,
        )

    def get_success_message(self):
        return _("PDSA cycle for module %(number)s saved.") % {"number": self.entry.module.number}

    def get_success_url(self):
        return reverse(
            "surveys:pdsa_cycle_update",
            kwargs={"cohort_pk": self.request.cohort.pk, "number": self.entry.module.number},
        )


TIMELINE_ENTRY = "surveys/partials/_pdsa_timeline_entry.html"


class PDSATimelineView(CohortPageMixin, TemplateView):
    template_name = "surveys/pdsa_timeline.html"

    def get_context_data(self, **kwargs):
        cohort = self.request.cohort
        entries = [
            drawn(TIMELINE_ENTRY, selectors.pdsa_entry_values(entry, cohort_pk=cohort.pk))
            for entry in selectors.pdsa_timeline_for_cohort(cohort=cohort)
        ]
        return super().get_context_data(entries=entries, **kwargs)
