"""Facilitators' cohort pages. Access to every ``cohort_pk`` URL is decided by CohortAccessMiddleware."""

import copy
import csv
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from . import imports, selectors, services
from .forms import (
    CohortUpdateForm,
    ParticipantAddForm,
    ParticipantImportForm,
    ParticipantUpdateForm,
    ParticipantWithdrawForm,
)
from .models import Membership, Person


class HomeView(TemplateView):
    """Facilitators' cohorts; a participant who facilitates nothing goes to "my programme"."""

    template_name = "cohorts/home.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        self.cohorts = list(selectors.cohort_list_for_user(user=user))
        self.member_cohorts = [] if user.is_staff else list(selectors.cohort_list_for_member(user=user))
        if not self.cohorts and self.member_cohorts:
            return redirect("accounts:my_programme")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cohorts"] = self.cohorts
        context["member_cohorts"] = self.member_cohorts
        return context


class CohortViewMixin:
    """Puts the cohort (found by the middleware) in the context."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cohort"] = self.request.cohort
        return context

    def cohort_url(self, anchor=""):
        return reverse("cohorts:cohort_detail", kwargs={"cohort_pk": self.request.cohort.pk}) + anchor


def profession_chart(professions, *, row_height=20, bar_left=190, bar_max=170):
    """Coordinates for the server-rendered SVG bar chart of the profession mix."""
    largest = max((p.count for p in professions), default=0) or 1
    bars = []
    for index, profession in enumerate(professions):
        width = round(bar_max * profession.count / largest, 1)
        bars.append(
            {
                "label": profession.label,
                "count": profession.count,
                "y": index * row_height + 3,
                "text_y": index * row_height + 14,
                "width": width,
                "count_x": bar_left + width + 4,
            }
        )
    return {"bars": bars, "height": max(len(bars) * row_height, row_height)}


class CohortDetailView(CohortViewMixin, TemplateView):
    template_name = "cohorts/cohort_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        overview = selectors.cohort_overview(cohort=self.request.cohort)
        context["overview"] = overview
        context["profession_chart"] = profession_chart(overview.professions)
        return context


class CohortUpdateView(CohortViewMixin, FormView):
    template_name = "cohorts/cohort_update.html"
    form_class = CohortUpdateForm

    def get_form_kwargs(self):
        # The form works on a copy so that the service still sees the cohort's old start date.
        return {**super().get_form_kwargs(), "instance": copy.copy(self.request.cohort)}

    def form_valid(self, form):
        try:
            services.cohort_update(cohort=self.request.cohort, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The cohort's details were saved."))
        return redirect(self.cohort_url())


class ParticipantAddView(CohortViewMixin, FormView):
    template_name = "cohorts/participant_add.html"
    form_class = ParticipantAddForm

    def form_valid(self, form):
        try:
            membership, created = services.participant_add(cohort=self.request.cohort, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        name = membership.person.full_name
        if created:
            messages.success(self.request, _("%(name)s was added to the cohort.") % {"name": name})
        else:
            messages.success(
                self.request, _("%(name)s was added to the cohort (their existing record was reused).") % {"name": name}
            )
        if "add_another" in self.request.POST:
            return redirect("cohorts:participant_add", cohort_pk=self.request.cohort.pk)
        return redirect(self.cohort_url("#participants"))


class ParticipantMixin(CohortViewMixin):
    def get_membership(self):
        return get_object_or_404(
            Membership.objects.select_related("person"),
            cohort=self.request.cohort,
            pk=self.kwargs["membership_pk"],
            role=Membership.Role.PARTICIPANT,
        )


class ParticipantWithdrawView(ParticipantMixin, FormView):
    template_name = "cohorts/participant_withdraw.html"
    form_class = ParticipantWithdrawForm

    def dispatch(self, request, *args, **kwargs):
        self.membership = self.get_membership()
        if not self.membership.is_active:
            messages.info(request, _("%(name)s has already withdrawn.") % {"name": self.membership.person.full_name})
            return redirect(self.cohort_url("#participants"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(membership=self.membership, **kwargs)

    def form_valid(self, form):
        try:
            services.membership_withdraw(membership=self.membership, on=form.cleaned_data["withdrawn_on"])
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("%(name)s is now marked as withdrawn.") % {"name": self.membership.person.full_name}
        )
        return redirect(self.cohort_url("#participants"))


class ParticipantReinstateView(ParticipantMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        membership = self.get_membership()
        if membership.is_active:
            messages.info(request, _("%(name)s is already active.") % {"name": membership.person.full_name})
        else:
            services.membership_reinstate(membership=membership)
            messages.success(request, _("%(name)s is active again.") % {"name": membership.person.full_name})
        return redirect(self.cohort_url("#participants"))


def _import_session_key(cohort):
    return f"cohorts.participant_import.{cohort.pk}"


class ParticipantImportView(CohortViewMixin, FormView):
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

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            rows = imports.participant_file_read(upload)
        except imports.ImportFileError as error:
            form.add_error("file", error.message)
            return self.form_invalid(form)
        self.request.session[_import_session_key(self.request.cohort)] = {
            "token": uuid.uuid4().hex,
            "file_name": upload.name,
            "rows": rows,
        }
        return redirect("cohorts:participant_import_preview", cohort_pk=self.request.cohort.pk)


class ParticipantImportPreviewView(CohortViewMixin, TemplateView):
    """Step 2: every row with what importing it would do; confirming imports all rows or none."""

    template_name = "cohorts/participant_import_preview.html"

    def dispatch(self, request, *args, **kwargs):
        self.pending = request.session.get(_import_session_key(request.cohort))
        if not self.pending:
            messages.info(request, _("Upload a registration list first."))
            return redirect("cohorts:participant_import", cohort_pk=request.cohort.pk)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, check=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context["check"] = check or imports.participant_rows_check(
            cohort=self.request.cohort, rows=self.pending["rows"]
        )
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
        return redirect(self.cohort_url("#participants"))


class ParticipantImportCancelView(CohortViewMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        request.session.pop(_import_session_key(request.cohort), None)
        messages.info(request, _("The import was cancelled; nothing was imported."))
        return redirect(self.cohort_url("#participants"))


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


class ParticipantUpdateView(CohortViewMixin, FormView):
    """Edit a participant's details: name, e-mail, job title, profession, team, organisation."""

    template_name = "cohorts/participant_update.html"
    form_class = ParticipantUpdateForm

    def dispatch(self, request, *args, **kwargs):
        self.membership = get_object_or_404(
            Membership.objects.select_related("person__user"),
            cohort=request.cohort,
            pk=kwargs["membership_pk"],
            role=Membership.Role.PARTICIPANT,
        )
        # Kept apart: a failed save may have changed the person object the form worked on.
        self.person_name = self.membership.person.full_name
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        person = self.membership.person
        editable = services.person_email_editable(person=person, cohort=self.request.cohort, user=self.request.user)
        return {**super().get_form_kwargs(), "person": person, "email_editable": editable}

    def get_context_data(self, **kwargs):
        return super().get_context_data(membership=self.membership, person_name=self.person_name, **kwargs)

    def form_valid(self, form):
        try:
            services.person_update(person=self.membership.person, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(name)s's details were saved.") % {"name": self.membership.person.full_name})
        return redirect(self.cohort_url("#participants"))
