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


def survey_url(survey: Survey, name: str = "surveys:survey_detail") -> str:
    """A page of this survey's (the URLs name the cohort and the module number)."""
    return reverse(name, kwargs={"cohort_pk": survey.module.cohort_id, "number": survey.module.number})
