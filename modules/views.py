"""Facilitator pages for a cohort's modules, and the pages that show a cohort with its modules: the
home page, the cohort page and the cohort's edit page (which moves planned modules along). They live
here, not in cohorts, because cohorts sits below modules (ARCHITECTURE.md). The PDSA pages, which show
survey results, are in surveys.views.pdsa.

Access to every URL here is checked by cohorts.middleware.CohortAccessMiddleware (facilitators
of the cohort and staff); sub-objects are looked up inside ``request.cohort``.
"""

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import TemplateView

from cohorts.forms import CohortUpdateForm
from cohorts.models import Programme
from common.drawn import drawn
from common.views import CohortPageMixin, CohortSpreadsheetView, ServiceFormView, StaffPageMixin

from . import exports, selectors, services
from .forms import AttendanceRegisterForm, CohortCreateForm, CohortFilterForm, ModuleForm
from .models import ActItem


def _module_url(module, name="modules:module_detail"):
    return reverse(name, kwargs={"cohort_pk": module.cohort_id, "number": module.number})


def _cohort_url(cohort):
    return reverse("modules:cohort_detail", kwargs={"cohort_pk": cohort.pk})


def _context(request, **kwargs) -> dict:
    return {"cohort": request.cohort, **kwargs}


# The home page and the cohort pages ----------------------------------------------------------


class HomeView(TemplateView):
    """Facilitators' cohorts (staff: all, with a status filter), a page at a time; a participant who
    facilitates nothing goes to "my programme"."""

    template_name = "cohorts/home.html"
    paginate_by = 20

    def get(self, request, *args, **kwargs):
        user = request.user
        self.filter_form = CohortFilterForm(request.GET or None)
        self.status = self.filter_form.status_chosen()
        if user.is_staff:  # every cohort: paged in the database
            cohorts = selectors.cohort_list_for_user(user=user, status=self.status)
        else:
            cohorts = selectors.cohort_list_for_facilitator(user=user, status=self.status)
        self.page_obj = Paginator(cohorts, self.paginate_by).get_page(request.GET.get("page"))
        self.cohorts = list(self.page_obj.object_list)  # read here, not by the template's {% if %}
        self.member_cohorts = [] if user.is_staff else list(selectors.cohort_list_for_member(user=user))
        if not self.page_obj.paginator.count and not self.status and self.member_cohorts:
            return redirect("accounts:my_programme")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            cohorts=self.cohorts,
            page_obj=self.page_obj,
            page_numbers=list(self.page_obj.paginator.get_elided_page_range(self.page_obj.number)),
            filter_form=self.filter_form,
            status=self.status,
            page_query=query.urlencode(),
            member_cohorts=self.member_cohorts,
            **kwargs,
        )


PARTICIPANT_TABLE = "cohorts/partials/_participant_table.html"
MODULE_TIMELINE = "cohorts/partials/_module_timeline.html"
PROFESSION_MIX = "cohorts/partials/_profession_mix.html"


class CohortDetailView(CohortPageMixin, TemplateView):
    template_name = "cohorts/cohort_detail.html"

    def get_context_data(self, **kwargs):
        overview = selectors.cohort_overview(cohort=self.request.cohort)
        return super().get_context_data(
            overview=overview,
            module_timeline=drawn(MODULE_TIMELINE, selectors.module_timeline_values(overview, self.request.cohort)),
            participant_table=drawn(
                PARTICIPANT_TABLE, selectors.participant_table_values(overview, self.request.cohort)
            ),
            profession_mix=drawn(PROFESSION_MIX, selectors.profession_mix_values(overview)),
            **kwargs,
        )


