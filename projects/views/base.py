"""Shared pieces of the projects views."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.views.generic import TemplateView

from cohorts.access import MEMBER
from common.drawn_forms import empty_form_drawn
from common.views import CohortPageMixin, ServiceFormView

from .. import selectors


class FormPageView(CohortPageMixin, ServiceFormView):
    """common.views.ServiceFormView drawn by projects/form_page.html: a title, the form, a submit
    button and a cancel link (by default back to where success leads). An empty form is drawn once
    per process for what it shows (``empty_form_drawn``)."""

    template_name = "projects/form_page.html"
    page_title = ""
    submit_label = ""
    multipart = False
    # Whether the template draws ``form_drawn`` (projects/form_page.html does).
    draw_empty_form = True

    def get_cancel_url(self):
        return self.get_success_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            page_title=self.page_title,
            submit_label=self.submit_label,
            multipart=self.multipart,
            cancel_url=self.get_cancel_url(),
            **kwargs,
        )
        if self.draw_empty_form:
            context["form_drawn"] = empty_form_drawn(context["form"])
        return context


class DeleteConfirmView(CohortPageMixin, TemplateView):
    """A confirmation page: GET says what will be deleted and what goes with it (``impact()``, from
    ``deletion_selectors``), POST deletes it (``perform()``: one service call) and says so. Nothing
    is deleted at one click: every delete button is a link to one of these pages."""

    template_name = "projects/delete_confirm.html"
    page_title = ""
    confirm_label = ""
    success_message = ""

    def get_object(self):
        raise NotImplementedError

    def describe(self, obj) -> str:
        """What is deleted, in a few words (e.g. the data point's date and value)."""
        return str(obj)

    def impact(self, obj):
        raise NotImplementedError

    def perform(self, obj) -> None:
        raise NotImplementedError

    def get_success_url(self):
        raise NotImplementedError

    def get_cancel_url(self):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        obj = self.get_object()
        return super().get_context_data(
            page_title=self.page_title,
            confirm_label=self.confirm_label,
            description=self.describe(obj),
            impact=self.impact(obj),
            cancel_url=self.get_cancel_url(),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        message = self.success_message % {"name": self.describe(obj)}
        self.perform(obj)
        messages.success(request, message)
        return HttpResponseRedirect(self.get_success_url())


class SetEditMixin:
    """For the pages of a set's private work (meetings, actions, reflections): those outside the set
    get 404, as if the page did not exist, since even its existence belongs to the set."""

    cohort_access = MEMBER

    def dispatch(self, request, *args, **kwargs):
        self.action_learning_set = selectors.set_private_get(
            cohort=request.cohort, pk=kwargs["set_pk"], user=request.user
        )
        return super().dispatch(request, *args, **kwargs)


class ProjectEditMixin:
    """For views that change a project: members of its set, its set facilitator, facilitators."""

    cohort_access = MEMBER

    def dispatch(self, request, *args, **kwargs):
        self.project = selectors.project_with_set(cohort=request.cohort, pk=kwargs["project_pk"])
        if not selectors.project_is_editable_by(project=self.project, user=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
