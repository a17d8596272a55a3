"""Question sets: ownership, validation and copy-on-write editing.

Every structural edit goes through ``question_set_for_editing``, which hands back the set version the
edit changes:

* a set the editor may not change in place (a programme's or the library's, edited by a facilitator
  from her cohort's pages) is copied for her cohort, and only her cohort follows the copy;
* a set she may change that nobody has answered is changed in place;
* an answered version is frozen: the edit makes the next version, and what followed the old one
  (settings, surveys nobody has answered yet) moves to it, within the owner's reach only.

Who sees and who may change a set: ``QuestionSet.objects.visible_to_cohort`` and ``editable_by``.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Programme
from common.compiled import CompiledQuery, attnames, instance, instances_from_row, row_columns
from surveys.defaults import DEFAULT_SET, create_default_set
from surveys.models import (
    Choice,
    CohortSurveySettings,
    ProgrammeSurveyDefaults,
    Question,
    QuestionSet,
    Response,
    Survey,
)

QUESTION_FIELDS = ("code", "kind", "text", "help_text", "required", "max_choices", "order")


def question_set_default() -> QuestionSet:
    """The current "module feedback" set, created if a database lacks it (e.g. after a flush)."""
    question_set = _current_by_slug(DEFAULT_SET["slug"])
    if question_set is None:
        with transaction.atomic():
            question_set = create_default_set(QuestionSet, Question, Choice)
    return question_set


# What a cohort's next survey uses is read on the survey pages on every request: statements compiled
# once per process (common.compiled), each row a settings row and its question set (as select_related).
_OVERRIDE_ROW = ((CohortSurveySettings, ""), (QuestionSet, "question_set__"))
_PROGRAMME_ROW = ((ProgrammeSurveyDefaults, ""), (QuestionSet, "question_set__"))


def _override(cohort_pk):
    return (
        CohortSurveySettings.objects.filter(cohort=cohort_pk)
        .order_by("pk")
        .values_list(*row_columns(_OVERRIDE_ROW))[:1]
    )


def _programme_defaults(programme_pk):
    return (
        ProgrammeSurveyDefaults.objects.filter(programme_id=programme_pk)
        .order_by("pk")
        .values_list(*row_columns(_PROGRAMME_ROW))[:1]
    )


def _current_of_slug(slug):
    # As .first(): in the model's ordering (name, newest version first).
    return QuestionSet.objects.current().filter(slug=slug).values_list(*attnames(QuestionSet))[:1]


_OVERRIDE = CompiledQuery(_override, cohort_pk=-7411)
_PROGRAMME_DEFAULTS = CompiledQuery(_programme_defaults, programme_pk=-7412)
_CURRENT_OF_SLUG = CompiledQuery(_current_of_slug, slug="placeholder-slug")


def _with_question_set(row, models):
    if row is None:
        return None
    (settings, question_set), _rest = instances_from_row(row, *models)
    settings.question_set = question_set if question_set.pk is not None else None
    return settings


def _current_by_slug(slug: str) -> QuestionSet | None:
    row = _CURRENT_OF_SLUG.fetchone(slug=slug)
    return None if row is None else instance(QuestionSet, **dict(zip(attnames(QuestionSet), row, strict=True)))


def survey_settings_for_cohort(*, cohort: Cohort) -> tuple[CohortSurveySettings | None, ProgrammeSurveyDefaults | None]:
    """The cohort's own survey settings and its programme's defaults (either None where there are
    none), each with its question set."""
    override = _with_question_set(_OVERRIDE.fetchone(cohort_pk=cohort.pk), (CohortSurveySettings, QuestionSet))
    programme = _with_question_set(
        _PROGRAMME_DEFAULTS.fetchone(programme_pk=cohort.programme_id), (ProgrammeSurveyDefaults, QuestionSet)
    )
    return override, programme


def question_set_for_cohort(*, cohort: Cohort, settings=None) -> QuestionSet:
    """The set the cohort's next survey uses: its own choice, else its programme's default, else the
    built-in default; always the current version of it. ``settings``: ``survey_settings_for_cohort``,
    if the caller has read them."""
    override, programme = settings or survey_settings_for_cohort(cohort=cohort)
    question_set = (override and override.question_set) or (programme and programme.question_set)
    if question_set is None or not question_set.is_current:
        question_set = (_current_by_slug(question_set.slug) if question_set else None) or question_set_default()
    return question_set


def question_set_for_cohort_of(*, question_set: QuestionSet, cohort: Cohort) -> QuestionSet:
    """What ``cohort`` asks in place of ``question_set``: the newest current copy the cohort owns of it
    (made when its facilitators edited it, or copied it, from the cohort's pages), else the set itself."""
    slug = question_set.copied_from_slug or question_set.slug
    own = QuestionSet.objects.current().filter(cohort=cohort, copied_from_slug=slug).order_by("-created_at", "-pk")
    return own.first() or question_set


def _answered(set_pk):
    return Response.objects.filter(survey__question_set=set_pk).order_by().values_list("pk")[:1]


# The set's page asks on every request: compiled once per process (common.compiled).
_ANSWERED = CompiledQuery(_answered, set_pk=-7387)


def question_set_is_locked(*, question_set: QuestionSet) -> bool:
    """Whether anyone has answered a survey of this set version (then a change makes the next version)."""
    return _ANSWERED.fetchone(set_pk=question_set.pk) is not None


def question_set_create(
    *,
    name: str,
    description: str = "",
    slug: str = "",
    programme: Programme | None = None,
    cohort: Cohort | None = None,
) -> QuestionSet:
    """A new, empty set owned by ``programme`` or ``cohort`` (neither: the library)."""
    slug = slugify(slug or name)[:70] or "question-set"
    base, n = slug, 2
    while QuestionSet.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    question_set = QuestionSet(name=name, description=description, slug=slug, programme=programme, cohort=cohort)
    question_set.full_clean()
    question_set.save()
    return question_set


def _copy_questions(*, source: QuestionSet, target: QuestionSet) -> None:
    questions = list(source.questions.prefetch_related("choices").order_by("order", "id"))
    mapping = {}
    for question in questions:
        copy = Question.objects.create(
            question_set=target, **{field: getattr(question, field) for field in QUESTION_FIELDS}
        )
        mapping[question.pk] = copy
        Choice.objects.bulk_create(
            [Choice(question=copy, order=c.order, label=c.label) for c in question.choices.all()]
        )
    for question in questions:
        if question.condition_question_id:
            copy = mapping[question.pk]
            copy.condition_question = mapping[question.condition_question_id]
            copy.condition_value = question.condition_value
            copy.save(update_fields=["condition_question", "condition_value"])


@transaction.atomic
def question_set_copy(
    *, question_set: QuestionSet, name: str, programme: Programme | None = None, cohort: Cohort | None = None
) -> QuestionSet:
    """A new, independent set (its own slug and owner) with the same questions; question codes are
    kept, so scores still compare across modules."""
    copy = question_set_create(name=name, description=question_set.description, programme=programme, cohort=cohort)
    copy.copied_from_slug = question_set.copied_from_slug or question_set.slug
    copy.save(update_fields=["copied_from_slug", "updated_at"])
    _copy_questions(source=question_set, target=copy)
    return copy


def _question_set_copy_for_cohort(*, question_set: QuestionSet, cohort: Cohort) -> QuestionSet:
    """The cohort's own copy of a set it may use but not change; this cohort, and only this cohort,
    follows the copy where it followed the original."""
    follows = question_set_for_cohort(cohort=cohort).slug == question_set.slug
    name = _("%(set)s (%(cohort)s)") % {"set": question_set.name, "cohort": cohort.name}
    copy = question_set_copy(question_set=question_set, name=name[:200], cohort=cohort)
    if follows:
        CohortSurveySettings.objects.update_or_create(cohort=cohort, defaults={"question_set": copy})
    _unanswered_surveys(question_set).filter(cohort=cohort).update(question_set=copy)
    return copy


def _unanswered_surveys(question_set: QuestionSet):
    return Survey.objects.filter(question_set=question_set, responses__isnull=True).exclude(status=Survey.Status.CLOSED)


def _question_set_next_version(*, question_set: QuestionSet) -> QuestionSet:
    """The next version of a frozen set. What followed the old version moves to the new one, within
    the owner's reach: a cohort's set moves that cohort only; a programme's set (changed by staff,
    who speak for the programme) moves the programme default and its cohorts; a library set moves
    everyone who uses it (staff keep the library for all programmes)."""
    question_set.is_current = False
    question_set.save(update_fields=["is_current", "updated_at"])
    new = QuestionSet.objects.create(
        name=question_set.name,
        description=question_set.description,
        slug=question_set.slug,
        version=question_set.version + 1,
        previous_version=question_set,
        copied_from_slug=question_set.copied_from_slug,
        programme_id=question_set.programme_id,
        cohort_id=question_set.cohort_id,
    )
    _copy_questions(source=question_set, target=new)
    surveys = _unanswered_surveys(question_set)
    defaults = ProgrammeSurveyDefaults.objects.filter(question_set=question_set)
    settings = CohortSurveySettings.objects.filter(question_set=question_set)
    if question_set.cohort_id is not None:
        surveys = surveys.filter(cohort_id=question_set.cohort_id)
        defaults = defaults.none()
        settings = settings.filter(cohort_id=question_set.cohort_id)
    elif question_set.programme_id is not None:
        surveys = surveys.filter(cohort__programme_id=question_set.programme_id)
        defaults = defaults.filter(programme_id=question_set.programme_id)
        settings = settings.filter(cohort__programme_id=question_set.programme_id)
    # Surveys nobody has answered yet follow the edit; answered ones keep the version they were asked.
    surveys.update(question_set=new)
    defaults.update(question_set=new)
    settings.update(question_set=new)
    return new


@transaction.atomic
def question_set_for_editing(
    *, question_set: QuestionSet, user: AbstractBaseUser, cohort: Cohort | None = None
) -> QuestionSet:
    """The version an edit by ``user`` changes, from ``cohort``'s pages (``None``: the admin).

    This one if the user may change it and nobody has answered it; a new version if it is answered;
    a copy for the cohort if the user may use the set there but not change it.
    """
    question_set = QuestionSet.objects.select_for_update().get(pk=question_set.pk)
    if cohort is not None and not (
        Cohort.objects.for_user(user).filter(pk=cohort.pk).exists()
        and QuestionSet.objects.visible_to_cohort(cohort).filter(pk=question_set.pk).exists()
    ):
        raise PermissionDenied
    if not question_set.is_current:
        raise ValidationError(_("This is an old version of the question set; edit the current one."))
    if not QuestionSet.objects.editable_by(user, cohort).filter(pk=question_set.pk).exists():
        if cohort is None:
            raise PermissionDenied
        return _question_set_copy_for_cohort(question_set=question_set, cohort=cohort)
    if not question_set_is_locked(question_set=question_set):
        return question_set
    return _question_set_next_version(question_set=question_set)


@transaction.atomic
def question_set_update(*, question_set: QuestionSet, name: str, description: str) -> QuestionSet:
    """Name and description are not part of what was answered: changed in place."""
    question_set.name = name
    question_set.description = description
    question_set.full_clean()
    question_set.save(update_fields=["name", "description", "updated_at"])
    return question_set


@transaction.atomic
def question_set_owner_change(*, question_set: QuestionSet, programme: Programme | None, cohort: Cohort | None) -> None:
    """Give every version of the set to a new owner (staff, in the admin); versions never differ in owner."""
    if programme is not None and cohort is not None:
        raise ValidationError(_("A question set belongs to a programme or to a cohort, not both."))
    QuestionSet.objects.filter(slug=question_set.slug).update(programme=programme, cohort=cohort)
    question_set.programme, question_set.cohort = programme, cohort


def _clean_choices(choices) -> list[str]:
    cleaned = []
    for label in choices or []:
        label = label.strip()
        if label and label not in cleaned:
            cleaned.append(label)
    return cleaned


def question_validate(*, question: Question, choices: list[str]) -> None:
    """Raise ValidationError (keyed by field) if the question cannot be asked as described."""
    errors = {}
    if question.kind in Question.CHOICE_KINDS:
        if len(choices) < 2:
            errors["choices"] = _("A choice question needs at least two choices.")
    elif choices:
        errors["choices"] = _("Only choice questions have choices.")
    if question.max_choices is not None:
        if question.kind != Question.Kind.MULTIPLE_CHOICE:
            errors["max_choices"] = _("Only multiple-choice questions have a maximum.")
        elif question.max_choices < 1 or question.max_choices > max(len(choices), 1):
            errors["max_choices"] = _("The maximum must be between 1 and the number of choices.")
    condition = question.condition_question
    if condition is not None:
        if not question.condition_value:
            errors["condition_value"] = _("Say which answer shows this question.")
        if condition.question_set_id != question.question_set_id:
            errors["condition_question"] = _("The condition must refer to a question in the same set.")
        elif condition.pk == question.pk or (condition.order, condition.pk or 0) >= (
            question.order,
            question.pk or 1e18,
        ):
            errors["condition_question"] = _("The condition must refer to an earlier question.")
        elif condition.kind not in Question.CONDITIONABLE_KINDS:
            errors["condition_question"] = _("A condition can only test a scale or choice question.")
        elif condition.is_choice:
            labels = set(condition.choices.values_list("label", flat=True))
            if question.condition_value not in labels:
                errors["condition_value"] = _("Use one of the choices of that question: %(labels)s") % {
                    "labels": ", ".join(sorted(labels))
                }
        elif question.condition_value not in {str(n) for n in condition.scale}:
            errors["condition_value"] = _("Use a number from %(low)s to %(high)s.") % {
                "low": condition.scale[0],
                "high": condition.scale[-1],
            }
    elif question.condition_value:
        errors["condition_question"] = _("Choose the question this one depends on.")
    try:
        question.full_clean(exclude=["question_set", "condition_question"], validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if question.code and (
        Question.objects.filter(question_set_id=question.question_set_id, code=question.code)
        .exclude(pk=question.pk)
        .exists()
    ):
        errors["code"] = _("Another question in this set already uses this code.")
    if errors:
        raise ValidationError(errors)


def _set_choices(*, question: Question, choices: list[str]) -> None:
    existing = {c.label: c for c in question.choices.all()}
    keep = []
    for order, label in enumerate(choices, start=1):
        choice = existing.get(label)
        if choice is None:
            choice = Choice.objects.create(question=question, order=order, label=label)
        elif choice.order != order:
            choice.order = order
            choice.save(update_fields=["order"])
        keep.append(choice.pk)
    question.choices.exclude(pk__in=keep).delete()


@transaction.atomic
def question_create(
    *,
    question_set: QuestionSet,
    user: AbstractBaseUser,
    cohort: Cohort | None = None,
    kind: str,
    text: str,
    code: str = "",
    help_text: str = "",
    required: bool = True,
    choices: list[str] | None = None,
    max_choices: int | None = None,
    condition_code: str = "",
    condition_value: str = "",
) -> Question:
    question_set = question_set_for_editing(question_set=question_set, user=user, cohort=cohort)
    order = (question_set.questions.aggregate(m=Max("order"))["m"] or 0) + 10
    question = Question(
        question_set=question_set,
        order=order,
        code=slugify(code or text)[:60] or f"q{order}",
        kind=kind,
        text=text,
        help_text=help_text,
        required=required,
        max_choices=max_choices,
        condition_question=question_set.questions.filter(code=condition_code).first() if condition_code else None,
        condition_value=condition_value,
    )
    return _question_save(question=question, choices=choices, condition_code=condition_code)


def _question_save(*, question: Question, choices: list[str] | None, condition_code: str) -> Question:
    """Validate a new or changed question with its choices, then store both."""
    choices = _clean_choices(choices)
    if condition_code and question.condition_question is None:
        raise ValidationError({"condition_question": _("There is no question with that code in this set.")})
    question_validate(question=question, choices=choices)
    question.save()
    _set_choices(question=question, choices=choices)
    return question


@transaction.atomic
def question_update(
    *,
    question: Question,
    user: AbstractBaseUser,
    cohort: Cohort | None = None,
    kind: str,
    text: str,
    code: str,
    help_text: str = "",
    required: bool = True,
    choices: list[str] | None = None,
    max_choices: int | None = None,
    condition_code: str = "",
    condition_value: str = "",
) -> Question:
    """Change a question; if its set is frozen this happens on the set's next version, if the editor may
    not change the set, on her cohort's copy."""
    question_set = question_set_for_editing(question_set=question.question_set, user=user, cohort=cohort)
    question = question_set.questions.get(code=question.code)
    question.kind, question.text, question.code = kind, text, slugify(code)[:60] or question.code
    question.help_text, question.required, question.max_choices = help_text, required, max_choices
    question.condition_question = question_set.questions.filter(code=condition_code).first() if condition_code else None
    question.condition_value = condition_value
    return _question_save(question=question, choices=choices, condition_code=condition_code)


@transaction.atomic
def question_delete(*, question: Question, user: AbstractBaseUser, cohort: Cohort | None = None) -> QuestionSet:
    question_set = question_set_for_editing(question_set=question.question_set, user=user, cohort=cohort)
    question = question_set.questions.get(code=question.code)
    if question.dependent_questions.exists():
        raise ValidationError(_("Another question depends on this one; change that condition first."))
    question.delete()
    return question_set


@transaction.atomic
def question_move(*, question: Question, user: AbstractBaseUser, cohort: Cohort | None = None, up: bool) -> QuestionSet:
    """Swap a question with its neighbour; a question never moves above the one it depends on."""
    question_set = question_set_for_editing(question_set=question.question_set, user=user, cohort=cohort)
    questions = list(question_set.questions.order_by("order", "id"))
    index = next(i for i, q in enumerate(questions) if q.code == question.code)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(questions):
        return question_set
    first, second = sorted((questions[index], questions[other]), key=lambda q: (q.order, q.pk))
    if second.condition_question_id == first.pk:
        raise ValidationError(_("A question must stay below the question it depends on."))
    questions[index], questions[other] = questions[other], questions[index]
    for order, q in enumerate(questions, start=1):
        if q.order != order * 10:
            q.order = order * 10
            q.save(update_fields=["order"])
    return question_set
