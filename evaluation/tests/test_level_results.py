"""The end-of-programme evaluation's and the follow-up's results, grouped by Kirkpatrick level (or
topic): figures computed here from the answers, nothing shown for fewer than 3 people or while the
survey is open, and the same number of queries whatever the number of answers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Membership
from cohorts.tests.factories import CohortFactory, MembershipFactory
from evaluation.scheduling import evaluation_question_sets_ensure
from surveys import structure
from surveys.models import Answer, Response, Survey
from surveys.tests.factories import CohortSurveyFactory
from surveys.tokens import pseudonym_for

pytestmark = pytest.mark.django_db

WORTHWHILE = "kp-reaction-worthwhile"


def evaluation_answered(cohort, scores, *, closed=True):
    """The library end-of-programme set, answered by one person per score on "worth my time"."""
    question_set = evaluation_question_sets_ensure()[Survey.Kind.EVALUATION]
    status = {"status": Survey.Status.CLOSED, "closed_at": timezone.now()} if closed else {}
    survey = CohortSurveyFactory(
        cohort=cohort,
        kind=Survey.Kind.EVALUATION,
        question_set=question_set,
        privacy=Survey.Privacy.PSEUDONYMOUS,
        **status,
    )
    question = question_set.questions.get(code=WORTHWHILE)
    now = timezone.now()
    for score in scores:
        member = MembershipFactory(cohort=cohort)
        response = Response.objects.create(
            survey=survey, pseudonym=pseudonym_for(member.pk), profession="nurse", submitted_at=now, updated_at=now
        )
        Answer.objects.create(response=response, question=question, number=score)
    return survey


def page(client, cohort):
    return client.get(reverse("evaluation:evaluation_results", kwargs={"cohort_pk": cohort.pk}))


def test_results_are_grouped_by_level_with_the_mean_computed_from_the_answers(facilitator_client, cohort):
    scores = [5, 4, 4, 3, 5]
    evaluation_answered(cohort, scores)

    html = page(facilitator_client, cohort).content.decode()

    levels = [html.index(f'data-level="kp-{level}"') for level in ("reaction", "learning", "behaviour", "results")]
    assert levels == sorted(levels)  # Kirkpatrick's order
    worthwhile = html[html.index(f'data-code="{WORTHWHILE}"') :]
    assert f"Mean {sum(scores) / len(scores):.2f}" in worthwhile[:2000]
    assert "5 answers" in worthwhile[:2000]


@pytest.mark.parametrize(("scores", "closed"), [([5, 1], True), ([5, 4, 4, 3], False)])
def test_fewer_than_three_or_an_open_survey_shows_no_figures(facilitator_client, cohort, scores, closed):
    evaluation_answered(cohort, scores, closed=closed)

    html = page(facilitator_client, cohort).content.decode()

    assert 'data-level="kp-reaction"' not in html
    assert "Mean" not in html
    assert "Results appear" in html


def test_the_query_count_does_not_grow_with_the_answers(facilitator, facilitator_client, cohort):
    counts = []
    for n in (4, 24):
        each = CohortFactory(programme=cohort.programme)
        MembershipFactory(cohort=each, role=Membership.Role.FACILITATOR, person=facilitator.person)
        evaluation_answered(each, [(i % 5) + 1 for i in range(n)])
        structure.cache_clear()  # both counts read the shared library set's structure afresh
        with CaptureQueriesContext(connection) as context:
            assert page(facilitator_client, each).status_code == 200
        counts.append(len(context.captured_queries))
    assert counts[0] == counts[1], counts
