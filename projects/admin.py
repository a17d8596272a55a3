from collections import Counter

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.admin_inlines import SelectedObjectsFormSet, SelectedObjectsInlineMixin

from .models import (
    ActionLearningSet,
    DataPoint,
    DriverNode,
    ImprovementProject,
    Measure,
    Presentation,
    PresentationFeedback,
    ProgressScore,
    ProjectPDSACycle,
    SetAction,
    SetMeeting,
    SetMembership,
)


class SetMembershipInlineForm(forms.ModelForm):
    def validate_unique(self):
        super().validate_unique()
        if self.errors:
            return
        # Django checks no constraint naming a field the form leaves out, as it does ``cohort`` (the
        # set's): without this, a participant already in another set of the cohort would reach the
        # database's constraint and fail there.
        try:
            self.instance.validate_constraints()
        except ValidationError as error:
            self.add_error(None, error)


class SetMembershipInlineFormSet(SelectedObjectsFormSet):
    """Each row carries the set's cohort while it is checked, so that the model's rules apply to it: a
    participant of that cohort (``SetMembership.clean``), in one of its sets at most (the constraint)."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.cohort_id = self.instance.cohort_id  # the copy the one-set-per-cohort constraint needs
        return form

    def clean(self):
        super().clean()
        chosen = Counter(
            form.cleaned_data["membership"]
            for form in self.forms
            if form.cleaned_data.get("membership") and not form.cleaned_data.get("DELETE")
        )
        for membership, rows in chosen.items():
            if rows > 1:
                raise ValidationError(
                    _("%(person)s is in the list more than once."), params={"person": membership.person}
                )


class SetMembershipInline(SelectedObjectsInlineMixin, admin.TabularInline):
    """The set's participants, editable in place: each row's membership is named from one query for all rows."""

    model = SetMembership
    form = SetMembershipInlineForm
    formset = SetMembershipInlineFormSet
    extra = 0
    raw_id_fields = ["membership"]
    raw_id_select_related = {"membership": ("person", "cohort")}  # Membership.__str__ names both
    exclude = ["cohort"]

    def get_queryset(self, request):
        # Each row shows the set membership's __str__: the person and the set.
        return super().get_queryset(request).select_related("membership__person", "action_learning_set")


@admin.register(ActionLearningSet)
class ActionLearningSetAdmin(admin.ModelAdmin):
    list_display = ["name", "cohort", "set_facilitator"]
    list_select_related = ["cohort", "set_facilitator__person", "set_facilitator__cohort"]
    list_filter = ["cohort"]
    raw_id_fields = ["set_facilitator"]
    inlines = [SetMembershipInline]


class DriverNodeInline(admin.TabularInline):
    model = DriverNode
    extra = 0
    raw_id_fields = ["parent"]


@admin.register(ImprovementProject)
class ImprovementProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "action_learning_set", "area", "status", "progress_score"]
    list_filter = ["area", "status", "action_learning_set__cohort"]
    search_fields = ["title"]
    inlines = [DriverNodeInline]


class DataPointInline(admin.TabularInline):
    model = DataPoint
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("measure")  # each row's name shows it


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "kind", "better"]
    inlines = [DataPointInline]


@admin.register(ProjectPDSACycle)
class ProjectPDSACycleAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "start_date", "act"]


@admin.register(Presentation)
class PresentationAdmin(admin.ModelAdmin):
    list_display = ["order", "title", "cohort", "action_learning_set", "starts_at"]
    list_filter = ["cohort"]


# Their memberships and sets as ids: a select of every membership would load each one's person and
# cohort to name it (tests/test_query_counts.py).
for _model in [SetMeeting, SetAction, ProgressScore, PresentationFeedback]:
    admin.site.register(
        _model,
        raw_id_fields=[f.name for f in _model._meta.get_fields() if (f.many_to_one or f.many_to_many) and f.concrete],
        list_select_related=True,
    )
