from collections import Counter

from auditlog.admin import LogEntryAdmin
from auditlog.filters import ResourceTypeFilter
from auditlog.models import LogEntry
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .audit import Event
from .mail import sent_email_resend
from .models import OutboxMail, SentEmail


@admin.register(SentEmail)
class SentEmailAdmin(admin.ModelAdmin):
    """Every e-mail the application handed to the mail backend, with the outcome."""

    list_display = ["created_at", "kind", "to", "subject", "status", "short_error"]
    list_filter = ["status", "kind", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["to", "subject", "message_id"]
    date_hierarchy = "created_at"
    list_select_related = False
    list_per_page = 100
    readonly_fields = [
        "created_at",
        "kind",
        "to",
        "subject",
        "status",
        "error",
        "message_id",
        "content_type",
        "object_id",
        "redacted",
        "body",
    ]
    fields = readonly_fields
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("error"))
    def short_error(self, obj):
        return obj.error[:80]

    @admin.action(description=_("Resend the selected e-mails"), permissions=["view"])
    def resend(self, request, queryset):
        outcomes = Counter(sent_email_resend(sent_email=row) for row in queryset.select_related("content_type"))
        if outcomes["queued"] or outcomes["sent"]:
            count = outcomes["queued"] + outcomes["sent"]
            self.message_user(
                request,
                ngettext("%(count)d e-mail sent again.", "%(count)d e-mails sent again.", count) % {"count": count},
                messages.SUCCESS,
            )
        if outcomes["failed"]:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail could not be sent; see the new entry in the log.",
                    "%(count)d e-mails could not be sent; see the new entries in the log.",
                    outcomes["failed"],
                )
                % {"count": outcomes["failed"]},
                messages.ERROR,
            )
        if outcomes["impossible"]:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail held a personal link that cannot be remade; nothing was sent.",
                    "%(count)d e-mails held a personal link that cannot be remade; nothing was sent.",
                    outcomes["impossible"],
                )
                % {"count": outcomes["impossible"]},
                messages.WARNING,
            )


class AuditEventFilter(admin.SimpleListFilter):
    """The events recorded explicitly (common.audit): exports, erasure, subject access, retention."""

    title = _("event")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return [(event, event.replace("_", " ")) for event in Event.ALL]

    def queryset(self, request, queryset):
        if self.value() in Event.ALL:
            return queryset.filter(additional_data__event=self.value())
        return queryset


# auditlog's own admin (read-only, filterable by action and model), with our events and the actor.
admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditLogEntryAdmin(LogEntryAdmin):
    list_filter = ["action", AuditEventFilter, ResourceTypeFilter, ("actor", admin.RelatedOnlyFieldListFilter)]


@admin.register(OutboxMail)
class OutboxMailAdmin(admin.ModelAdmin):
    """Single e-mails waiting to be sent or sent (sign-in links); the message itself is in the mail log."""

    list_display = ["created_at", "kind", "to", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["to"]
    readonly_fields = [f.name for f in OutboxMail._meta.fields if f.name != "id"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
