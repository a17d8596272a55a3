"""The PDSA pages of a cohort: each surveyed module's cycle (Plan, Do, Study with the survey's
headline figures, Act) and the timeline of all five.

The PDSA records and their write service belong to ``modules``; these pages live here because the
Study step shows survey results. Access: common.middleware.CohortAccessMiddleware (the cohort's
facilitators and staff); modules are looked up inside ``request.cohort``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from common.forms import form_add_service_errors
from modules import services as module_services
from modules.forms import PDSACycleForm, act_item_formset
from surveys import selectors


def _context(request, **kwargs) -> dict:
    return {"cohort": request.cohort, **kwargs}


class PDSACycleUpdateView(View):
    """Record a module's PDSA cycle: Plan, Do, Study and the Act list."""

    template_name = "surveys/pdsacycle_update.html"

    def _entry(self, request, number):
        entry, modules = selectors.pdsa_entry_for_module(cohort=request.cohort, number=number)
        if entry is None:
            raise Http404
        return entry, modules

    def _render(self, request, entry, modules, form, formset, status=200):
        context = _context(request, entry=entry, module=entry.module, modules=modules, form=form, formset=formset)
        return render(request, self.template_name, context, status=status)

    def get(self, request, cohort_pk, number):
        entry, modules = self._entry(request, number)
        form = PDSACycleForm(cycle=entry.cycle)
        return self._render(request, entry, modules, form, act_item_formset(items=entry.act_items))

    def post(self, request, cohort_pk, number):
        entry, modules = self._entry(request, number)
        form = PDSACycleForm(request.POST, cycle=entry.cycle)
        formset = act_item_formset(data=request.POST, items=entry.act_items)
        if form.is_valid() and formset.is_valid():
            changes = [change for f in formset.forms if (change := f.change()) is not None]
            try:
                module_services.pdsa_cycle_update(
                    module=entry.module, act_items=changes, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(request, _("PDSA cycle for module %(number)s saved.") % {"number": number})
                url = reverse("surveys:pdsa_cycle_update", kwargs={"cohort_pk": cohort_pk, "number": number})
                return HttpResponseRedirect(url)
        return self._render(request, entry, modules, form, formset, status=400)


class PDSATimelineView(View):
    template_name = "surveys/pdsa_timeline.html"

    def get(self, request, cohort_pk):
        entries = selectors.pdsa_timeline_for_cohort(cohort=request.cohort)
        return render(request, self.template_name, _context(request, entries=entries))
