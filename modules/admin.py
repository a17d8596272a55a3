from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cohorts.admin import CohortAdmin, CohortMembershipInline
from cohorts.models import Cohort, Membership

from .models import Attendance, Module
from .services import cohort_create_from_programme, module_mark_delivered

TIMESTAMPS = ("created_at", "updated_at")


class AttendanceAdminForm(forms.ModelForm):
    class Meta:
        model = Attendance
        fields = ("module", "membership", "status")

    def clean(self):
        cleaned_data = super().clean()
        # In the inline the module is not a form field: the formset has set it on the instance.
        module = cleaned_data.get("module") or (self.instance.module if self.instance.module_id else None)
        membership = cleaned_data.get("membership")
        if module is not None and membership is not None and membership.cohort_id != module.cohort_id:
            self.add_error("membership", _("This person is not in the module's cohort."))
        return cleaned_data


class AttendanceInlineFormSet(forms.BaseInlineFormSet):
    """Builds the participant choices once for the whole register, not once per row."""

    @cached_property
    def _membership_choices(self):
        return list(self.form.base_fields["membership"].choices)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.fields["membership"].choices = self._membership_choices
        return form

    @property
    def empty_form(self):
        form = super().empty_form
        form.fields["membership"].choices = self._membership_choices
        return form


class AttendanceInline(admin.TabularInline):
    model = Attendance
    form = AttendanceAdminForm
    formset = AttendanceInlineFormSet
    fields = ("membership", "status")
    extra = 0
    _module = None

    def get_queryset(self, request):
        # Each row shows the attendance's __str__: person, module and the module's cohort.
        return (
            super().get_queryset(request).select_related("module__cohort", "membership__person", "membership__cohort")
        )

    def get_formset(self, request, obj=None, **kwargs):
        # Inline instances are made per request, so keeping the parent here is safe.
        self._module = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "membership":
            memberships = Membership.objects.participants().select_related("person")
            if self._module is not None:
                memberships = memberships.filter(cohort_id=self._module.cohort_id)
            else:
                memberships = memberships.none()
            kwargs["queryset"] = memberships.order_by("person__full_name")
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label = _("participant")
            field.label_from_instance = lambda membership: membership.person.full_name
            # In a register, "add/change membership" pop-ups beside every row are noise.
            field.widget.can_add_related = field.widget.can_change_related = field.widget.can_view_related = False
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ("cohort", "number", "title", "starts_at", "venue", "state", "present_count")
    list_display_links = ("number", "title")
    list_filter = ("state", "is_celebration", "number", "cohort__status", "cohort")
    list_select_related = ("cohort",)
    search_fields = ("title", "topics", "venue", "cohort__name")
    autocomplete_fields = ("cohort",)
    readonly_fields = TIMESTAMPS
    date_hierarchy = "starts_at"
    ordering = ("starts_at",)
    inlines = (AttendanceInline,)
    actions = ("mark_delivered",)
    fieldsets = (
        (None, {"fields": ("cohort", "number", "title", "topics", "is_celebration")}),
        (_("When and where"), {"fields": ("starts_at", "ends_at", "venue")}),
        (_("Delivery"), {"fields": ("state", "delivered_at")}),
        (_("Record"), {"fields": TIMESTAMPS, "classes": ("collapse",)}),
    )

    def get_queryset(self, request):
        # __str__ shows the cohort (autocomplete results, delete confirmation).
        return (
            super()
            .get_queryset(request)
            .select_related("cohort")
            .annotate(present_count=Count("attendances", filter=Q(attendances__status=Attendance.Status.PRESENT)))
        )

    @admin.display(description=_("present"), ordering="present_count")
    def present_count(self, obj):
        return obj.present_count

    @admin.action(description=_("Mark selected modules delivered"), permissions=["change"])
    def mark_delivered(self, request, queryset):
        delivered = 0
        for module in queryset.filter(state=Module.State.PLANNED):
            try:
                module_mark_delivered(module=module, by=request.user)
            except ValidationError as error:
                self.message_user(request, f"{module}: {' '.join(error.messages)}", messages.ERROR)
            else:
                delivered += 1
        self.message_user(
            request,
            ngettext("%(count)d module marked delivered.", "%(count)d modules marked delivered.", delivered)
            % {"count": delivered},
            messages.SUCCESS,
        )


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    form = AttendanceAdminForm
    list_display = ("person", "module", "status", "updated_at")
    list_filter = ("status", "module__number", "module__cohort")
    list_select_related = ("module__cohort", "membership__person", "membership__cohort")
    search_fields = ("membership__person__full_name", "membership__person__email", "module__title")
    autocomplete_fields = ("module", "membership")
    readonly_fields = TIMESTAMPS
    date_hierarchy = "module__starts_at"

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("module__cohort", "membership__person", "membership__cohort")
        )

    @admin.display(description=_("person"), ordering="membership__person__full_name")
    def person(self, obj):
        return obj.membership.person


