from django import forms
from django.utils.translation import gettext_lazy as _

from .programme_selectors import headline_codes


class ChartQuestionForm(forms.Form):
    """Which question the programme page's chart compares across cohorts (GET)."""

    question = forms.ChoiceField(label=_("Question"), choices=(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].choices = headline_codes()

    def question_chosen(self) -> str | None:
        return (self.cleaned_data.get("question") or None) if self.is_valid() else None
