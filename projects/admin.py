from django.contrib import admin

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


class SetMembershipInline(admin.TabularInline):
    model = SetMembership
    extra = 0
    raw_id_fields = ["membership"]
    exclude = ["cohort"]


@admin.register(ActionLearningSet)
class ActionLearningSetAdmin(admin.ModelAdmin):
    list_display = ["name", "cohort", "set_facilitator"]
    list_filter = ["cohort"]
    raw_id_fields = ["set_facilitator"]
    inlines = [SetMembershipInline]

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            instance.cohort = form.instance.cohort  # the copy the one-set-per-cohort constraint needs
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()


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


admin.site.register([SetMeeting, SetAction, ProgressScore, PresentationFeedback])
