from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from cohorts.access import MEMBER
from common.drawn import drawn
from common.memo import Memo
from common.models import choice_label
from common.views import ServiceFormPostView

from .. import deletion_selectors, deletion_services, selectors, services
from ..forms import FeedbackForm, PresentationForm, SlidesForm
from ..models import PROGRESS_SCORE_MEANINGS, ImprovementProject, Presentation, ProjectPDSACycle
from ..templatetags.run_charts import run_chart
from .base import DeleteConfirmView, FormPageView

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


SHOWCASE_PROJECT = "projects/partials/_showcase_project.html"

# Each project's drawing, kept under its rows (selectors.ShowcaseProject), whether its set's
# reflections are shown, the cohort, the language and the time zone: everything it shows, so a
# changed row is another key and nothing is ever shown stale. A kept project costs no run-chart
# analysis, no chart values and no drawing (issue 14: they were a third of the showcase's time).
_PROJECTS = Memo(512)


def showcase_project_values(project, *, cohort_pk: int, private: bool) -> dict:
    """What the showcase shows of one project (``selectors.ShowcaseProject``), as plain values
    (``common.drawn`` keeps the project drawn under them); each measure's run chart block is drawn
    (and kept) by ``run_chart``. The set's reflections are among them only for those inside the set."""
    pk, _set_id, title, area, status, aim, progress_score = project.project
    return {
        "set": {"name": project.set[1], "reflections": project.set[2] if private else ""},
        "show_reflections": private,
        "project": {
            "pk": pk,
            "title": title,
            "area_label": choice_label(ImprovementProject.Area, area),
            "status_label": choice_label(ImprovementProject.Status, status),
            "aim": aim,
            "progress_score": progress_score,
            "progress_score_meaning": str(PROGRESS_SCORE_MEANINGS.get(progress_score, "")),
            "scores": [{"score": score, "recorded_at": recorded_at} for _pk, _p, score, recorded_at in project.scores],
            "measures": [
                {
                    "name": m.name,
                    "kind_label": m.get_kind_display(),
                    "better_label": m.get_better_display(),
                    "chart": run_chart(m, cohort_pk=cohort_pk, project_pk=pk),
                }
                for m in selectors.showcase_measure_charts(project)
            ],
            "pdsa_cycles": [
                {
                    "title": cycle_title,
                    "start_date": start_date,
                    "act": act,
                    "act_label": choice_label(ProjectPDSACycle.Act, act),
                    "study": study,
                }
                for (_pk, _p, cycle_title, start_date, act, study), _measure_ids in project.cycles
            ],
        },
    }


def showcase_project_drawn(project, *, cohort_pk: int, private: bool) -> str:
    """The project drawn (``_showcase_project.html``), kept per process under its rows."""
    key = (get_language(), get_current_timezone_name(), cohort_pk, private, project)
    return _PROJECTS.get_or_make(
        key,
        lambda: drawn(SHOWCASE_PROJECT, showcase_project_values(project, cohort_pk=cohort_pk, private=private)),
    )


