"""The PDSA pages of a cohort: each surveyed module's cycle (Plan, Do, Study with the survey's
headline figures, Act) and the timeline of all five.

The PDSA records, their forms and their write service belong to ``modules``; these pages live here
because the Study step shows survey results. Access: cohorts.middleware.CohortAccessMiddleware (the
cohort's facilitators and staff); modules are looked up inside ``request.cohort``.
"""

from django.http import Http404
from django.urls import reverse
from django.utils.safestring import mark_safe
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


BREADCRUMBS = "modules/partials/_breadcrumbs.html"
SURVEY_SUMMARY = "surveys/partials/_survey_summary.html"
MOVES = "surveys/partials/_moves.html"
PAGER = "modules/partials/_module_pager.html"
ACT_ROWS = "surveys/partials/_act_rows.html"


def _hidden(field) -> dict:
    """A hidden field of an unbound form as its widget draws it: name, id and value (None: no value)."""
    return {"name": field.html_name, "id": field.auto_id, "value": field.field.widget.format_value(field.value())}


def act_rows_drawn(formset, act_items) -> str | None:
    """The Act list's management form and rows of an unbound formset without errors, drawn once per
    process from what they show (common.drawn); None for a sent formset (the page draws it)."""
    if formset.is_bound or formset.non_form_errors():
        return None
    done = {item.pk for item in act_items if item.done}
    rows = []
    for number, form in enumerate(formset.forms, start=1):
        if form.errors:
            return None
        pk, text, delete = form["pk"], form["text"], form["delete"]
        initial_pk = form.initial.get("pk")
        rows.append(
            {
                "number": number,
                "pk": _hidden(pk),
                "text": {"name": text.html_name, "id": text.auto_id, "value": text.value()},
                "delete": {"name": delete.html_name, "id": delete.auto_id} if initial_pk else None,
                "done": initial_pk in done,
            }
        )
    return drawn(ACT_ROWS, {"management": [_hidden(f) for f in formset.management_form], "rows": rows})


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
        values = selectors.pdsa_record_values(
            entry,
            self.modules,
            cohort=self.request.cohort,
            here=mark_safe(_("PDSA record")),  # noqa: S308 - safe, as {% translate "..." as here %} gives it
            pager_label=_("PDSA cycles of this cohort"),
        )
        context |= {
            "breadcrumbs": drawn(BREADCRUMBS, values["breadcrumbs"]),
            "survey_summary": drawn(SURVEY_SUMMARY, values["summary"]),
            "moves": drawn(MOVES, values["moves"]) if entry.moves else "",
            "pager": drawn(PAGER, values["pager"]),
            "act_rows": act_rows_drawn(self.formset, entry.act_items),
        }
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
