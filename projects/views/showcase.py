from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from cohorts.access import MEMBER
from common.forms import form_add_service_errors

from .. import selectors, services
from ..forms import FeedbackForm, PresentationForm, SlidesForm
from ..models import Presentation
from .base import FormPageView

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def _showcase_url(cohort):
    return reverse("projects:showcase", kwargs={"cohort_pk": cohort.pk})


def _presentation_url(presentation):
    return reverse(
        "projects:presentation_detail",
        kwargs={"cohort_pk": presentation.cohort_id, "presentation_pk": presentation.pk},
    )


class ShowcaseView(TemplateView):
    """The module 6 schedule and every set's project: aim, charts, PDSA history, score."""

    cohort_access = MEMBER
    template_name = "projects/showcase.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohort = self.request.cohort
        context.update(
            cohort=cohort,
            module=selectors.celebration_module(cohort=cohort),
            presentations=selectors.presentation_list_for_cohort(cohort=cohort),
            sets=selectors.showcase_for_cohort(cohort=cohort),
            # Reflections are the set's own (querysets.ActionLearningSetQuerySet.private_to).
            private_set_ids=selectors.set_ids_private_to(cohort=cohort, user=self.request.user),
        )
        return context


class ShowcasePrintView(ShowcaseView):
    template_name = "projects/showcase_print.html"


class PresentationFormView(FormPageView):
    form_class = PresentationForm
    page_title = _("Presentation slot")

    def get_presentation(self):
        if "presentation_pk" in self.kwargs:
            return selectors.presentation_get(cohort=self.request.cohort, pk=self.kwargs["presentation_pk"])
        taken = Presentation.objects.for_cohort(self.request.cohort).order_by("-order").first()
        return Presentation(cohort=self.request.cohort, order=(taken.order + 1) if taken else 1)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "cohort": self.request.cohort, "instance": self.get_presentation()}

    def get_success_url(self):
        return _showcase_url(self.request.cohort) + "#schedule"

    def form_valid(self, form):
        form.save()
        messages.success(self.request, _("Schedule saved."))
        return super().form_valid(form)


class PresentationDeleteView(View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        presentation = selectors.presentation_get(cohort=request.cohort, pk=kwargs["presentation_pk"])
        presentation.delete()
        messages.success(request, _("Presentation removed from the schedule."))
        return HttpResponseRedirect(_showcase_url(request.cohort) + "#schedule")


class PresentationDetailView(TemplateView):
    cohort_access = MEMBER
    template_name = "projects/presentation_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        presentation = selectors.presentation_get(cohort=request.cohort, pk=self.kwargs["presentation_pk"])
        presenting = selectors.set_is_editable_by(
            action_learning_set=presentation.action_learning_set, user=request.user
        )
        in_set = bool(
            request.cohort_membership
            and presentation.action_learning_set.set_memberships.filter(membership=request.cohort_membership).exists()
        )
        show_feedback = request.is_cohort_facilitator or presenting
        context.update(
            cohort=request.cohort,
            presentation=presentation,
            can_upload=presenting,
            can_give_feedback=request.cohort_membership is not None and not in_set,
            feedback=list(presentation.feedback.select_related("author__person")) if show_feedback else None,
        )
        context.setdefault("slides_form", SlidesForm())
        if context["can_give_feedback"]:
            mine = presentation.feedback.filter(author=request.cohort_membership).first()
            context.setdefault("feedback_form", FeedbackForm(instance=mine))
        return context


class SlidesUploadView(View):
    cohort_access = MEMBER
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        presentation = selectors.presentation_get(cohort=request.cohort, pk=kwargs["presentation_pk"])
        if not selectors.set_is_editable_by(action_learning_set=presentation.action_learning_set, user=request.user):
            raise PermissionDenied
        form = SlidesForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.presentation_slides_upload(
                    presentation=presentation, uploaded_file=form.cleaned_data["slides"]
                )
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(request, _("Slides uploaded."))
                return HttpResponseRedirect(_presentation_url(presentation))
        view = PresentationDetailView(request=request, kwargs=kwargs, args=())
        return view.render_to_response(view.get_context_data(slides_form=form), status=400)


class SlidesDownloadView(View):
    """Slides are stored outside the web root; only members of the cohort get them, here."""

    cohort_access = MEMBER

    def get(self, request, *args, **kwargs):
        presentation = get_object_or_404(Presentation.objects.for_cohort(request.cohort), pk=kwargs["presentation_pk"])
        if not presentation.slides:
            raise Http404
        kind = "pdf" if presentation.slides.name.endswith(".pdf") else "pptx"
        try:
            handle = presentation.slides.open("rb")
        except FileNotFoundError as missing:
            raise Http404 from missing
        response = FileResponse(
            handle,
            as_attachment=kind == "pptx",
            filename=presentation.slides_name or f"slides.{kind}",
            content_type=CONTENT_TYPES[kind],
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class FeedbackGiveView(View):
    cohort_access = MEMBER
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        presentation = selectors.presentation_get(cohort=request.cohort, pk=kwargs["presentation_pk"])
        form = FeedbackForm(request.POST)
        if request.cohort_membership is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.presentation_feedback_give(
                    presentation=presentation, author=request.cohort_membership, **form.cleaned_data
                )
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(request, _("Thank you: your feedback has been passed to the set."))
                return HttpResponseRedirect(_presentation_url(presentation))
        view = PresentationDetailView(request=request, kwargs=kwargs, args=())
        return view.render_to_response(view.get_context_data(feedback_form=form), status=400)
