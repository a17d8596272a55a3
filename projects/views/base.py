"""Shared pieces of the projects views."""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import ModelChoiceField
from django.http import HttpResponseRedirect
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language
from django.views.generic import TemplateView

from cohorts.access import MEMBER
from common.memo import Memo
from common.views import CohortPageMixin, ServiceFormView

from .. import selectors

# An empty form drawn by crispy-forms, kept per process under everything it shows (issue 14: drawing
# the form was more than half of a project or PDSA cycle form page's time). A form that was sent
# (bound) or carries errors (a stale save's message) is drawn on each request. As in
# surveys.views.base, whose idea this is.
_EMPTY_FORMS = Memo(128)


def _plain(value):
    if isinstance(value, list | tuple):
        return tuple(_plain(item) for item in value)
    return str(value)


def _field_shown(form, name) -> tuple:
    field = form.fields[name]
    if isinstance(field, ModelChoiceField):
        # Read once, here, and drawn from this list (a model choice field reads its rows again each
        # time its choices are asked for).
        field.choices = [(str(value), str(label)) for value, label in field.choices]
    choices = getattr(field, "choices", None)
    widget = field.widget
    return (
        name,
        type(field),
        type(widget),
        str(field.label),
        str(field.help_text),
        repr(form[name].value()),
        None if choices is None else _plain(list(choices)),
        field.required,
        field.disabled,
        field.show_hidden_initial,
        _plain(sorted(widget.attrs.items())),
    )


def empty_form_drawn(form) -> str | None:
    """``{{ form|crispy }}`` of an unbound form without errors, kept under everything its fields show
    (each field's label, help, value, choices, whether it is required or disabled, its widget and
    the widget's attributes), the form's class, prefix and ids, the language and the time zone.
    None for a bound form or one with errors."""
    if form.is_bound or form.errors:
        return None
    shown = tuple(_field_shown(form, name) for name in form.fields)
    key = (get_language(), get_current_timezone_name(), type(form), form.prefix, form.auto_id, form.label_suffix, shown)
    return _EMPTY_FORMS.get_or_make(key, lambda: as_crispy_form(form))


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
