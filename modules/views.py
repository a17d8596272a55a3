"""Facilitator pages for a cohort's modules (the PDSA pages, which show survey results, are in
surveys.views.pdsa).

Access to every URL here is checked by common.middleware.CohortAccessMiddleware (facilitators
of the cohort and staff); sub-objects are looked up inside ``request.cohort``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from common.forms import form_add_service_errors

from . import selectors, services
from .forms import AttendanceRegisterForm, ModuleForm
from .models import ActItem


def _module_url(module, name="modules:module_detail"):
    return reverse(name, kwargs={"cohort_pk": module.cohort_id, "number": module.number})


def _context(request, **kwargs) -> dict:
    return {"cohort": request.cohort, **kwargs}


class ModulePageMixin:
    def _page(self, request, number) -> selectors.ModulePage:
        page = selectors.module_page(cohort=request.cohort, number=number)
        if page is None:
            raise Http404
        return page

    def _render(self, request, page, form, status=200):
        context = _context(request, page=page, module=page.module, form=form)
        return render(request, self.template_name, context, status=status)


class ModuleDetailView(ModulePageMixin, View):
    """The module page: details, the attendance register (one form), planned adjustments."""

    template_name = "modules/module_detail.html"

    def get(self, request, cohort_pk, number):
        page = self._page(request, number)
        return self._render(request, page, AttendanceRegisterForm(register=page.register))

    def post(self, request, cohort_pk, number):
        page = self._page(request, number)
        form = AttendanceRegisterForm(request.POST, register=page.register)
        if form.is_valid():
            try:
                changed = services.attendance_record(module=page.module, statuses=form.statuses(), by=request.user)
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    ngettext("Attendance saved: %(count)d change.", "Attendance saved: %(count)d changes.", changed)
                    % {"count": changed},
                )
                return HttpResponseRedirect(_module_url(page.module))
        return self._render(request, page, form, status=400)


class ModuleMarkDeliveredView(ModulePageMixin, View):
    """GET asks for confirmation; POST marks the module delivered."""

    template_name = "modules/module_mark_delivered.html"

    def get(self, request, cohort_pk, number):
        page = self._page(request, number)
        context = _context(request, page=page, module=page.module, has_started=page.module.starts_at <= timezone.now())
        return render(request, self.template_name, context)

    def post(self, request, cohort_pk, number):
        page = self._page(request, number)
        try:
            module = services.module_mark_delivered(module=page.module, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            text = _("Module %(number)s is marked delivered.") % {"number": module.number}
            if module.has_survey:
                text += " " + _("Its survey is open and the invitations are on their way.")
            messages.success(request, text)
        return HttpResponseRedirect(_module_url(page.module))


class ModuleUpdateView(ModulePageMixin, View):
    template_name = "modules/module_update.html"

    def get(self, request, cohort_pk, number):
        page = self._page(request, number)
        return self._render(request, page, ModuleForm(module=page.module))

    def post(self, request, cohort_pk, number):
        page = self._page(request, number)
        form = ModuleForm(request.POST, module=page.module)
        if form.is_valid():
            try:
                services.module_update(module=page.module, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(request, _("Module details saved."))
                return HttpResponseRedirect(_module_url(page.module))
        return self._render(request, page, form, status=400)


class ActItemToggleView(View):
    """Tick a planned adjustment off on the module it was planned for (POST ``done=1`` or ``done=0``)."""

    def post(self, request, cohort_pk, number, item_pk):
        item = get_object_or_404(
            ActItem, pk=item_pk, cycle__module__cohort=request.cohort, cycle__module__number=number - 1
        )
        done = request.POST.get("done")
        if done not in ("0", "1"):
            messages.error(request, _("That request was not understood; nothing was changed."))
        else:
            item = services.act_item_set_done(act_item=item, done=done == "1", by=request.user)
            if item.done:
                messages.success(request, _("Ticked off: %(text)s") % {"text": item.text})
            else:
                messages.success(request, _("Marked as not done yet: %(text)s") % {"text": item.text})
        url = reverse("modules:module_detail", kwargs={"cohort_pk": request.cohort.pk, "number": number})
        return HttpResponseRedirect(url)
