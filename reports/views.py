"""The impact report's pages, for the cohort's facilitators and staff (``cohort_access`` FACILITATOR:
participants get the 404 every facilitator page gives them). Everything shown comes from one dict
(``selectors.report_page``): live for a draft, the snapshot once published."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from cohorts.access import FACILITATOR
from common.audit import audit_export
from common.views import CohortPageMixin, ServiceFormPostView, ServiceFormView

from . import pdf, selectors, services, xlsx
from .forms import KeyImpactForm, KeyImpactMoveForm, NarrativeForm, SnapshotQuoteForm
from .models import KeyImpact


def report_url(cohort) -> str:
    return reverse("reports:report_detail", kwargs={"cohort_pk": cohort.pk})


class ReportPageMixin(CohortPageMixin):
    cohort_access = FACILITATOR

    def get_success_url(self):
        return report_url(self.request.cohort)


def report_context(cohort) -> dict:
    """What the report page shows (also drawn again, with errors, by the forms posted from it)."""
    page = selectors.report_page(cohort=cohort)
    context = {
        "cohort": cohort,
        "page": page,
        "data": page.data,
        "titles": selectors.template_titles(),
        "editable": not page.is_published,
        "pdf_unavailable": pdf.pdf_unavailable_reason(),
    }
    if not page.is_published:
        # Made only if the sections are drawn (reports.body keeps them drawn for the same report).
        data = page.data
        context["impact_form"] = SimpleLazyObject(
            lambda: KeyImpactForm(evidence_choices=selectors.evidence_choices(data))
        )
        context["narrative_form"] = SimpleLazyObject(lambda: NarrativeForm(initial=data["narrative"]))
    return context


class ReportDetailView(ReportPageMixin, TemplateView):
    template_name = "reports/report_detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**report_context(self.request.cohort), **kwargs)


class ReportFormPostMixin(ReportPageMixin):
    """Forms posted from the report page: a refused one draws that page again with the errors (400)."""

    template_name = "reports/report_detail.html"

    def form_invalid(self, form):
        errors = [error for field in form.errors.values() for error in field]
        context = {"view": self, **report_context(self.request.cohort), "errors": errors}
        return self.render_to_response(context, status=400)


def _filename(data: dict, extension: str) -> str:
    state = "" if data["status"] == "published" else "-draft"
    return f"impact-report-{slugify(data['cohort']['name'])}{state}.{extension}"


class ReportPdfView(ReportPageMixin, View):
    def get(self, request, *args, **kwargs):
        page = selectors.report_page(cohort=request.cohort)
        data = page.data
        try:
            content = pdf.report_pdf(data, stamp=page.stamp)
        except pdf.PdfUnavailable:
            messages.error(request, pdf.pdf_unavailable_reason())
            return redirect(report_url(request.cohort))
        # The report names the people whose quotes they let us use with their name: a named download.
        audit_export(request, what="impact report (pdf)", obj=request.cohort)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{_filename(data, "pdf")}"'
        return response


class ReportXlsxView(ReportPageMixin, View):
    def get(self, request, *args, **kwargs):
        page = selectors.report_page(cohort=request.cohort)
        data = page.data
        audit_export(request, what="impact report (xlsx)", obj=request.cohort)
        response = HttpResponse(xlsx.report_xlsx(data, stamp=page.stamp), content_type=xlsx.XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{_filename(data, "xlsx")}"'
        return response


class EvidenceChoicesMixin:
    def get_form_kwargs(self):
        choices = selectors.evidence_choices_for_cohort(cohort=self.request.cohort)
        return {**super().get_form_kwargs(), "evidence_choices": choices}


class KeyImpactCreateView(ReportPageMixin, EvidenceChoicesMixin, ServiceFormView):
    template_name = "reports/key_impact_form.html"
    form_class = KeyImpactForm
    success_message = _("Key impact added.")

    def perform(self, form):
        return services.key_impact_create(cohort=self.request.cohort, **form.cleaned_data)


class KeyImpactMixin(ReportPageMixin):
    def dispatch(self, request, *args, **kwargs):
        self.impact = get_object_or_404(
            KeyImpact.objects.select_related("report"), pk=kwargs["impact_pk"], report__cohort=request.cohort
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(impact=self.impact, **kwargs)


class KeyImpactUpdateView(KeyImpactMixin, EvidenceChoicesMixin, ServiceFormView):
    template_name = "reports/key_impact_form.html"
    form_class = KeyImpactForm
    success_message = _("Key impact saved.")

    def get_initial(self):
        return {"text": self.impact.text, "evidence": self.impact.evidence}

    def perform(self, form):
        return services.key_impact_update(impact=self.impact, **form.cleaned_data)


class KeyImpactDeleteView(KeyImpactMixin, TemplateView):
    """GET asks for confirmation; only the POST deletes."""

    template_name = "reports/key_impact_delete.html"

    def post(self, request, *args, **kwargs):
        try:
            services.key_impact_delete(impact=self.impact)
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(errors=error.messages), status=400)
        messages.success(request, _("Key impact deleted."))
        return redirect(report_url(request.cohort))


class KeyImpactMoveView(KeyImpactMixin, ReportFormPostMixin, ServiceFormPostView):
    form_class = KeyImpactMoveForm

    def perform(self, form):
        return services.key_impact_move(impact=self.impact, up=form.cleaned_data["direction"] == "up")


class ReportNarrativeUpdateView(ReportPageMixin, ServiceFormView):
    template_name = "reports/report_narrative_form.html"
    form_class = NarrativeForm
    success_message = _("Limitations and recommendations saved.")

    def get_initial(self):
        report = selectors.report_get(cohort=self.request.cohort)
        return {"limitations": report.limitations, "recommendations": report.recommendations} if report else {}

    def perform(self, form):
        return services.report_narrative_update(cohort=self.request.cohort, **form.cleaned_data)


class ReportPublishView(ReportPageMixin, TemplateView):
    """GET shows what publishing means and what is missing; the POST publishes."""

    template_name = "reports/report_publish.html"

    def get_context_data(self, **kwargs):
        report = selectors.report_get(cohort=self.request.cohort)
        problems = (
            []
            if report and report.is_published
            else services.report_publish_problems(cohort=self.request.cohort, report=report)
        )
        return super().get_context_data(report=report, problems=problems, **kwargs)

    def post(self, request, *args, **kwargs):
        try:
            services.report_publish_for_cohort(cohort=request.cohort, by=request.user)
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(errors=error.messages), status=400)
        messages.success(request, _("The report is published. Its figures and quotes are now fixed."))
        return redirect(report_url(request.cohort))


class StaffOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ReportUnpublishView(StaffOnlyMixin, ReportPageMixin, TemplateView):
    """Staff only: back to draft, so that the facilitators can correct it and publish it again."""

    template_name = "reports/report_unpublish.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(report=selectors.report_get(cohort=self.request.cohort), **kwargs)

    def post(self, request, *args, **kwargs):
        report = selectors.report_get(cohort=request.cohort)
        try:
            if report is None:
                raise ValidationError(_("The report is not published."))
            services.report_unpublish(report=report, by=request.user)
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(errors=error.messages), status=400)
        messages.success(request, _("The report is a draft again. Publishing it will fix the figures of that day."))
        return redirect(report_url(request.cohort))


class ReportQuoteRemoveView(StaffOnlyMixin, ReportFormPostMixin, ServiceFormPostView):
    """Staff only: a quote leaves the published report (its author asked)."""

    form_class = SnapshotQuoteForm
    success_message = _("The quote is no longer in the published report.")

    def perform(self, form):
        report = selectors.report_get(cohort=self.request.cohort)
        if report is None:
            raise ValidationError(_("The report is not published."))
        key = form.cleaned_data["source"]
        return services.report_snapshot_quote_remove(report=report, key=key, by=self.request.user)
