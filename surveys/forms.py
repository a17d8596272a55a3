from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cohorts.models import Cohort
from common.choices import DrawnSelect
from common.compiled import CompiledQuery, instance

from .models import Answer, Question, QuestionSet, Survey
from .services import answers_clean
from .structure import questions_for_set


def field_name(question: Question, part: str = "") -> str:
    """The form field of a question's answer, or of its "then" rating or quote consent (``part``)."""
    return f"q_{question.code}__{part}" if part else f"q_{question.code}"


class SurveyAnswerForm(forms.Form):
    """One field per question, plus the "then" rating of questions that ask it and the quote consent
    of text questions; conditions and required-ness are checked by ``answers_clean``."""

    def __init__(self, *args, questions: list[Question], consent_levels=(), fields: dict | None = None, **kwargs):
        """``fields``, if given, are ``fields_for(questions, consent_levels)`` made earlier and shared
        between forms (the answering page keeps them per set version and language): used as they
        are, not copied, so nothing may change them."""
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.consent_levels = list(consent_levels)
        self.fields.update(self.fields_for(questions, self.consent_levels) if fields is None else fields)

    @classmethod
    def fields_for(cls, questions: list[Question], consent_levels) -> dict[str, forms.Field]:
        """The form's fields for these questions, by name, in order."""
        fields = {}
        consent_choices = [(c.value, c.label) for c in Answer.QuoteConsent if c in consent_levels]
        for question in questions:
            fields[field_name(question)] = cls._field_for(question)
            if question.asks_then:
                fields[field_name(question, "then")] = cls._field_for(question)
            if question.is_text and len(consent_choices) > 1:
                fields[field_name(question, "consent")] = forms.ChoiceField(
                    label=_("May we quote this in the impact report?"),
                    choices=consent_choices,
                    initial=Answer.QuoteConsent.NONE,
                    required=False,
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                )
        return fields

    @staticmethod
    def _field_for(question: Question) -> forms.Field:
        common = {"label": question.text, "required": False, "help_text": question.help_text}
        radio = forms.RadioSelect(attrs={"class": "form-check-input"})
        if question.kind == Question.Kind.LIKERT5:
            likert = [(str(n), f"{n} – {label}") for n, label in Question.LIKERT_LABELS]
            return forms.ChoiceField(choices=likert, widget=radio, **common)
        if question.kind == Question.Kind.RATING0_10:
            return forms.ChoiceField(choices=[(str(n), str(n)) for n in question.scale], widget=radio, **common)
        labels = [(c.label, c.label) for c in question.choices.all()]
        if question.kind == Question.Kind.SINGLE_CHOICE:
            return forms.ChoiceField(choices=labels, widget=radio, **common)
        if question.kind == Question.Kind.MULTIPLE_CHOICE:
            return forms.MultipleChoiceField(
                choices=labels, widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}), **common
            )
        if question.kind == Question.Kind.SHORT_TEXT:
            return forms.CharField(widget=forms.TextInput(attrs={"class": "form-control"}), **common)
        return forms.CharField(widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}), **common)

    def clean(self):
        """The one check of the answers: ``answers`` holds them cleaned, by question id, for
        ``response_save``."""
        cleaned = super().clean()
        raw = {}
        for q in self.questions:
            raw[q.code] = cleaned.get(field_name(q))
            raw[f"{q.code}__then"] = cleaned.get(field_name(q, "then"))
            raw[f"{q.code}__consent"] = cleaned.get(field_name(q, "consent"))
        try:
            self.answers = answers_clean(questions=self.questions, raw=raw, consent_levels=self.consent_levels)
        except ValidationError as exc:
            for code, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(f"q_{code}", message)
        return cleaned

    def rows(self):
        """(question, bound field, "then" field or None, consent field or None) in order, for the template."""
        return [
            (
                q,
                self[field_name(q)],
                self[field_name(q, "then")] if field_name(q, "then") in self.fields else None,
                self[field_name(q, "consent")] if field_name(q, "consent") in self.fields else None,
            )
            for q in self.questions
        ]

    @staticmethod
    def initial_from(response, questions: list[Question] | None = None) -> dict:
        """The form's initial values from a saved response (answers and their choices prefetched);
        ``questions``, the survey's, spare a query per answer for its question."""
        if response is None:
            return {}
        by_id = {q.pk: q for q in questions or ()}
        initial = {}
        for answer in response.answers.all():
            question = by_id.get(answer.question_id) or answer.question
            name = f"q_{question.code}"
            if question.is_numeric:
                initial[name] = str(answer.number)
                if answer.then_number is not None:
                    initial[f"{name}__then"] = str(answer.then_number)
            elif question.kind == Question.Kind.SINGLE_CHOICE:
                initial[name] = next((c.label for c in answer.choices.all()), "")
            elif question.kind == Question.Kind.MULTIPLE_CHOICE:
                initial[name] = [c.label for c in answer.choices.all()]
            else:
                initial[name] = answer.text
                initial[f"{name}__consent"] = answer.quote_consent
        return initial


def _survey_question_sets(cohort, current_pk=None):
    """The sets a cohort's survey may use: those the cohort sees, current versions; and the version the
    survey has now (``current_pk``), which stays choosable even if it is no longer current."""
    visible = QuestionSet.objects.visible_to_cohort(cohort).current()
    return visible if current_pk is None else QuestionSet.objects.filter(pk=current_pk) | visible


