from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin_inlines import SelectedObjectsInlineMixin

from .models import Cohort, Membership, ModuleOutline, Organisation, Person, Programme
from .services import membership_reinstate, membership_withdraw

TIMESTAMPS = ("created_at", "updated_at")


class TimestampedAdmin(admin.ModelAdmin):
    """Created/updated times are set by the database layer, never typed in."""

    readonly_fields = TIMESTAMPS


@admin.register(Organisation)
class OrganisationAdmin(TimestampedAdmin):
    list_display = ("name", "kind", "people_count", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(people_count=Count("people"))

    @admin.display(description=_("people"), ordering="people_count")
    def people_count(self, obj):
        return obj.people_count


class ModuleOutlineInline(admin.TabularInline):
    model = ModuleOutline
    fields = ("number", "title", "topics", "duration_hours", "weeks_after_start", "is_celebration")
    extra = 0
    max_num = 6
    show_change_link = True


@admin.register(Programme)
class ProgrammeAdmin(TimestampedAdmin):
    list_display = ("name", "provider", "outline_count", "cohort_count", "updated_at")
    list_filter = (("provider", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("provider",)
    search_fields = ("name", "provider__name")
    autocomplete_fields = ("provider",)
    inlines = (ModuleOutlineInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                outline_count=Count("outlines", distinct=True),
                cohort_count=Count("cohorts", distinct=True),
            )
        )

    @admin.display(description=_("modules outlined"), ordering="outline_count")
    def outline_count(self, obj):
        return obj.outline_count

    @admin.display(description=_("cohorts"), ordering="cohort_count")
    def cohort_count(self, obj):
        return obj.cohort_count


@admin.register(ModuleOutline)
class ModuleOutlineAdmin(TimestampedAdmin):
    list_display = ("programme", "number", "title", "duration_hours", "weeks_after_start", "is_celebration")
    list_display_links = ("number", "title")
    list_filter = ("programme", "is_celebration")
    list_select_related = ("programme",)
    search_fields = ("title", "topics", "programme__name")
    autocomplete_fields = ("programme",)
    ordering = ("programme__name", "number")


class CohortMembershipInline(SelectedObjectsInlineMixin, admin.TabularInline):
    """The cohort's people, editable in place: each row's person is named from one query for all rows."""

    model = Membership
    fk_name = "cohort"
    fields = ("person", "person_job_title", "role", "status", "withdrawn_on")
    readonly_fields = ("person_job_title",)
    autocomplete_fields = ("person",)
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        # Each row shows the membership's __str__ (person and cohort) and the person's job title.
        return super().get_queryset(request).select_related("person", "cohort")

    @admin.display(description=_("job title"))
    def person_job_title(self, obj):
        return obj.person.job_title if obj.person_id else ""


@admin.register(Cohort)
class CohortAdmin(TimestampedAdmin):
    """The cohort's own fields and people; modules/admin.py registers it again with its modules."""

    list_display = (
        "name",
        "programme",
        "commissioner",
        "start_date",
        "end_date",
        "status",
        "participant_count",
    )
    list_filter = (
        "status",
        ("programme", admin.RelatedOnlyFieldListFilter),
        ("commissioner", admin.RelatedOnlyFieldListFilter),
        "survey_audience",
    )
    list_select_related = ("programme", "commissioner")
    search_fields = ("name", "programme__name", "commissioner__name")
    autocomplete_fields = ("programme", "commissioner")
    date_hierarchy = "start_date"
    actions = ("mark_running", "mark_finished")

    inlines = (CohortMembershipInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                participant_count=Count(
                    "memberships",
                    filter=Q(
                        memberships__role=Membership.Role.PARTICIPANT, memberships__status=Membership.Status.ACTIVE
                    ),
                    distinct=True,
                ),
            )
        )

    @admin.display(description=_("active participants"), ordering="participant_count")
    def participant_count(self, obj):
        return obj.participant_count

    def _set_status(self, request, queryset, status):
        updated = queryset.update(status=status)
        self.message_user(
            request,
            ngettext("%(count)d cohort updated.", "%(count)d cohorts updated.", updated) % {"count": updated},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark selected cohorts as running"), permissions=["change"])
    def mark_running(self, request, queryset):
        self._set_status(request, queryset, Cohort.Status.RUNNING)

    @admin.action(description=_("Mark selected cohorts as finished"), permissions=["change"])
    def mark_finished(self, request, queryset):
        self._set_status(request, queryset, Cohort.Status.FINISHED)


class PersonMembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "person"
    fields = ("cohort", "role", "status", "withdrawn_on")
    autocomplete_fields = ("cohort",)
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cohort")


@admin.register(Person)
class PersonAdmin(TimestampedAdmin):
    list_display = ("full_name", "email", "job_title", "profession", "team", "organisation", "user")
    list_filter = ("profession", ("organisation", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("organisation", "user")
    search_fields = ("full_name", "email", "job_title", "team")
    autocomplete_fields = ("organisation", "user")
    inlines = (PersonMembershipInline,)
    fieldsets = (
        (None, {"fields": ("full_name", "email", "user")}),
        (_("Role"), {"fields": ("job_title", "profession", "team", "organisation")}),
        (_("Record"), {"fields": TIMESTAMPS, "classes": ("collapse",)}),
    )


@admin.register(Membership)
class MembershipAdmin(TimestampedAdmin):
    list_display = ("person", "person_job_title", "cohort", "role", "status", "withdrawn_on")
    list_filter = ("role", "status", "cohort", "person__profession")
    list_select_related = ("person", "cohort")
    search_fields = ("person__full_name", "person__email", "person__job_title", "cohort__name")
    autocomplete_fields = ("person", "cohort")
    actions = ("withdraw_selected", "reinstate_selected")

    def get_queryset(self, request):
        # __str__ shows person and cohort (autocomplete results, delete confirmation).
        return super().get_queryset(request).select_related("person", "cohort")

    @admin.display(description=_("job title"), ordering="person__job_title")
    def person_job_title(self, obj):
        return obj.person.job_title

    @admin.action(description=_("Withdraw selected memberships (today)"), permissions=["change"])
    def withdraw_selected(self, request, queryset):
        withdrawn = 0
        for membership in queryset.filter(status=Membership.Status.ACTIVE):
            membership_withdraw(membership=membership)
            withdrawn += 1
        self.message_user(
            request,
            ngettext("%(count)d membership withdrawn.", "%(count)d memberships withdrawn.", withdrawn)
            % {"count": withdrawn},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reinstate selected withdrawn memberships"), permissions=["change"])
    def reinstate_selected(self, request, queryset):
        reinstated = 0
        for membership in queryset.filter(status=Membership.Status.WITHDRAWN):
            membership_reinstate(membership=membership)
            reinstated += 1
        self.message_user(
            request,
            ngettext("%(count)d membership reinstated.", "%(count)d memberships reinstated.", reinstated)
            % {"count": reinstated},
            messages.SUCCESS,
        )
