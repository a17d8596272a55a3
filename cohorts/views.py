"""Facilitators' participant pages. Access to every ``cohort_pk`` URL is decided by
cohorts.middleware.CohortAccessMiddleware. (The home page, the cohort page and its edit page show the
cohort's modules, so they live in modules/views.py.)"""

import csv
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from common import exports as spreadsheets
from common.drawn_forms import empty_form_drawn
from common.views import CohortPageMixin, CohortSpreadsheetView, ServiceFormView

from . import exports, imports, selectors, services
from .forms import ParticipantAddForm, ParticipantImportForm, ParticipantUpdateForm, ParticipantWithdrawForm
from .models import Person


def _participants_url(cohort):
    return reverse("modules:cohort_detail", kwargs={"cohort_pk": cohort.pk}) + "#participants"


class ParticipantAddView(CohortPageMixin, ServiceFormView):
    template_name = "cohorts/participant_add.html"
    form_class = ParticipantAddForm

    def perform(self, form):
        return services.participant_add(cohort=self.request.cohort, **form.cleaned_data)

    def get_success_message(self):
        membership, created = self.result
        if created:
            return _("%(name)s was added to the cohort.") % {"name": membership.person.full_name}
        return _("%(name)s was added to the cohort (their existing record was reused).") % {
            "name": membership.person.full_name
        }

    def get_success_url(self):
        if "add_another" in self.request.POST:
            return reverse("cohorts:participant_add", kwargs={"cohort_pk": self.request.cohort.pk})
        return _participants_url(self.request.cohort)


class ParticipantMixin(CohortPageMixin):
    """Pages about one participant of the cohort (``membership_pk``), found before anything else."""

    def dispatch(self, request, *args, **kwargs):
        self.membership = selectors.participant_get(cohort_id=request.cohort.pk, membership_pk=kwargs["membership_pk"])
        if self.membership is None:
            raise Http404
        # Kept apart: a refused save may have changed the person object a form worked on.
        self.person_name = self.membership.person.full_name
        return super().dispatch(request, *args, **kwargs)

    def get_success_url(self):
        return _participants_url(self.request.cohort)


class ParticipantWithdrawView(ParticipantMixin, ServiceFormView):
    template_name = "cohorts/participant_withdraw.html"
    form_class = ParticipantWithdrawForm

    def get(self, request, *args, **kwargs):
        if not self.membership.is_active:
            return self._already_withdrawn()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.membership.is_active:
            return self._already_withdrawn()
        return super().post(request, *args, **kwargs)

    def _already_withdrawn(self):
        messages.info(self.request, _("%(name)s has already withdrawn.") % {"name": self.person_name})
        return HttpResponseRedirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(membership=self.membership, **kwargs)

    def perform(self, form):
        return services.membership_withdraw(membership=self.membership, on=form.cleaned_data["withdrawn_on"])

    def get_success_message(self):
        return _("%(name)s is now marked as withdrawn.") % {"name": self.membership.person.full_name}


