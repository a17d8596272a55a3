from django import forms
from django.utils.translation import gettext_lazy as _

from .models import KEY_IMPACT_MAX_LENGTH, NARRATIVE_MAX_LENGTH


class KeyImpactForm(forms.Form):
    text = forms.CharField(
        label=_("Key impact"),
        max_length=KEY_IMPACT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One sentence, in plain words, as the commissioner should read it."),
    )
    evidence = forms.ChoiceField(label=_("Evidence in the report"), required=False)

    def __init__(self, *args, evidence_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].choices = [("", _("(none)")), *evidence_choices]


class KeyImpactMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))], widget=forms.HiddenInput)


class NarrativeForm(forms.Form):
    limitations = forms.CharField(
        label=_("Limitations"),
        max_length=NARRATIVE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What the evidence cannot show: self-ratings, no comparison group, who did not answer."),
    )
    recommendations = forms.CharField(
        label=_("Recommendations"),
        max_length=NARRATIVE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What the facilitators recommend to the commissioner."),
    )


class SnapshotQuoteForm(forms.Form):
    """A quote of a published report, by its source key ("answer-12", "moment-5")."""

    source = forms.RegexField(regex=r"^(answer|moment)-\d+$", widget=forms.HiddenInput)