class CohortCreateView(StaffPageMixin, ServiceFormView):
    """The provider's staff plan the next cohort of a programme; its six modules come dated from the outline."""

    template_name = "cohorts/cohort_create.html"
    form_class = CohortCreateForm

    def dispatch(self, request, *args, **kwargs):
        self.programme = get_object_or_404(Programme.objects.select_related("provider"), pk=kwargs["programme_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "programme": self.programme}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            programme=self.programme, outlines=selectors.outline_for_programme(programme=self.programme), **kwargs
        )

    def perform(self, form):
        return services.cohort_create_next(programme=self.programme, by=self.request.user, **form.cleaned_data)

    def get_success_message(self):
        return _("%(name)s is planned, with its six modules dated from %(start)s.") % {
            "name": self.result.name,
            "start": formats.date_format(self.result.start_date, "DATE_FORMAT"),
        }

    def get_success_url(self):
        return _cohort_url(self.result)


class CohortUpdateView(CohortPageMixin, ServiceFormView):
    template_name = "cohorts/cohort_update.html"
    form_class = CohortUpdateForm
    success_message = gettext_lazy("The cohort's details were saved.")

    def get_form_kwargs(self):
        # The form works on a copy so that the service still sees the cohort's old start date.
        return {**super().get_form_kwargs(), "instance": copy.copy(self.request.cohort)}

    def perform(self, form):
        return services.cohort_update(cohort=self.request.cohort, **form.cleaned_data)

    def get_success_url(self):
        return _cohort_url(self.request.cohort)


# Module pages ---------------------------------------------------------------------------------


class ModulePageMixin(CohortPageMixin):
    """Pages of one module of the cohort (``number``): its page data is read once, before anything else."""

    def dispatch(self, request, *args, **kwargs):
        self.page = selectors.module_page(cohort=request.cohort, number=kwargs["number"])
        if self.page is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(page=self.page, module=self.page.module, **kwargs)

    def get_success_url(self):
        return _module_url(self.page.module)


REGISTER_ROWS = "modules/partials/_register_rows.html"
MODULE_PAGER = "modules/partials/_module_pager.html"


class ModuleDetailView(ModulePageMixin, ServiceFormView):
    """The module page: details, the attendance register (one form), planned adjustments."""

    template_name = "modules/module_detail.html"
    form_class = AttendanceRegisterForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "register": self.page.register}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["register_rows"] = drawn(REGISTER_ROWS, {"rows": context["form"].register_values()})
        pager = selectors.module_pager_values(
            self.page, url_name="modules:module_detail", label=_("Modules of this cohort")
        )
        context["module_pager"] = drawn(MODULE_PAGER, pager)
        return context

    def perform(self, form):
        return services.attendance_record(
            module=self.page.module,
            statuses=form.statuses(),
            by=self.request.user,
            seen_version=form.cleaned_data["version"],
        )

    def reload(self):
        self.page = selectors.module_page(cohort=self.request.cohort, number=self.kwargs["number"])

    def get_success_message(self):
        return ngettext("Attendance saved: %(count)d change.", "Attendance saved: %(count)d changes.", self.result) % {
            "count": self.result
        }


class ModuleMarkDeliveredView(ModulePageMixin, TemplateView):
    """GET asks for confirmation; POST marks the module delivered."""

    template_name = "modules/module_mark_delivered.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(has_started=self.page.module.starts_at <= timezone.now(), **kwargs)

    def post(self, request, *args, **kwargs):
        try:
            module = services.module_mark_delivered(module=self.page.module, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            text = _("Module %(number)s is marked delivered.") % {"number": module.number}
            if module.has_survey:
                text += " " + _("Its survey is open and the invitations are on their way.")
            messages.success(request, text)
        return HttpResponseRedirect(self.get_success_url())


class ModuleUpdateView(CohortPageMixin, ServiceFormView):
    """A module's details. It shows the module alone, so it reads the module alone (not the module
    page's register and neighbours: a cohort's worth of rows, issue 14)."""

    template_name = "modules/module_update.html"
    form_class = ModuleForm
    success_message = gettext_lazy("Module details saved.")

    def dispatch(self, request, *args, **kwargs):
        self.module = selectors.module_get(cohort=request.cohort, number=kwargs["number"])
        if self.module is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(module=self.module, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "module": self.module}

    def get_success_url(self):
        return _module_url(self.module)

    def perform(self, form):
        return services.module_update(module=self.module, by=self.request.user, **form.cleaned_data)


class AttendanceExportView(CohortSpreadsheetView):
    """The cohort's attendance register, every module (named data: facilitators and staff)."""

    what = "attendance register"
    sheet_title = gettext_lazy("Attendance")

    def rows(self, cohort):
        return exports.attendance_rows(cohort)

    def filename(self, cohort):
        return exports.attendance_filename(cohort)


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
