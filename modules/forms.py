import copy

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from cohorts.forms import DateInput
from cohorts.models import Cohort, Membership, Organisation, Person, Programme
from common.drawn import drawn
from common.templatetags.row_urls import MARKER
from common.versions import NO_ROW, VersionField, row_version

from .models import Attendance, Module, PDSACycle
from .selectors import RegisterRow, register_version
from .services import ActItemChange

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
MODULE_FIELDS = ["title", "topics", "starts_at", "ends_at", "venue"]
PDSA_FIELDS = ["plan_intent", "plan_prediction", "do_notes", "study_reading"]


class AttendanceRegisterForm(forms.Form):
    """One radio group per active participant, named ``status_<membership pk>``; its last choice,
    "Not recorded", clears a mark given by mistake."""

    NOT_RECORDED = "not_recorded"
    CHOICES_TEMPLATE = "modules/partials/_register_choices.html"

    version = VersionField()

    def __init__(self, *args, register: list[RegisterRow], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = register_version(register)
        self.rows = []
        # Translated once for the whole register, not once a person and choice (issue 14: the
        # module page draws four choices for each of a cohort's hundred-odd participants).
        self.choices = [
            (value, str(label)) for value, label in [*Attendance.Status.choices, (self.NOT_RECORDED, _("Not recorded"))]
        ]
        # Each person's field is a copy of one made here (its own label and initial), not a field built
        # from scratch: building the field and its widget for each of a hundred-odd people was a sixth of
        # the module page's time (issue 14). What the copies share (choices, widget, validators) is read
        # only: the buttons are drawn by register_rows, and validating reads the widget without changing it.
        prototype = forms.ChoiceField(choices=self.choices, widget=forms.RadioSelect, required=False)
        for row in register:
            if not row.is_active:
                self.rows.append((row, None))
                continue
            name = self.field_name(row.membership.pk)
            field = copy.copy(prototype)
            field.label = row.membership.person.full_name
            field.initial = row.status or self.NOT_RECORDED
            self.fields[name] = field
            self.rows.append((row, name))

    @staticmethod
    def field_name(membership_pk) -> str:
        return f"status_{membership_pk}"

    def register_rows(self):
        """(row, bound field, its radio buttons' HTML) in register order; field and buttons are None for
        read-only rows.

        Every row's buttons are the same but for the person's pk in their name and ids and for the one
        checked, so each checked value is drawn once (``CHOICES_TEMPLATE``, kept per process, with ``MARKER``
        for the pk) and each row gets a copy with its own pk: drawing the widget's four buttons for each
        of a hundred-odd participants was half the module page's time (issue 14).
        ``modules/tests/test_forms.py`` checks the buttons are the ones the widget draws."""
        return self._register_rows(bound_fields=True)

    def _register_rows(self, *, bound_fields: bool):
        # Without ``bound_fields``, a form that was not sent and has no initial values of its own gives
        # each field's initial value and no bound field: what ``BoundField.value()`` would give it,
        # without making a bound field for each of a hundred-odd people (issue 14).
        plain = not bound_fields and not self.is_bound and not self.initial
        parts: dict[str | None, list[str]] = {}
        rows = []
        for row, name in self.rows:
            if name is None:
                rows.append((row, None, None))
                continue
            if plain:
                field, value = None, self.fields[name].initial
            else:
                field = self[name]
                value = field.value()
            checked = None if value is None else str(value)
            if checked not in parts:
                parts[checked] = self._choices_for_marker(checked).split(str(MARKER))
            buttons = str(int(row.membership.pk)).join(parts[checked])
            rows.append((row, name if field is None else field, mark_safe(buttons)))  # noqa: S308 - drawn by the template, pk an int
        return rows

    def register_values(self) -> list[dict]:
        """What the page shows of each row of the register, as plain values (``common.drawn`` keeps the
        rows drawn under them): as ``register_rows``, with each field's errors and buttons as text."""
        values = []
        professions: dict[str, str] = {}  # each label once, not once a row (``get_profession_display``)
        for row, field, buttons in self._register_rows(bound_fields=False):
            membership = row.membership
            if field is None:
                values.append(
                    {
                        "pk": membership.pk,
                        "name": membership.person.full_name,
                        "active": False,
                        "withdrawn_on": membership.withdrawn_on,
                        "status_label": str(row.status_label),
                    }
                )
                continue
            values.append(
                {
                    "pk": membership.pk,
                    "name": membership.person.full_name,
                    "active": True,
                    "job_title": membership.person.job_title,
                    "profession": professions.get(membership.person.profession)
                    or professions.setdefault(membership.person.profession, membership.person.get_profession_display()),
                    # A name stands for a field of a form not sent: no errors.
                    "errors": [] if isinstance(field, str) else [str(error) for error in field.errors],
                    "buttons": buttons,
                }
            )
        return values

    def _choices_for_marker(self, checked: str | None) -> str:
        name = self.add_prefix(self.field_name(MARKER))
        # Kept per process (common.drawn): the same buttons for every page of every register.
        return drawn(
            self.CHOICES_TEMPLATE,
            {"name": name, "id": self.auto_id % name, "choices": self.choices, "checked": checked},
        )

    def statuses(self) -> dict[int, str | None]:
        """The statuses chosen, by membership pk (None: not recorded); people left blank are not included."""
        return {
            row.membership.pk: None if self.cleaned_data[name] == self.NOT_RECORDED else self.cleaned_data[name]
            for row, name in self.rows
            if name and self.cleaned_data.get(name)
        }


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_LOCAL_FORMAT, **kwargs)


