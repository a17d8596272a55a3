from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from . import disclosure, services
from .models import (
    Answer,
    Choice,
    CohortSurveySettings,
    Invitation,
    InvitationLink,
    ProgrammeSurveyDefaults,
    Question,
    QuestionSet,
    Response,
    Survey,
)


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ("order", "code", "kind", "text", "required", "max_choices", "condition_question", "condition_value")
    # Conditions and choices are edited on the question's own page, where they are validated.
    readonly_fields = ("condition_question", "condition_value")
    show_change_link = True

    def has_change_permission(self, request, obj=None):
        # An answered version is frozen; the action "Make an editable version" copies it. Asked
        # several times per page: looked up once per request.
        if obj is None:
            return True
        cache = request.__dict__.setdefault("_question_set_locked", {})
        if obj.pk not in cache:
            cache[obj.pk] = services.question_set_is_locked(question_set=obj)
        return not cache[obj.pk]

    has_add_permission = has_delete_permission = has_change_permission


class QuestionSetOwnerFilter(admin.SimpleListFilter):
    title = _("owner")
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return QuestionSet.Owner.choices

    def queryset(self, request, queryset):
        if self.value() == QuestionSet.Owner.LIBRARY:
            return queryset.library()
        if self.value() == QuestionSet.Owner.PROGRAMME:
            return queryset.filter(programme__isnull=False)
        if self.value() == QuestionSet.Owner.COHORT:
            return queryset.filter(cohort__isnull=False)
        return queryset


@admin.register(QuestionSet)
class QuestionSetAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "version", "is_current", "owner", "updated_at")
    list_filter = ("is_current", QuestionSetOwnerFilter, "programme", "cohort")
    list_select_related = ("programme", "cohort")
    search_fields = ("name", "slug", "programme__name", "cohort__name")
    fields = ("name", "description", "slug", "programme", "cohort", "version", "previous_version", "is_current")
    readonly_fields = ("version", "previous_version", "is_current")
    autocomplete_fields = ("programme", "cohort")
    inlines = [QuestionInline]
    actions = ["make_editable_version"]

    @admin.display(description=_("owner"))
    def owner(self, obj):
        holder = obj.cohort or obj.programme
        return f"{obj.owner_kind.label}: {holder}" if holder else obj.owner_kind.label

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"programme", "cohort"} & set(form.changed_data):
            # Every version of a set has the same owner.
            services.question_set_owner_change(question_set=obj, programme=obj.programme, cohort=obj.cohort)

    @admin.action(description=_("Make an editable version (copy if people have answered)"))
    def make_editable_version(self, request, queryset):
        for question_set in queryset.filter(is_current=True):
            new = services.question_set_for_editing(question_set=question_set, user=request.user)
            if new.pk != question_set.pk:
                messages.info(request, _("%(set)s: version %(v)s made.") % {"set": new.name, "v": new.version})


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0


class QuestionAdminForm(forms.ModelForm):
    """Applies the same rules as the facilitators' form (choices are checked on the inline's labels)."""

    class Meta:
        model = Question
        fields = (
            "question_set",
            "order",
            "code",
            "kind",
            "text",
            "help_text",
            "required",
            "max_choices",
            "condition_question",
            "condition_value",
        )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # The instance is only updated after clean(); validate a copy built from the cleaned data.
        question = Question(pk=self.instance.pk, **{name: cleaned.get(name) for name in self.Meta.fields})
        question.help_text, question.condition_value = question.help_text or "", question.condition_value or ""
        labels = [c.label for c in self.instance.choices.all()] if self.instance.pk else []
        if question.is_choice and len(labels) < 2:
            labels = ["", ""]  # new choices arrive with the inline, after this form
        try:
            services.question_validate(question=question, choices=labels if question.is_choice else [])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                if field != "choices":
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionAdminForm
    list_display = ("text", "code", "kind", "question_set", "order", "required")
    list_filter = ("kind", "question_set")
    search_fields = ("text", "code")
    inlines = [ChoiceInline]

    def has_change_permission(self, request, obj=None):
        return obj is None or not services.question_set_is_locked(question_set=obj.question_set)

    has_delete_permission = has_change_permission


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "cohort", "kind", "status", "privacy", "question_set", "opens_at", "closes_at")
    list_filter = ("kind", "status", "privacy")
    list_select_related = ("module__cohort", "cohort", "question_set")
    search_fields = ("cohort__name", "module__title")
    raw_id_fields = ("module", "cohort")


class InvitationLinkInline(admin.TabularInline):
    """The links issued so far (their dates only). Only the app issues links; deleting one here
    revokes it, e.g. a mail that went to the wrong person."""

    model = InvitationLink
    extra = 0
    fields = ("issued_at",)
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("membership", "survey", "status", "attempts", "sent_at", "responded", "reminders_sent")
    list_filter = ("status",)
    list_select_related = ("membership__person", "membership__cohort", "survey__module__cohort", "survey__cohort")
    search_fields = ("membership__person__full_name", "membership__person__email")
    exclude = ("responded_at",)
    readonly_fields = ("attempts", "last_error", "sent_at", "responded")
    raw_id_fields = ("survey", "membership")
    inlines = [InvitationLinkInline]

    @admin.display(description=_("responded"))
    def responded(self, obj):
        # Outside named mode only whether: the time a named person answered, next to responses
        # listed in the order they came in, would tell which pseudonymous response is theirs.
        if obj.responded_at is None:
            return _("not yet")
        if obj.survey.is_named:
            return formats.localize(timezone.localtime(obj.responded_at))
        return _("yes")


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    fields = ("question", "number", "text")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _moment(response, value):
    # Outside named mode the day only: with the time of day, or with the profession of a small
    # group, a response could be matched to a person through the invitations (surveys.disclosure).
    moment = timezone.localtime(value)
    return formats.localize(moment if response.survey.is_named else moment.date())


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Read-only: answers change only through the participant's link."""

    list_display = ("id", "survey", "submitted", "last_changed")
    list_select_related = ("survey__module__cohort", "survey__cohort")
    list_filter = ("survey__privacy",)
    fields = ("survey", "named_profession", "submitted", "last_changed")
    readonly_fields = fields
    inlines = [AnswerInline]

    @admin.display(description=_("submitted"))
    def submitted(self, obj):
        return _moment(obj, obj.submitted_at)

    @admin.display(description=_("last changed"))
    def last_changed(self, obj):
        return _moment(obj, obj.updated_at)

    @admin.display(description=_("profession (named surveys only)"))
    def named_profession(self, obj):
        return disclosure.group_label(obj.profession) if obj.survey.is_named else None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(ProgrammeSurveyDefaults)
admin.site.register(CohortSurveySettings)
