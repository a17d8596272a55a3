"""Looking up a cohort's survey pages' objects, inside ``request.cohort`` (set by the cohort access
middleware), so that another cohort's object is a 404 like one that does not exist."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from modules.models import Module
from surveys.models import Survey


def module_with_survey(request, number: int) -> Module:
    """The cohort's module ``number``, if it is one followed by a survey."""
    return get_object_or_404(Module.objects.with_survey(), cohort=request.cohort, number=number)


def survey_of_module(request, number: int) -> Survey:
    """The survey of the cohort's module ``number`` (404 while it has none), with its module and
    question set."""
    module = get_object_or_404(
        Module.objects.with_survey().select_related("cohort"), cohort=request.cohort, number=number
    )
    survey = Survey.objects.filter(module=module).select_related("question_set").first()
    if survey is None:
        raise Http404
    survey.module = module
    return survey


def survey_of_kind(request, kind: str) -> Survey:
    """The cohort's survey of an evaluation ``kind`` (self-assessments, evaluation, follow-up): 404
    for a module survey's kind, an unknown kind, or while the cohort has none."""
    if kind == Survey.Kind.MODULE or kind not in Survey.Kind.values:
        raise Http404
    return get_object_or_404(Survey.objects.select_related("question_set"), cohort=request.cohort, kind=kind)


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
