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


def numeric_distributions(surveys: list[Survey], codes=None) -> dict[tuple[int, str], dict[int, int]]:
    """{(survey id, question code): {value: count}} for scale questions, one grouped query."""
    answers = Answer.objects.filter(response__survey__in=[s.pk for s in surveys], number__isnull=False)
    if codes is not None:
        answers = answers.filter(question__code__in=codes)
    rows = answers.values("response__survey_id", "question__code", "number").annotate(n=Count("id")).order_by()
    result: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    for row in rows:
        result[row["response__survey_id"], row["question__code"]][row["number"]] = row["n"]
    return result


def invitation_counts(surveys: list[Survey]) -> dict[int, tuple[int, int]]:
    rows = (
        Invitation.objects.filter(survey__in=[s.pk for s in surveys])
        .values("survey_id")
        .annotate(invited=Count("id"), responded=Count("id", filter=Q(responded_at__isnull=False)))
        .order_by()
    )
    return {row["survey_id"]: (row["invited"], row["responded"]) for row in rows}


def response_counts(surveys: list[Survey]) -> dict[int, int]:
    rows = Response.objects.filter(survey__in=[s.pk for s in surveys]).values("survey_id").annotate(n=Count("id"))
    return {row["survey_id"]: row["n"] for row in rows.order_by()}


def _count_of(queryset) -> Coalesce:
    """The number of rows of ``queryset`` (filtered on ``OuterRef("pk")``) as a column of the survey."""
    counted = queryset.order_by().values("survey").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), 0)


def surveys_with_counts(surveys) -> list[Survey]:
    """The surveys of a queryset with ``invited_count``, ``responded_count`` (invitations answered)
    and ``response_count`` on each: what ``invitation_counts`` and ``response_counts`` give, in the
    same query as the surveys themselves."""
    invitations = Invitation.objects.filter(survey=OuterRef("pk"))
    return list(
        surveys.annotate(
            invited_count=_count_of(invitations),
            responded_count=_count_of(invitations.filter(responded_at__isnull=False)),
            response_count=_count_of(Response.objects.filter(survey=OuterRef("pk"))),
        )
    )
