"""Impact reports in the admin.

The snapshot is what the commissioner received, so it is read-only here; a quote leaves it only
through ``report_snapshot_quote_remove`` (the action below, or the button on the published report's
page). The snapshot's quotes carry an opaque person key, never a pseudonym or a name.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import ImpactReport, KeyImpact


class KeyImpactInline(admin.TabularInline):
    model = KeyImpact
    extra = 0
    fields = ["order", "text", "evidence"]

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_published

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(ImpactReport)
class ImpactReportAdmin(admin.ModelAdmin):
    list_display = ["cohort", "status", "published_at", "published_by", "quote_count", "updated_at"]
    list_filter = ["status", "cohort__programme"]
    search_fields = ["cohort__name", "cohort__commissioner__name"]
    list_select_related = ["cohort", "published_by"]
    readonly_fields = ["cohort", "status", "published_at", "published_by", "snapshot_version", "snapshot_quotes"]
    fields = ["cohort", "status", "limitations", "recommendations", *readonly_fields[2:]]
    inlines = [KeyImpactInline]
    actions = ["unpublish"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:
            return [*self.readonly_fields, "limitations", "recommendations"]
        return self.readonly_fields

    def has_add_permission(self, request):
        return False  # made by the first edit on the report page

    @admin.display(description=_("quotes"))
    def quote_count(self, obj):
        return len((obj.snapshot or {}).get("quotes", [])) if obj.is_published else "–"

    @admin.display(description=_("published quotes"))
    def snapshot_quotes(self, obj):
        if not obj.is_published:
            return _("(a draft shows the quotes chosen on the quotes page)")
        quotes = obj.snapshot.get("quotes", [])
        return "\n\n".join(f"[{q['key']}] “{q['text']}” – {q['attribution']}" for q in quotes) or "–"

    @admin.action(description=_("Take the selected reports back to draft"))
    def unpublish(self, request, queryset):
        for report in queryset.filter(status=ImpactReport.Status.PUBLISHED):
            try:
                services.report_unpublish(report=report, by=request.user)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
                return
        self.message_user(request, _("Back to draft."))


@admin.register(KeyImpact)
class KeyImpactAdmin(admin.ModelAdmin):
    list_display = ["text", "report", "order", "evidence"]
    list_filter = ["report__status"]
    search_fields = ["text", "report__cohort__name"]
    list_select_related = ["report__cohort"]
    raw_id_fields = ["report"]
