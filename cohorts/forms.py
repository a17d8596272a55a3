from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.choices import DrawnSelect, RowsModelChoiceField

from .imports import MAX_FILE_BYTES, MAX_ROWS
from .models import Cohort, Organisation, Person


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CohortUpdateForm(forms.ModelForm):
    move_planned_modules = forms.BooleanField(
        label=_("Move the planned modules by as many days as the start date moves"),
        required=False,
        initial=True,
        help_text=_("Delivered modules never move. Each module's date can also be changed on its own page."),
    )

    class Meta:
        model = Cohort
        fields = ["name", "start_date", "end_date", "status", "survey_audience"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date must be on or after the start date."))
        return cleaned


class PersonDetailsForm(forms.Form):
    """A person's details, as the pages that add a participant and change their details ask for them."""

    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    job_title = forms.CharField(label=_("Job title"), max_length=200, required=False)
    profession = forms.ChoiceField(
        label=_("Profession or discipline"), choices=Person.Profession.choices, widget=DrawnSelect
    )
    team = forms.CharField(label=_("Team"), max_length=200, required=False)
    organisation = RowsModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label=_("(none)"),
    )


class ParticipantAddForm(PersonDetailsForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _(
            "If someone with this e-mail is already known, their record is reused and completed."
        )
        self.fields["profession"].initial = Person.Profession.OTHER
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["job_title"].widget.attrs["autocomplete"] = "organization-title"


class ParticipantWithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label=_("Date of withdrawal"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["withdrawn_on"].initial = timezone.localdate()

    def clean_withdrawn_on(self):
        value = self.cleaned_data["withdrawn_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value


class ParticipantImportForm(forms.Form):
    file = forms.FileField(
        label=_("Registration list (CSV or Excel .xlsx)"),
        widget=forms.FileInput(
            attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("At most %(size)s MB and %(rows)s participants.") % {
            "size": MAX_FILE_BYTES // (1024 * 1024),
            "rows": MAX_ROWS,
        }


class ParticipantUpdateForm(PersonDetailsForm):
    def __init__(self, *args, person, email_editable=True, **kwargs):
        kwargs["initial"] = {
            "full_name": person.full_name,
            "email": person.email,
            "job_title": person.job_title,
            "profession": person.profession,
            "team": person.team,
            "organisation": person.organisation_id,
            **kwargs.get("initial", {}),
        }
        super().__init__(*args, **kwargs)
        self.fields["full_name"].widget.attrs["autocomplete"] = "off"
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        if email_editable:
            self.fields["email"].help_text = _("Survey invitations and sign-in links go to this address.")
        else:
            # A disabled field keeps its initial value whatever is posted.
            self.fields["email"].disabled = True
            self.fields["email"].help_text = _(
                "This person also has another role or another cohort, or a staff account, "
                "so only an administrator can change their e-mail."
            )
