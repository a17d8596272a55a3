"""Lists for the facilitators' survey and question-set pages."""

from django.contrib.auth import get_user_model
from django.db.models import Count

from cohorts.models import Cohort, Programme
from common.compiled import CompiledQuery, instances_from_row, row_columns
from common.models import choice_label
from modules.models import Module
from surveys.models import Invitation, QuestionSet, Survey
from surveys.querysets import survey_invitees
from surveys.structure import questions_for_set

from .figures import invitation_tallies

# The survey list reads the cohort's modules 1-5, each with its survey (if any) and the survey's
# question set (as select_related), and counts the invitations of those surveys: statements compiled
# once per process (common.compiled).
_LIST_ROW = ((Module, ""), (Survey, "survey__"), (QuestionSet, "survey__question_set__"))


def _list_modules(cohort_pk):
    return Module.objects.with_survey().filter(cohort=cohort_pk).order_by("number").values_list(*row_columns(_LIST_ROW))


def _list_counts(cohort_pk):
    return invitation_tallies(
        Invitation.objects.filter(survey__module__cohort=cohort_pk, survey__module__number__in=Module.SURVEY_NUMBERS)
    )


_LIST_MODULES = CompiledQuery(_list_modules, cohort_pk=-7413)
_LIST_COUNTS = CompiledQuery(_list_counts, cohort_pk=-7414)


def survey_list_for_cohort(*, cohort: Cohort):
    """The cohort's modules 1-5 with their survey (or None) and invitation counts."""
    modules, surveys = [], {}
    for row in _LIST_MODULES.fetchall(cohort_pk=cohort.pk):
        (module, survey, question_set), _rest = instances_from_row(row, *(model for model, _ in _LIST_ROW))
        if survey.pk is not None:
            survey.question_set, survey.module = question_set, module
            surveys[module.pk] = survey
        modules.append(module)
    counts = {pk: (invited, responded) for pk, invited, responded in _LIST_COUNTS.fetchall(cohort_pk=cohort.pk)}
    rows = []
    for module in modules:
        survey = surveys.get(module.pk)
        invited, responded = counts.get(survey.pk, (0, 0)) if survey else (0, 0)
        rows.append({"module": module, "survey": survey, "invited": invited, "responded": responded})
    return rows


def survey_invitee_count(*, module: Module) -> int:
    """How many people "open the survey now" would e-mail (the cohort's invitees for the module)."""
    return survey_invitees(cohort=module.cohort, module_id=module.pk).count()


def _invitation_list(survey_pk):
    return (
        Invitation.objects.filter(survey=survey_pk)
        .order_by("membership__person__full_name", "pk")
        .values_list("pk", "membership__person__full_name", "status", "last_error", "responded_at")
    )


# Compiled once per process (common.compiled): the survey page reads it on every request.
_INVITATION_LIST = CompiledQuery(_invitation_list, survey_pk=-7386)


def invitation_list_for_survey(*, survey: Survey, cohort_pk: int) -> dict:
    """What the survey page's table shows of its invitations, as plain values (``common.drawn`` keeps the
    table drawn under them): one row of five columns an invitation, no model instances (a cohort's worth
    of rows)."""
    rows = _INVITATION_LIST.fetchall(survey_pk=survey.pk)
    labels = {status: choice_label(Invitation.Status, status) for status in Invitation.Status.values}
    return {
        "cohort_pk": cohort_pk,
        "number": survey.module.number,
        "open": survey.status == Survey.Status.OPEN,
        "invitations": [
            {
                "pk": pk,
                "name": name,
                "status_label": labels.get(status, status),
                "last_error": last_error,
                "responded": responded_at is not None,
            }
            for pk, name, status, last_error, responded_at in rows
        ],
    }


def question_set_list(*, cohort: Cohort):
    """The current sets a cohort's facilitators may see: the library, the programme's and the cohort's own."""
    return (
        QuestionSet.objects.visible_to_cohort(cohort)
        .current()
        .select_related("programme", "cohort")
        .annotate(n_questions=Count("questions"))
        .order_by("name")
    )


# A question set's page finds its set among those the cohort sees, with the set's programme and cohort
# (as select_related), and asks whether the user may change it: statements compiled once per process
# (common.compiled), from the querysets that own the rules (visible_to_cohort, editable_by).
_SET_ROW = ((QuestionSet, ""), (Programme, "programme__"), (Cohort, "cohort__"))


def _cohort(cohort_pk, programme_pk) -> Cohort:
    return Cohort(pk=cohort_pk, programme_id=programme_pk)


def _visible_set(cohort_pk, programme_pk, set_pk):
    return (
        QuestionSet.objects.visible_to_cohort(_cohort(cohort_pk, programme_pk))
        .filter(pk=set_pk)
        .values_list(*row_columns(_SET_ROW))
    )


def _editable_by_staff(cohort_pk, programme_pk, set_pk):
    user = get_user_model()(pk=-1, is_staff=True)
    return QuestionSet.objects.editable_by(user, _cohort(cohort_pk, programme_pk)).filter(pk=set_pk).values_list("pk")


def _editable_by_user(user_id, cohort_pk, programme_pk, set_pk):
    user = get_user_model()(pk=user_id, is_staff=False)
    return QuestionSet.objects.editable_by(user, _cohort(cohort_pk, programme_pk)).filter(pk=set_pk).values_list("pk")


_VISIBLE_SET = CompiledQuery(_visible_set, cohort_pk=-7391, programme_pk=-7392, set_pk=-7393)
_EDITABLE_BY_STAFF = CompiledQuery(_editable_by_staff, cohort_pk=-7394, programme_pk=-7395, set_pk=-7396)
_EDITABLE_BY_USER = CompiledQuery(_editable_by_user, user_id=-7397, cohort_pk=-7398, programme_pk=-7399, set_pk=-7400)


def question_set_visible(*, cohort: Cohort, pk: int) -> QuestionSet | None:
    """The set ``pk`` if the cohort may see it (``QuestionSet.objects.visible_to_cohort``), with its
    programme and cohort loaded; else None."""
    row = _VISIBLE_SET.fetchone(cohort_pk=cohort.pk, programme_pk=cohort.programme_id, set_pk=pk)
    if row is None:
        return None
    (question_set, programme, owner), _rest = instances_from_row(row, *(model for model, _ in _SET_ROW))
    question_set.programme = programme if programme.pk is not None else None
    question_set.cohort = owner if owner.pk is not None else None
    return question_set


def question_set_editable(*, user, cohort: Cohort, question_set: QuestionSet) -> bool:
    """Whether ``user`` may change the set in place from the cohort's pages (``QuestionSet.objects.editable_by``)."""
    if not user.is_authenticated:
        return False
    values = {"cohort_pk": cohort.pk, "programme_pk": cohort.programme_id, "set_pk": question_set.pk}
    if user.is_staff:
        return _EDITABLE_BY_STAFF.fetchone(**values) is not None
    return _EDITABLE_BY_USER.fetchone(user_id=user.pk, **values) is not None


def question_set_questions(*, question_set: QuestionSet) -> list:
    """The set's questions in order, each with its choices and its condition's question: the set
    version's structure (``surveys.structure``, read again whenever the set changes; read-only)."""
    return questions_for_set(question_set_id=question_set.pk, stamp=question_set.updated_at)


def question_set_detail(*, question_set):
    return (
        question_set.questions.select_related("condition_question").prefetch_related("choices").order_by("order", "id")
    )
