"""Shared pieces of the projects views."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from cohorts.access import MEMBER
from common.views import CohortPageMixin, ServiceFormView

from .. import selectors
from ..models import ActionLearningSet, ImprovementProject


class FormPageView(CohortPageMixin, ServiceFormView):
    """common.views.ServiceFormView drawn by projects/form_page.html: a title, the form, a submit
    button and a cancel link (by default back to where success leads)."""

    template_name = "projects/form_page.html"
    page_title = ""
    submit_label = ""
    multipart = False

    def get_cancel_url(self):
        return self.get_success_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=self.page_title,
            submit_label=self.submit_label,
            multipart=self.multipart,
            cancel_url=self.get_cancel_url(),
            **kwargs,
        )


class SetEditMixin:
    """For the pages of a set's private work (meetings, actions, reflections): those outside the set
    get 404, as if the page did not exist, since even its existence belongs to the set."""

    cohort_access = MEMBER

    def dispatch(self, request, *args, **kwargs):
        self.action_learning_set = get_object_or_404(
            ActionLearningSet.objects.for_cohort(request.cohort).private_to(request.user), pk=kwargs["set_pk"]
        )
        return super().dispatch(request, *args, **kwargs)


class ProjectEditMixin:
    """For views that change a project: members of its set, its set facilitator, facilitators."""

    cohort_access = MEMBER

    def dispatch(self, request, *args, **kwargs):
        self.project = get_object_or_404(
            ImprovementProject.objects.for_cohort(request.cohort).select_related("action_learning_set"),
            pk=kwargs["project_pk"],
        )
        if not selectors.project_is_editable_by(project=self.project, user=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
