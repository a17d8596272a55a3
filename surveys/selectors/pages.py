"""Lists for the facilitators' survey and question-set pages."""

from django.db.models import Count

from cohorts.models import Cohort
from common.models import choice_label
from modules.models import Module
from surveys.models import Invitation, QuestionSet, Survey
from surveys.querysets import survey_invitees

from .figures import invitation_counts


def survey_list_for_cohort(*, cohort: Cohort):
    """The cohort's modules 1-5 with their survey (or None) and invitation counts."""
    modules = list(
        Module.objects.with_survey().filter(cohort=cohort).select_related("survey__question_set").order_by("number")
    )
    surveys = [m.survey for m in modules if hasattr(m, "survey")]
    counts = invitation_counts(surveys)
    rows = []
    for module in modules:
        survey = getattr(module, "survey", None)
        invited, responded = counts.get(survey.pk, (0, 0)) if survey else (0, 0)
        rows.append({"module": module, "survey": survey, "invited": invited, "responded": responded})
    return rows


def survey_invitee_count(*, module: Module) -> int:
    """How many people "open the survey now" would e-mail (the cohort's invitees for the module)."""
    return survey_invitees(cohort=module.cohort, module_id=module.pk).count()


def invitation_list_for_survey(*, survey: Survey, cohort_pk: int) -> dict:
    """What the survey page's table shows of its invitations, as plain values (``common.drawn`` keeps the
    table drawn under them): one row of five columns an invitation, no model instances (a cohort's worth
    of rows)."""
    rows = (
        Invitation.objects.filter(survey=survey)
        .order_by("membership__person__full_name", "pk")
        .values_list("pk", "membership__person__full_name", "status", "last_error", "responded_at")
    )
    return {
        "cohort_pk": cohort_pk,
        "number": survey.module.number,
        "open": survey.status == Survey.Status.OPEN,
        "invitations": [
            {
                "pk": pk,
                "name": name,
                "status_label": choice_label(Invitation.Status, status),
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


def question_set_detail(*, question_set):
    return (
        question_set.questions.select_related("condition_question").prefetch_related("choices").order_by("order", "id")
    )