class ModuleForm(forms.Form):
    """A module's details; the service saves them, so a rejected edit never touches the module shown."""

    def __init__(self, *args, module: Module, **kwargs):
        self.module = module
        kwargs["initial"] = {**{name: getattr(module, name) for name in MODULE_FIELDS}, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                Module,
                fields=MODULE_FIELDS,
                widgets={
                    "topics": forms.Textarea(attrs={"rows": 4}),
                    "starts_at": DateTimeLocalInput(),
                    "ends_at": DateTimeLocalInput(),
                },
                help_texts={
                    "starts_at": _("Date and time, UK time."),
                    "ends_at": _("Must be after the start."),
                },
            )
        )
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = [DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def clean(self):
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The module must end after it starts."))
        if starts_at and self.module.is_delivered and starts_at > timezone.now():
            self.add_error("starts_at", _("This module has been delivered, so its start cannot be in the future."))
        return cleaned


class PDSACycleForm(forms.Form):
    # The record as this form showed it (common.versions).
    version = VersionField()

    def __init__(self, *args, cycle: PDSACycle | None, **kwargs):
        initial = {name: getattr(cycle, name) for name in PDSA_FIELDS} if cycle else {}
        initial["version"] = row_version(cycle) if cycle else NO_ROW
        super().__init__(*args, initial=initial, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                PDSACycle, fields=PDSA_FIELDS, widgets={name: forms.Textarea(attrs={"rows": 4}) for name in PDSA_FIELDS}
            )
        )


class ActItemForm(forms.Form):
    pk = forms.IntegerField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(label=_("Change to make"), max_length=500, required=False)
    delete = forms.BooleanField(label=_("Remove"), required=False)

    def change(self) -> ActItemChange | None:
        data = self.cleaned_data
        if not data or (data.get("pk") is None and not (data.get("text") or "").strip()):
            return None
        return ActItemChange(pk=data.get("pk"), text=data.get("text") or "", delete=bool(data.get("delete")))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("pk") is not None and not cleaned.get("delete") and not (cleaned.get("text") or "").strip():
            self.add_error("text", _("Write the change, or tick “Remove” to delete it."))
        return cleaned


ActItemFormSet = forms.formset_factory(ActItemForm, extra=2, max_num=30, validate_max=True)


def act_item_formset(*, data=None, items=()):
    initial = [{"pk": item.pk, "text": item.text} for item in items]
    return ActItemFormSet(data=data, initial=initial, prefix="act")


class CohortCreateForm(forms.Form):
    """The next cohort of a programme, as the provider's staff plan it; its modules come from the outline."""

    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("For example “Tamar Vale Cohort 2”."))
    commissioner = forms.ModelChoiceField(
        label=_("Commissioning organisation"), queryset=Organisation.objects.none(), empty_label=_("Choose one")
    )
    start_date = forms.DateField(
        label=_("Start date"), widget=DateInput(), help_text=_("The day of module 1; the other modules follow it.")
    )
    facilitators = forms.ModelMultipleChoiceField(
        label=_("Facilitators"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Optional: facilitators can be added later."),
    )

    def __init__(self, *args, programme: Programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.fields["commissioner"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.COMMISSIONER
        ).order_by("name")
        # The provider's own people, and anyone who has facilitated one of the programme's cohorts.
        self.fields["facilitators"].queryset = (
            Person.objects.filter(
                Q(organisation_id=programme.provider_id)
                | Q(
                    memberships__cohort__programme=programme,
                    memberships__role=Membership.Role.FACILITATOR,
                )
            )
            .distinct()
            .order_by("full_name", "pk")
        )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the cohort a name."))
        return name


class CohortFilterForm(forms.Form):
    """The home page's status filter (GET); an unknown status is an error on the form, and the list is unfiltered."""

    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All statuses")), *Cohort.Status.choices], required=False
    )

    def status_chosen(self) -> str:
        return self.cleaned_data.get("status", "") if self.is_valid() else ""