# PDSA record (helper D) ---------------------------------------------------------------------
from django.utils import timezone  # noqa: E402

from .models import ActItem, PDSACycle  # noqa: E402


class ActItemAdminForm(forms.ModelForm):
    class Meta:
        model = ActItem
        fields = ("cycle", "text", "done")

    def clean(self):
        cleaned = super().clean()
        # The time (and, in save_model, the person) follow the "done" tick, as on the module page.
        if cleaned.get("done") and not self.instance.done_at:
            self.instance.done_at = timezone.now()
        elif not cleaned.get("done"):
            self.instance.done_at = None
            self.instance.done_by = None
        return cleaned


class ActItemInline(admin.TabularInline):
    model = ActItem
    form = ActItemAdminForm
    fields = ("text", "done", "done_at", "done_by")
    readonly_fields = ("done_at", "done_by")
    extra = 0


@admin.register(PDSACycle)
class PDSACycleAdmin(admin.ModelAdmin):
    list_display = ("module", "cohort", "act_items_count", "updated_by", "updated_at")
    list_filter = ("module__number", "module__cohort")
    list_select_related = ("module__cohort", "updated_by")
    search_fields = ("module__title", "module__cohort__name", "plan_intent", "study_reading")
    autocomplete_fields = ("module",)
    readonly_fields = ("updated_by", *TIMESTAMPS)
    inlines = [ActItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_act_items=Count("act_items"))

    @admin.display(description=_("cohort"), ordering="module__cohort__name")
    def cohort(self, obj):
        return obj.module.cohort

    @admin.display(description=_("act items"), ordering="n_act_items")
    def act_items_count(self, obj):
        return obj.n_act_items

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for item_form in formset.forms:
            if item_form.instance.done and item_form.instance.done_by_id is None:
                item_form.instance.done_by = request.user
        super().save_formset(request, form, formset, change)


@admin.register(ActItem)
class ActItemAdmin(admin.ModelAdmin):
    form = ActItemAdminForm
    list_display = ("text", "module", "done", "done_at", "done_by")
    list_filter = ("done", "cycle__module__number", "cycle__module__cohort")
    list_select_related = ("cycle__module__cohort", "done_by")
    search_fields = ("text", "cycle__module__title", "cycle__module__cohort__name")
    autocomplete_fields = ("cycle",)
    readonly_fields = ("done_at", "done_by", *TIMESTAMPS)

    @admin.display(description=_("decided after"), ordering="cycle__module__number")
    def module(self, obj):
        return obj.cycle.module

    def save_model(self, request, obj, form, change):
        if obj.done and obj.done_by_id is None:
            obj.done_by = request.user
        super().save_model(request, obj, form, change)


class ModuleInline(admin.TabularInline):
    model = Module
    fields = ("number", "title", "starts_at", "ends_at", "venue", "state", "delivered_at")
    extra = 0
    max_num = 6
    show_change_link = True

    def get_queryset(self, request):
        # Each row shows the module's __str__, which names the cohort.
        return super().get_queryset(request).select_related("cohort")


# The cohort's admin (cohorts/admin.py) with what modules adds: its modules inline and "modules
# delivered" column, and a new cohort gets its six modules from the programme's outline.
admin.site.unregister(Cohort)


@admin.register(Cohort)
class CohortWithModulesAdmin(CohortAdmin):
    list_display = (*CohortAdmin.list_display, "modules_delivered")

    def get_inlines(self, request, obj):
        # On the add page the six modules do not exist yet: saving creates them from the outline.
        if obj is None:
            return (CohortMembershipInline,)
        return (ModuleInline, CohortMembershipInline)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                modules_delivered=Count("modules", filter=Q(modules__state=Module.State.DELIVERED), distinct=True)
            )
        )

    @admin.display(description=_("modules delivered"), ordering="modules_delivered")
    def modules_delivered(self, obj):
        return obj.modules_delivered

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = cohort_create_from_programme(
            programme=obj.programme,
            commissioner=obj.commissioner,
            name=obj.name,
            start_date=obj.start_date,
            end_date=obj.end_date,
            status=obj.status,
        )
        # The form's instance becomes the created cohort, so that the inlines attach to it and
        # fields the service does not take (e.g. survey_audience) are saved from the form.
        obj.pk = created.pk
        obj.created_at = created.created_at
        obj._state.adding = False
        obj._state.db = created._state.db
        obj.save()
        self.message_user(
            request,
            _("Its modules were created from the programme's outline; check their dates and venues."),
            messages.INFO,
        )
