import copy
from functools import partial

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from cohorts.models import Membership
from common.choices import DrawnSelect, RowsModelChoiceField, RowsModelMultipleChoiceField
from common.drawn import drawn
from common.versions import VersionField, row_version

from . import selectors
from .models import (
    PROGRESS_SCORE_CHOICES,
    ActionLearningSet,
    DataPoint,
    ImprovementProject,
    Measure,
    Presentation,
    PresentationFeedback,
    ProjectPDSACycle,
    SetAction,
    SetMeeting,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def choose_from(field, *, queryset, rows, bound: bool) -> None:
    """A model choice field's options and what it accepts. A form that is only drawn (unbound) shows
    ``rows``, its options as (pk, label) in the order the field would read them from ``queryset``,
    when the view has them (read by a statement compiled once per process, issue 14); its queryset is
    then never asked and is left empty. A form that was sent checks against ``queryset``, which may be
    a callable that builds it, built only then."""
    if rows is not None and not bound:
        field.queryset = field.queryset.none()
        field.choices = [*([("", field.empty_label)] if field.empty_label is not None else []), *rows]
    else:
        field.queryset = queryset() if callable(queryset) else queryset


class MembershipChoiceField(RowsModelChoiceField):
    label_lookup = "person__full_name"


class MembershipMultipleChoiceField(RowsModelMultipleChoiceField):
    label_lookup = "person__full_name"


class SetForm(forms.ModelForm):
    set_facilitator = MembershipChoiceField(
        queryset=Membership.objects.none(), required=False, label=_("Set facilitator")
    )

    class Meta:
        model = ActionLearningSet
        fields = ["name", "set_facilitator"]

    def __init__(self, *args, cohort, facilitator_rows=None, **kwargs):
        """``facilitator_rows``: the options of an empty form (``selectors.set_facilitator_choice_rows``)."""
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        choose_from(
            self.fields["set_facilitator"],
            queryset=partial(selectors.set_facilitators_for_choice, cohort=cohort),
            rows=facilitator_rows,
            bound=self.is_bound,
        )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = ActionLearningSet.objects.filter(cohort=self.cohort, name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("This cohort already has a set with that name."))
        return name


class SetSplitForm(forms.Form):
    number_of_sets = forms.IntegerField(
        label=_("Number of sets"),
        min_value=1,
        max_value=10,
        initial=5,
        help_text=_("Participants not yet in a set are shared out, mixing professions and organisations."),
    )


class SetAssignForm(forms.Form):
    """One select per active participant: which set they are in."""

    OPTIONS_TEMPLATE = "projects/partials/_set_options.html"
    ROWS_TEMPLATE = "projects/partials/_set_assign_rows.html"

    def __init__(self, *args, participants, sets, **kwargs):
        super().__init__(*args, **kwargs)
        self.participants = participants
        self.sets = {s.pk: s for s in sets}
        # "No set" translated once for the page, not once a participant (issue 14).
        self.choices = [("", str(_("No set"))), *[(str(s.pk), s.name) for s in sets]]
        # One field made and copied for each participant: a ChoiceField checks and copies its
        # choices when made, the same six for every one of a hundred-odd participants (issue 14).
        # Each copy gets its own label and initial; the choices and the widget are never changed.
        made = forms.ChoiceField(choices=self.choices, required=False)
        for membership in participants:
            field = copy.copy(made)
            field.label = membership.person.full_name
            field.initial = str(membership.current_set_id or "")
            self.fields[f"m{membership.pk}"] = field

    def rows(self):
        """(membership, bound field, its select's options as HTML) for each participant. The options
        differ from row to row only in the one selected, so they are drawn once per page for each
        value (issue 14: six options for each of a hundred-odd participants were most of the page)."""
        drawn: dict[str, str] = {}
        rows = []
        for membership in self.participants:
            field = self[f"m{membership.pk}"]
            current = str(field.value())
            if current not in drawn:
                context = {"choices": self.choices, "current": current}
                drawn[current] = mark_safe(render_to_string(self.OPTIONS_TEMPLATE, context).strip())  # noqa: S308 - escaped by the template
            rows.append((membership, field, drawn[current]))
        return rows

    def table_rows(self):
        """The table's rows, drawn once per process for what they show (common.drawn)."""
        values = [
            (
                membership.person.full_name,
                membership.person.get_profession_display(),
                str(membership.person.organisation or ""),
                field.id_for_label,
                field.html_name,
                options,
            )
            for membership, field, options in self.rows()
        ]
        return drawn(self.ROWS_TEMPLATE, {"rows": values})

    def assignments(self):
        return {
            m: self.sets.get(int(self.cleaned_data[f"m{m.pk}"])) if self.cleaned_data[f"m{m.pk}"] else None
            for m in self.participants
        }


class SetReflectionsForm(forms.ModelForm):
    class Meta:
        model = ActionLearningSet
        fields = ["reflections"]
        widgets = {"reflections": forms.Textarea(attrs={"rows": 5})}


class SetMeetingForm(forms.ModelForm):
    attendees = MembershipMultipleChoiceField(
        queryset=Membership.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label=_("Who came")
    )

    class Meta:
        model = SetMeeting
        fields = ["date", "attendees", "notes"]
        widgets = {"date": DATE_WIDGET, "notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, people, people_rows=None, **kwargs):
        super().__init__(*args, **kwargs)
        choose_from(self.fields["attendees"], queryset=people, rows=people_rows, bound=self.is_bound)


class SetActionForm(forms.ModelForm):
    owner = MembershipChoiceField(queryset=Membership.objects.none(), required=False, label=_("Owner"))

    class Meta:
        model = SetAction
        fields = ["description", "owner", "due_date"]
        widgets = {"due_date": DATE_WIDGET}

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people


class ProjectForm(forms.ModelForm):
    # The project as this form showed it (common.versions); its edit page checks it.
    version = VersionField()

    class Meta:
        model = ImprovementProject
        fields = ["action_learning_set", "title", "area", "status", "problem", "aim", "stakeholders"]
        field_classes = {"action_learning_set": RowsModelChoiceField}
        widgets = {
            "area": DrawnSelect,
            "status": DrawnSelect,
            "problem": forms.Textarea(attrs={"rows": 4}),
            "aim": forms.Textarea(attrs={"rows": 3}),
            "stakeholders": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, sets, set_rows=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action_learning_set"].empty_label = None
        choose_from(self.fields["action_learning_set"], queryset=sets, rows=set_rows, bound=self.is_bound)
        self.fields["version"].initial = row_version(self.instance)


class ProgressScoreForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Progress score"),
        choices=[(str(value), label) for value, label in PROGRESS_SCORE_CHOICES],
        coerce=str,
    )
    note = forms.CharField(label=_("Why this score"), max_length=300, required=False)


class DriverDiagramForm(forms.Form):
    outline = forms.CharField(
        label=_("Driver diagram"),
        widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace", "spellcheck": "true"}),
        required=False,
        help_text=_(
            "One entry a line. No indent: primary driver. Two spaces: secondary driver. "
            "Four spaces: change idea. A leading “-” is optional."
        ),
    )


class MeasureForm(forms.ModelForm):
    class Meta:
        model = Measure
        fields = ["name", "kind", "unit", "better", "definition", "baseline_points", "baseline_start", "baseline_end"]
        widgets = {
            "baseline_start": DATE_WIDGET,
            "baseline_end": DATE_WIDGET,
            "definition": forms.Textarea(attrs={"rows": 3}),
        }


class DataPointForm(forms.ModelForm):
    class Meta:
        model = DataPoint
        fields = ["date", "value", "note"]
        widgets = {"date": DATE_WIDGET}

    def __init__(self, *args, measure, **kwargs):
        super().__init__(*args, **kwargs)
        self.measure = measure

    def clean_date(self):
        date = self.cleaned_data["date"]
        if self.measure.data_points.filter(date=date).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("There is already a value for this date. Change or delete that one."))
        return date

    def save(self, commit=True):
        self.instance.measure = self.measure
        return super().save(commit=commit)


class DataImportForm(forms.Form):
    text = forms.CharField(
        label=_("Paste rows: date, value, note"),
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace"}),
        required=False,
        help_text=_("One row a line, e.g. “2026-03-02,45,new rota”. Copying columns from a spreadsheet works too."),
    )
    file = forms.FileField(label=_("…or choose a CSV file"), required=False)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            if upload.size > 1024 * 1024:
                raise forms.ValidationError(_("The CSV file is larger than 1 MB."))
            raw = upload.read()
            try:
                cleaned["text"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                cleaned["text"] = raw.decode("cp1252", errors="replace")
        if not (cleaned.get("text") or "").strip():
            raise forms.ValidationError(_("Paste some rows or choose a CSV file."))
        return cleaned


class PDSACycleForm(forms.ModelForm):
    # The cycle as this form showed it (common.versions); checked when an existing cycle is saved.
    version = VersionField()

    class Meta:
        model = ProjectPDSACycle
        fields = [
            "title",
            "change_idea",
            "start_date",
            "end_date",
            "plan",
            "prediction",
            "do",
            "study",
            "measures",
            "act",
            "act_notes",
        ]
        field_classes = {
            "change_idea": RowsModelChoiceField.with_label("text"),
            "measures": RowsModelMultipleChoiceField,
        }
        widgets = {
            "start_date": DATE_WIDGET,
            "end_date": DATE_WIDGET,
            "measures": forms.CheckboxSelectMultiple,
            "act": forms.RadioSelect,
            "plan": forms.Textarea(attrs={"rows": 3}),
            "prediction": forms.Textarea(attrs={"rows": 2}),
            "do": forms.Textarea(attrs={"rows": 3}),
            "study": forms.Textarea(attrs={"rows": 3}),
            "act_notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, project, choice_rows=None, **kwargs):
        """``choice_rows``: the change ideas' and measures' options (``selectors.pdsa_cycle_choice_rows``)."""
        super().__init__(*args, **kwargs)
        self.project = project
        ideas, measures = choice_rows or (None, None)
        bound = self.is_bound
        choose_from(
            self.fields["change_idea"],
            queryset=lambda: project.driver_nodes.filter(kind="change_idea"),
            rows=ideas,
            bound=bound,
        )
        choose_from(self.fields["measures"], queryset=lambda: project.measures.all(), rows=measures, bound=bound)
        self.fields["act"].choices = [("", _("Not decided yet")), *ProjectPDSACycle.Act.choices]
        self.fields["act"].required = False
        self.fields["version"].initial = row_version(self.instance)

    def save(self, commit=True):
        self.instance.project = self.project
        return super().save(commit=commit)


class PresentationForm(forms.ModelForm):
    class Meta:
        model = Presentation
        fields = ["order", "starts_at", "ends_at", "action_learning_set", "project", "title"]
        field_classes = {
            "action_learning_set": RowsModelChoiceField,
            "project": RowsModelChoiceField.with_label("title"),
        }
        widgets = {"starts_at": TIME_WIDGET, "ends_at": TIME_WIDGET}

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        self.instance.cohort = cohort
        self.fields["action_learning_set"].queryset = ActionLearningSet.objects.for_cohort(cohort)
        self.fields["project"].queryset = ImprovementProject.objects.for_cohort(cohort)

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The slot must end after it starts."))
        project, the_set = cleaned.get("project"), cleaned.get("action_learning_set")
        if project and the_set and project.action_learning_set_id != the_set.pk:
            self.add_error("project", _("That project belongs to another set."))
        order = cleaned.get("order")
        if order and Presentation.objects.filter(cohort=self.cohort, order=order).exclude(pk=self.instance.pk).exists():
            self.add_error("order", _("Another presentation already has this place in the order."))
        return cleaned


class SlidesForm(forms.Form):
    slides = forms.FileField(
        label=_("Slides (PDF or PowerPoint .pptx, up to 20 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.pptx,application/pdf"}),
    )


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = PresentationFeedback
        fields = ["went_well", "even_better_if"]
        widgets = {
            "went_well": forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
            "even_better_if": forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        }
