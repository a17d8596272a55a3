"""The practice log in the admin.

Practice moments are read-only here and a private reflection is never shown: the form promises
the participant "only you can read it", and nothing an admin does needs the text (support needs
the date, method and whether it is shared; a request to erase is a delete, which stays possible).
A reflection the participant shared with their set is shown, as their set sees it.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import PracticeMoment, PracticeNudge, PracticeNudgePreference

PRIVATE_REFLECTION = _("(private: only the participant can read it)")


@admin.register(PracticeMoment)
class PracticeMomentAdmin(admin.ModelAdmin):
    list_display = ["date", "membership", "method", "with_whom", "shared_with_set", "has_reflection"]
    list_filter = ["method", "with_whom", "shared_with_set", "membership__cohort"]
    search_fields = ["membership__person__full_name"]
    list_select_related = ["membership__person", "membership__cohort"]
    date_hierarchy = "date"
    fields = ["membership", "date", "method", "with_whom", "shared_with_set", "reflection_if_shared", "created_at"]
    readonly_fields = fields

    @admin.display(boolean=True, description=_("reflection"))
    def has_reflection(self, obj):
        return bool(obj.reflection)

    @admin.display(description=_("reflection"))
    def reflection_if_shared(self, obj):
        if not obj.reflection:
            return "–"
        return obj.reflection if obj.shared_with_set else PRIVATE_REFLECTION

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PracticeNudgePreference)
class PracticeNudgePreferenceAdmin(admin.ModelAdmin):
    list_display = ["membership", "nudges_on", "updated_at"]
    list_filter = ["nudges_on", "membership__cohort"]
    search_fields = ["membership__person__full_name"]
    list_select_related = ["membership__person", "membership__cohort"]
    raw_id_fields = ["membership"]


@admin.register(PracticeNudge)
class PracticeNudgeAdmin(admin.ModelAdmin):
    """The record of monthly nudges (the mail itself is in the mail log)."""

    list_display = ["month", "membership", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "month", "membership__cohort"]
    search_fields = ["membership__person__full_name"]
    list_select_related = ["membership__person", "membership__cohort"]
    readonly_fields = [
        "membership",
        "month",
        "status",
        "attempts",
        "sending_started_at",
        "sent_at",
        "last_error",
        "created_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