def _set_rows(cohort_pk, programme_pk, current_pk=None):
    cohort = Cohort(pk=cohort_pk, programme_id=programme_pk)
    return _survey_question_sets(cohort, current_pk).values_list("pk", "name", "version")


def _set_rows_with_current(cohort_pk, programme_pk, current_pk):
    return _set_rows(cohort_pk, programme_pk, current_pk)


# The drop-downs' options are read on every request that draws the form: statements compiled once per
# process (common.compiled), in the model's ordering as the queryset's would be.
_SET_ROWS = CompiledQuery(_set_rows, cohort_pk=-7431, programme_pk=-7432)
_SET_ROWS_WITH_CURRENT = CompiledQuery(_set_rows_with_current, cohort_pk=-7433, programme_pk=-7434, current_pk=-7435)


class _SetRowsIterator(forms.models.ModelChoiceIterator):
    """The field's options from ``field.rows()``, (pk, name, version) rows, each as an instance with
    those columns (its label ``str(question_set)``), instead of the whole queryset's instances."""

    def _objects(self):
        return [instance(QuestionSet, id=pk, name=name, version=version) for pk, name, version in self.field.rows()]

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self._objects():
            yield self.choice(obj)

    def __len__(self):
        return len(self._objects()) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self._objects())


class QuestionSetChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` of question sets whose options come from ``rows`` (set by the form);
    what is sent is validated against the queryset, as ever."""

    iterator = _SetRowsIterator

    def rows(self):
        return list(self.queryset.values_list("pk", "name", "version"))


class SurveySettingsForm(forms.Form):
    question_set = QuestionSetChoiceField(label=_("Question set"), queryset=QuestionSet.objects.none())
    privacy = forms.ChoiceField(label=_("Privacy"), choices=Survey.Privacy.choices, widget=forms.RadioSelect)
    closes_at = forms.DateTimeField(
        label=_("Closes at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reminder_after_days = forms.IntegerField(label=_("Send a reminder after (days)"), min_value=1, max_value=30)
    max_reminders = forms.IntegerField(label=_("Maximum reminders"), min_value=0, max_value=10)

    def __init__(self, *args, survey: Survey, **kwargs):
        kwargs["initial"] = kwargs.get("initial") or {
            "question_set": survey.question_set,
            "privacy": survey.privacy,
            "closes_at": survey.closes_at,
            "reminder_after_days": survey.reminder_after_days,
            "max_reminders": survey.max_reminders,
        }
        super().__init__(*args, **kwargs)
        cohort = survey.cohort
        field = self.fields["question_set"]
        field.queryset = _survey_question_sets(cohort, survey.question_set_id)
        field.rows = lambda: _SET_ROWS_WITH_CURRENT.fetchall(
            cohort_pk=cohort.pk, programme_pk=cohort.programme_id, current_pk=survey.question_set_id
        )


class CohortSurveySettingsForm(forms.Form):
    question_set = QuestionSetChoiceField(
        label=_("Question set for this cohort's surveys"),
        queryset=QuestionSet.objects.none(),
        required=False,
        empty_label=_("The programme's default"),
    )
    privacy = forms.ChoiceField(
        label=_("Privacy of this cohort's surveys"),
        choices=[("", _("The programme's default")), *Survey.Privacy.choices],
        required=False,
    )

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["question_set"]
        field.queryset = _survey_question_sets(cohort)
        field.rows = lambda: _SET_ROWS.fetchall(cohort_pk=cohort.pk, programme_pk=cohort.programme_id)


class QuestionSetCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class QuestionSetCopyForm(forms.Form):
    name = forms.CharField(label=_("Name of the new question set"), max_length=200)


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=500)
    kind = forms.ChoiceField(label=_("Type"), choices=Question.Kind.choices, widget=DrawnSelect)
    code = forms.SlugField(
        label=_("Code"),
        max_length=60,
        required=False,
        help_text=_("A short key that stays the same across versions, so scores can be compared module by module."),
    )
    help_text = forms.CharField(label=_("Help text"), max_length=500, required=False)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Choice questions only: one choice per line."),
    )
    max_choices = forms.IntegerField(
        label=_("Maximum choices"), required=False, min_value=1, help_text=_("Multiple choice only.")
    )
    condition_code = forms.ChoiceField(label=_("Show only if question"), required=False, widget=DrawnSelect)
    condition_value = forms.CharField(
        label=_("was answered"), max_length=200, required=False, help_text=_("A choice's label, or a number.")
    )

    def __init__(self, *args, question_set: QuestionSet, question: Question | None = None, **kwargs):
        if question is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "text": question.text,
                "kind": question.kind,
                "code": question.code,
                "help_text": question.help_text,
                "required": question.required,
                "choices": "\n".join(c.label for c in question.choices.all()),
                "max_choices": question.max_choices,
                "condition_code": question.condition_question.code if question.condition_question else "",
                "condition_value": question.condition_value,
            }
        super().__init__(*args, **kwargs)
        # The set version's structure (surveys.structure: read again whenever the set changes).
        questions = questions_for_set(question_set_id=question_set.pk, stamp=question_set.updated_at)
        others = [q for q in questions if question is None or q.pk != question.pk]
        self.fields["condition_code"].choices = [("", _("Always show")), *[(q.code, q.text) for q in others]]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "text": data["text"],
            "kind": data["kind"],
            "code": data["code"],
            "help_text": data["help_text"],
            "required": data["required"],
            "choices": data["choices"].splitlines(),
            "max_choices": data["max_choices"],
            "condition_code": data["condition_code"],
            "condition_value": data["condition_value"].strip(),
        }