class ParticipantReinstateView(ParticipantMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        name = self.membership.person.full_name
        if self.membership.is_active:
            messages.info(request, _("%(name)s is already active.") % {"name": name})
        else:
            services.membership_reinstate(membership=self.membership)
            messages.success(request, _("%(name)s is active again.") % {"name": name})
        return HttpResponseRedirect(self.get_success_url())


class ParticipantUpdateView(ParticipantMixin, ServiceFormView):
    """Edit a participant's details: name, e-mail, job title, profession, team, organisation."""

    template_name = "cohorts/participant_update.html"
    form_class = ParticipantUpdateForm

    def get_form_kwargs(self):
        person = self.membership.person
        editable = services.person_email_editable(
            person=person,
            cohort=self.request.cohort,
            user=self.request.user,
            beyond_participant=self.membership.beyond_participant,
        )
        return {**super().get_form_kwargs(), "person": person, "email_editable": editable}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(membership=self.membership, person_name=self.person_name, **kwargs)
        # Drawn once per process for what it shows (the person's details are in its key).
        context["form_drawn"] = empty_form_drawn(context["form"])
        return context

    def perform(self, form):
        return services.person_update(person=self.membership.person, **form.cleaned_data)

    def get_success_message(self):
        return _("%(name)s's details were saved.") % {"name": self.membership.person.full_name}


def _import_session_key(cohort):
    return f"cohorts.participant_import.{cohort.pk}"


class ParticipantImportView(CohortPageMixin, ServiceFormView):
    """Step 1: upload a registration list; it is read and kept in the session for the preview."""

    template_name = "cohorts/participant_import.html"
    form_class = ParticipantImportForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = imports.COLUMNS
        context["required_columns"] = imports.REQUIRED_COLUMNS
        context["professions"] = Person.Profession.choices
        context["max_rows"] = imports.MAX_ROWS
        return context

    def perform(self, form):
        upload = form.cleaned_data["file"]
        try:
            rows = imports.participant_file_read(upload)
        except imports.ImportFileError as error:
            raise ValidationError({"file": error.message}) from error
        # Nothing is written yet: the rows wait in the session for the preview (step 2).
        self.request.session[_import_session_key(self.request.cohort)] = {
            "token": uuid.uuid4().hex,
            "file_name": upload.name,
            "rows": rows,
        }

    def get_success_url(self):
        return reverse("cohorts:participant_import_preview", kwargs={"cohort_pk": self.request.cohort.pk})


class ParticipantImportPreviewView(CohortPageMixin, TemplateView):
    """Step 2: every row with what importing it would do; confirming imports all rows or none."""

    template_name = "cohorts/participant_import_preview.html"

    def dispatch(self, request, *args, **kwargs):
        self.pending = request.session.get(_import_session_key(request.cohort))
        if not self.pending:
            messages.info(request, _("Upload a registration list first."))
            return redirect("cohorts:participant_import", cohort_pk=request.cohort.pk)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["check"] = imports.participant_rows_check(cohort=self.request.cohort, rows=self.pending["rows"])
        context["file_name"] = self.pending["file_name"]
        context["token"] = self.pending["token"]
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("token") != self.pending["token"]:
            messages.warning(request, _("A different file was uploaded meanwhile. Check this preview, then confirm."))
            return redirect("cohorts:participant_import_preview", cohort_pk=request.cohort.pk)
        try:
            check = services.participants_import(cohort=request.cohort, rows=self.pending["rows"])
        except ValidationError as error:
            # Something changed since the preview; show the rows as they are now.
            messages.error(request, " ".join(error.messages))
            return self.render_to_response(self.get_context_data())
        del request.session[_import_session_key(request.cohort)]
        messages.success(
            request,
            _("Imported %(added)s participants (%(new)s new people, %(existing)s already known); %(skipped)s skipped.")
            % {
                "added": check.new_count + check.existing_count,
                "new": check.new_count,
                "existing": check.existing_count,
                "skipped": check.in_cohort_count,
            },
        )
        return HttpResponseRedirect(_participants_url(request.cohort))


class ParticipantImportCancelView(View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        request.session.pop(_import_session_key(request.cohort), None)
        messages.info(request, _("The import was cancelled; nothing was imported."))
        return HttpResponseRedirect(_participants_url(request.cohort))


class ParticipantExportView(CohortSpreadsheetView):
    """The participant list (named data: facilitators of the cohort and staff, the default access)."""

    what = "participant list"
    sheet_title = gettext_lazy("Participants")

    def rows(self, cohort):
        return exports.participant_rows(cohort)

    def filename(self, cohort):
        return exports.participant_filename(cohort)


class ParticipantImportTemplateXlsxView(View):
    """The same template as the CSV one, as an Excel workbook."""

    def get(self, request, *args, **kwargs):
        return spreadsheets.xlsx_response(
            exports.import_template_rows(), "participants-template.xlsx", _("Participants")
        )


class ParticipantImportTemplateView(View):
    """A CSV with the expected columns and one example row."""

    def get(self, request, *args, **kwargs):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="participants-template.csv"'
        # A byte-order mark so that Excel opens the file as UTF-8.
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerows(imports.TEMPLATE_ROWS)
        return response
