from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models import Answer

from .models import REFLECTION_MAX_LENGTH, PracticeMoment

PRIVATE = "private"
SHARED = "set"


class PracticeMomentForm(forms.Form):
    """The one-minute form: every field but the reflection has a default or a tap to choose."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    method = forms.ChoiceField(
        label=_("What did you use?"), choices=PracticeMoment.Method.choices, widget=forms.RadioSelect
    )
    with_whom = forms.ChoiceField(
        label=_("With whom?"),
        choices=PracticeMoment.WithWhom.choices,
        widget=forms.RadioSelect,
        help_text=_("A group, not a name: please do not write anyone's name in the reflection either."),
    )
    reflection = forms.CharField(
        label=_("Reflection (optional)"),
        required=False,
        max_length=REFLECTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A line or two: what happened, what you noticed, what you would do next time."),
    )
    visibility = forms.ChoiceField(label=_("Who can read your reflection?"), widget=forms.RadioSelect)
    quote_consent = forms.ChoiceField(
        label=_("May we quote your reflection in the programme's impact report?"),
        choices=Answer.QuoteConsent.choices,
        initial=Answer.QuoteConsent.NONE,
        required=False,  # not answering is "no"
        widget=forms.RadioSelect,
        help_text=_(
            "Only if you share it with your set. You can withdraw your consent on “My programme” until the "
            "report is published."
        ),
    )

    def __init__(self, *args, cohort, action_learning_set=None, moment=None, **kwargs):
        if moment is not None:
            kwargs["initial"] = {
                "date": moment.date,
                "method": moment.method,
                "with_whom": moment.with_whom,
                "reflection": moment.reflection,
                "visibility": SHARED if moment.shared_with_set else PRIVATE,
                "quote_consent": moment.quote_consent,
                **kwargs.get("initial", {}),
            }
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["date"].initial = today
        self.fields["date"].widget.attrs.update(max=today.isoformat(), min=cohort.start_date.isoformat())
        self.fields["visibility"].initial = PRIVATE
        self.fields["visibility"].choices = [
            (PRIVATE, _("Keep it private: only you can read it")),
            (SHARED, self._shared_label(action_learning_set)),
        ]

    @staticmethod
    def _shared_label(action_learning_set):
        if action_learning_set is None:
            return _("Share it with my action-learning set, once I am in one")
        facilitator = action_learning_set.set_facilitator
        if facilitator is None:
            return _("Share it with my set, %(set)s: its members") % {"set": action_learning_set.name}
        return _("Share it with my set, %(set)s: its members and its facilitator, %(name)s") % {
            "set": action_learning_set.name,
            "name": facilitator.person.full_name,
        }

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "date": data["date"],
            "method": data["method"],
            "with_whom": data["with_whom"],
            "reflection": data["reflection"],
            "shared_with_set": data["visibility"] == SHARED,
            "quote_consent": data["quote_consent"] or Answer.QuoteConsent.NONE,
        }


class PracticeNudgesForm(forms.Form):
    nudges = forms.ChoiceField(
        label=_("A reminder by e-mail at the start of a month in which you have logged nothing"),
        choices=[("on", _("Yes, remind me")), ("off", _("No reminders, thank you"))],
        widget=forms.RadioSelect,
    )

    @property
    def nudges_on(self) -> bool:
        return self.cleaned_data["nudges"] == "on"


class QuoteSourceForm(forms.Form):
    """A quote's source, as the quotes page names it ("answer-12", "moment-5")."""

    source = forms.RegexField(regex=r"^(answer|moment)-\d+$", widget=forms.HiddenInput)


class QuoteMoveForm(QuoteSourceForm):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))], widget=forms.HiddenInput)


class FollowUpDateForm(forms.Form):
    follow_up_on = forms.DateField(
        label=_("The follow-up survey opens on"),
        help_text=_("Usually about three months after module 6: long enough to see whether the change lasts."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
