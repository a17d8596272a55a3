"""Looking up a cohort's survey pages' objects, inside ``request.cohort`` (set by the cohort access
middleware), so that another cohort's object is a 404 like one that does not exist."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from cohorts.models import Cohort
from common.compiled import CompiledQuery, instances_from_row, row_columns
from modules.models import Module
from surveys.models import QuestionSet, Survey


def module_with_survey(request, number: int) -> Module:
    """The cohort's module ``number``, if it is one followed by a survey."""
    return get_object_or_404(Module.objects.with_survey(), cohort=request.cohort, number=number)


# A module survey's page reads its survey with its module (and the module's cohort) and question set;
# every such page runs it, so it is one statement compiled once per process (common.compiled): the
# columns of each model, in this order.
_MODULE_SURVEY_ROW = ((Survey, ""), (Module, "module__"), (Cohort, "module__cohort__"), (QuestionSet, "question_set__"))
_KIND_SURVEY_ROW = ((Survey, ""), (QuestionSet, "question_set__"))


def _survey_of_module(cohort_pk, number):
    return (
        Survey.objects.filter(module__cohort=cohort_pk, module__number=number, module__number__in=Module.SURVEY_NUMBERS)
        .order_by("pk")
        .values_list(*row_columns(_MODULE_SURVEY_ROW))[:1]
    )


def _survey_of_kind(cohort_pk, kind):
    return (
        Survey.objects.filter(cohort=cohort_pk, kind=kind)
        .order_by("pk")
        .values_list(*row_columns(_KIND_SURVEY_ROW))[:1]
    )


# A module number is a small positive integer: a negative placeholder would make the ORM drop the query.
_SURVEY_OF_MODULE = CompiledQuery(_survey_of_module, cohort_pk=-7381, number=32001)
_SURVEY_OF_KIND = CompiledQuery(_survey_of_kind, cohort_pk=-7383, kind="placeholder-kind")


# The survey page reads the module (1-5) with its survey, if it has one, and the survey's question set.
_MODULE_ROW = ((Module, ""), (Survey, "survey__"), (QuestionSet, "survey__question_set__"))


def _module_with_survey(cohort_pk, number):
    return (
        Module.objects.with_survey()
        .filter(cohort=cohort_pk, number=number)
        .order_by("pk")
        .values_list(*row_columns(_MODULE_ROW))[:1]
    )


_MODULE_WITH_SURVEY = CompiledQuery(_module_with_survey, cohort_pk=-7388, number=32002)


def module_and_survey(request, number: int) -> tuple[Module, Survey | None]:
    """The cohort's module ``number`` if it is one followed by a survey (404 otherwise), and its survey
    (None while it has none) with the question set; the module's and the survey's cohort are
    ``request.cohort``. One statement, compiled once per process."""
    row = _MODULE_WITH_SURVEY.fetchone(cohort_pk=request.cohort.pk, number=number)
    if row is None:
        raise Http404
    (module, survey, question_set), _rest = instances_from_row(row, *(m for m, _ in _MODULE_ROW))
    module.cohort = request.cohort
    if survey.pk is None:
        return module, None
    survey.question_set = question_set
    survey.module = module
    if survey.cohort_id == request.cohort.pk:
        survey.cohort = request.cohort
    return module, survey


def survey_of_module(request, number: int) -> Survey:
    """The survey of the cohort's module ``number`` (404 while it has none), with its module (and the
    module's cohort) and question set, as ``select_related`` gives them."""
    row = _SURVEY_OF_MODULE.fetchone(cohort_pk=request.cohort.pk, number=number)
    if row is None:
        raise Http404
    (survey, module, cohort, question_set), _rest = instances_from_row(row, *(m for m, _ in _MODULE_SURVEY_ROW))
    module.cohort = cohort
    survey.module, survey.question_set = module, question_set
    return survey


def survey_of_kind(request, kind: str) -> Survey:
    """The cohort's survey of an evaluation ``kind`` (self-assessments, evaluation, follow-up): 404
    for a module survey's kind, an unknown kind, or while the cohort has none."""
    if kind == Survey.Kind.MODULE or kind not in Survey.Kind.values:
        raise Http404
    # At most one row: one survey of each evaluation kind per cohort (survey_one_per_cohort_kind).
    row = _SURVEY_OF_KIND.fetchone(cohort_pk=request.cohort.pk, kind=kind)
    if row is None:
        raise Http404
    (survey, question_set), _rest = instances_from_row(row, *(m for m, _ in _KIND_SURVEY_ROW))
    survey.question_set = question_set
    return survey


def survey_of_page(request, kwargs) -> Survey:
    """The survey a mail page names: by module ``number``, or by ``kind`` for the evaluation's surveys."""
    if "number" in kwargs:
        return survey_of_module(request, kwargs["number"])
    return survey_of_kind(request, kwargs["kind"])


def survey_url(survey: Survey, name: str = "surveys:survey_detail", **kwargs) -> str:
    """A page of this survey's: module surveys' URLs name the module number; the evaluation's
    surveys (which follow no module) have their mail pages under their kind (``<name>_by_kind``)."""
    if survey.kind != Survey.Kind.MODULE:
        return reverse(f"{name}_by_kind", kwargs={"cohort_pk": survey.cohort_id, "kind": survey.kind, **kwargs})
    return reverse(name, kwargs={"cohort_pk": survey.module.cohort_id, "number": survey.module.number, **kwargs})
