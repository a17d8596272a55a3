"""Figures every survey page computes the same way: scores from distributions, and counts per survey
in one grouped query each."""

from collections import defaultdict

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from surveys import disclosure
from surveys.models import Answer, Invitation, Question, Response, Survey


def nps(distribution: dict[int, int]) -> float | None:
    """Net Promoter Score from {score 0-10: count}: % of 9-10 minus % of 0-6."""
    total = sum(distribution.values())
    if not total:
        return None
    promoters = sum(n for score, n in distribution.items() if score >= 9)
    detractors = sum(n for score, n in distribution.items() if score <= 6)
    return 100.0 * (promoters - detractors) / total


def mean(distribution: dict[int, int]) -> float | None:
    total = sum(distribution.values())
    if not total:
        return None
    return sum(score * n for score, n in distribution.items()) / total


def score(kind: str, distribution: dict[int, int]) -> tuple[float | None, str]:
    if kind == Question.Kind.RATING0_10:
        return nps(distribution), "nps"
    return mean(distribution), "mean"


def results_visible(survey: Survey, responded: int) -> bool:
    return disclosure.figures_visible(survey=survey, responses=responded)


def invitation_tallies(invitations):
    """``(survey id, invited, responded)`` rows of an Invitation queryset: how many were invited to each
    survey and how many of them answered, in one grouped query."""
    return (
        invitations.values("survey_id")
        .annotate(invited=Count("id"), responded=Count("id", filter=Q(responded_at__isnull=False)))
        .order_by()
        .values_list("survey_id", "invited", "responded")
    )


def response_tallies(responses):
    """``(survey id, responses)`` rows of a Response queryset, in one grouped query."""
    return responses.values("survey_id").annotate(n=Count("id")).order_by().values_list("survey_id", "n")


def numeric_tallies(answers):
    """``(survey id, question code, value, count)`` rows of an Answer queryset's scale answers, in one
    grouped query."""
    return (
        answers.filter(number__isnull=False)
        .values("response__survey_id", "question__code", "number")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("response__survey_id", "question__code", "number", "n")
    )


def numeric_distributions(surveys: list[Survey], codes=None) -> dict[tuple[int, str], dict[int, int]]:
    """{(survey id, question code): {value: count}} for scale questions, one grouped query."""
    answers = Answer.objects.filter(response__survey__in=[s.pk for s in surveys])
    if codes is not None:
        answers = answers.filter(question__code__in=codes)
    return distributions_from(numeric_tallies(answers))


def distributions_from(rows) -> dict[tuple[int, str], dict[int, int]]:
    """{(survey id, question code): {value: count}} from ``numeric_tallies`` rows."""
    result: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    for survey_id, code, number, n in rows:
        result[survey_id, code][number] = n
    return result


def invitation_counts(surveys: list[Survey]) -> dict[int, tuple[int, int]]:
    rows = invitation_tallies(Invitation.objects.filter(survey__in=[s.pk for s in surveys]))
    return {survey_id: (invited, responded) for survey_id, invited, responded in rows}


def response_counts(surveys: list[Survey]) -> dict[int, int]:
    return dict(response_tallies(Response.objects.filter(survey__in=[s.pk for s in surveys])))


def _count_of(queryset) -> Coalesce:
    """The number of rows of ``queryset`` (filtered on ``OuterRef("pk")``) as a column of the survey."""
    counted = queryset.order_by().values("survey").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), 0)


def counts_annotated(surveys):
    """A Survey queryset with ``invited_count``, ``responded_count`` (invitations answered) and
    ``response_count`` on each: what ``invitation_counts`` and ``response_counts`` give, in the same
    statement as the surveys themselves."""
    invitations = Invitation.objects.filter(survey=OuterRef("pk"))
    return surveys.annotate(
        invited_count=_count_of(invitations),
        responded_count=_count_of(invitations.filter(responded_at__isnull=False)),
        response_count=_count_of(Response.objects.filter(survey=OuterRef("pk"))),
    )


def surveys_with_counts(surveys) -> list[Survey]:
    """The surveys of a queryset with ``invited_count``, ``responded_count`` and ``response_count``
    on each (``counts_annotated``), in one query."""
    return list(counts_annotated(surveys))