class ShowcaseView(TemplateView):
    """The module 6 schedule and every set's project: aim, charts, PDSA history, score."""

    cohort_access = MEMBER
    template_name = "projects/showcase.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohort = self.request.cohort
        # Reflections are the set's own (querysets.ActionLearningSetQuerySet.private_to): p.private.
        projects = selectors.showcase_for_cohort(cohort=cohort, user=self.request.user)
        module, presentations = selectors.showcase_schedule(cohort=cohort)
        context.update(
            cohort=cohort,
            module=module,
            presentations=presentations,
            projects=[showcase_project_drawn(p, cohort_pk=cohort.pk, private=p.private) for p in projects],
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

    success_message = _("Schedule saved.")

    def perform(self, form):
        return form.save()  # plain CRUD of one row


class PresentationDeleteView(DeleteConfirmView):
    """Facilitators take a presentation off the schedule (as they put it there)."""

    page_title = _("Remove a presentation from the schedule")
    confirm_label = _("Yes, remove this presentation")
    success_message = _("Presentation removed from the schedule: %(name)s.")

    def get_object(self):
        return selectors.presentation_get(cohort=self.request.cohort, pk=self.kwargs["presentation_pk"])

    def describe(self, obj):
        return obj.title

    def impact(self, obj):
        return deletion_selectors.presentation_deletion_impact(presentation=obj)

    def perform(self, obj):
        deletion_services.presentation_delete(presentation=obj)

    def get_success_url(self):
        return _showcase_url(self.request.cohort) + "#schedule"

    def get_cancel_url(self):
        return _presentation_url(self.get_object())


class PresentationDetailView(TemplateView):
    cohort_access = MEMBER
    template_name = "projects/presentation_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        page = selectors.presentation_page(
            cohort=request.cohort,
            pk=self.kwargs["presentation_pk"],
            user=request.user,
            membership=request.cohort_membership,
            is_cohort_facilitator=request.is_cohort_facilitator,
        )
        can_give_feedback = request.cohort_membership is not None and not page.in_set
        feedback, mine = selectors.presentation_feedback_for_page(
            presentation=page.presentation,
            shown=page.show_feedback,
            author=request.cohort_membership if can_give_feedback else None,
        )
        context.update(
            cohort=request.cohort,
            presentation=page.presentation,
            # Those who see the feedback are those who may change the presenting set's slides: its
            # members, its set facilitator, the cohort's facilitators and staff (editable_by).
            can_upload=page.show_feedback,
            can_give_feedback=can_give_feedback,
            feedback=feedback,
        )
        context.setdefault("slides_form", SlidesForm())
        if can_give_feedback:
            context.setdefault("feedback_form", FeedbackForm(instance=mine))
        return context


class PresentationFormPostView(ServiceFormPostView):
    """A form on the presentation page: success goes back to it; a refused form shows the page again
    with the form's errors (status 400)."""

    cohort_access = MEMBER
    form_context_name = ""

    def post(self, request, *args, **kwargs):
        self.presentation = selectors.presentation_get(cohort=request.cohort, pk=kwargs["presentation_pk"])
        self.check_allowed()
        return super().post(request, *args, **kwargs)

    def check_allowed(self):
        """Raise PermissionDenied for those who may see the page but not send this form."""

    def form_invalid(self, form):
        view = PresentationDetailView(request=self.request, kwargs=self.kwargs, args=())
        return view.render_to_response(view.get_context_data(**{self.form_context_name: form}), status=400)

    def get_success_url(self):
        return _presentation_url(self.presentation)


class SlidesUploadView(PresentationFormPostView):
    form_class = SlidesForm
    form_context_name = "slides_form"
    success_message = _("Slides uploaded.")

    def check_allowed(self):
        action_learning_set = self.presentation.action_learning_set
        if not selectors.set_is_editable_by(action_learning_set=action_learning_set, user=self.request.user):
            raise PermissionDenied

    def perform(self, form):
        return services.presentation_slides_upload(
            presentation=self.presentation, uploaded_file=form.cleaned_data["slides"]
        )


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
        # Always a download, never shown inline: a PDF viewer in the browser runs the file's scripts
        # and forms in the site's origin.
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=presentation.slides_name or f"slides.{kind}",
            content_type=CONTENT_TYPES[kind],
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class FeedbackGiveView(PresentationFormPostView):
    form_class = FeedbackForm
    form_context_name = "feedback_form"
    success_message = _("Thank you: your feedback has been passed to the set.")

    def check_allowed(self):
        if self.request.cohort_membership is None:
            raise PermissionDenied

    def perform(self, form):
        return services.presentation_feedback_give(
            presentation=self.presentation, author=self.request.cohort_membership, **form.cleaned_data
        )
