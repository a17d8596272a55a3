"""The evaluation's results pages: the paired self-assessment change (against figures computed here,
independently of evaluation.analysis), what may and may not be shown, and query counts."""

import itertools
import statistics

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cohorts.tests.factories import MembershipFactory
from surveys.models import Answer, Question, Response, Survey
from surveys.tests.factories import CohortSurveyFactory, QuestionFactory, QuestionSetFactory
from surveys.tokens import pseudonym_for

pytestmark = pytest.mark.django_db

TEAM = ("hlm-engaging-the-team-1", "hlm-engaging-the-team-2")
GROW = ("prog-coaching-grow-1",)

# Per person: {code: (pre, then, post)}. Engaging the team (mean of two items) changes post − pre by
# +0.5, +1, +1.5, +2, +2.5 and −3: distinct sizes, so the exact test applies.
KNOWN = [
    {TEAM[0]: (3, 2, 3), TEAM[1]: (3, 3, 4), GROW[0]: (2, 2, 3)},
    {TEAM[0]: (2, 2, 3), TEAM[1]: (2, 1, 3), GROW[0]: (3, 2, 4)},
    {TEAM[0]: (2, 1, 4), TEAM[1]: (3, 2, 4), GROW[0]: (3, 3, 3)},
    {TEAM[0]: (1, 1, 3), TEAM[1]: (2, 2, 4), GROW[0]: (2, 1, 4)},
    {TEAM[0]: (1, 1, 4), TEAM[1]: (2, 1, 4), GROW[0]: (4, 3, 3)},
    {TEAM[0]: (5, 4, 2), TEAM[1]: (5, 4, 2), GROW[0]: (3, 2, 5)},
]


def _question_set(then):
    question_set = QuestionSetFactory()
    for order, code in enumerate(TEAM + GROW):
        QuestionFactory(question_set=question_set, code=code, order=order, kind=Question.Kind.LIKERT5, asks_then=then)
    return question_set


def build(cohort, people, *, closed=True, post_people=None):
    """Pre and post self-assessments of ``cohort`` answered by ``people`` (the KNOWN layout)."""
    now = timezone.now()
    status = {"status": Survey.Status.CLOSED, "closed_at": now} if closed else {}
    pre = CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.SELF_PRE, question_set=_question_set(False), **status)
    post = CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.SELF_POST, question_set=_question_set(True), **status)
    members = [
        MembershipFactory(cohort=cohort, person__full_name=f"Ada Person{i}", person__email=f"ada{i}@example.org")
        for i in range(len(people))
    ]
    for survey, index in ((pre, 0), (post, 2)):
        questions = {q.code: q for q in survey.question_set.questions.all()}
        chosen = range(len(people)) if survey is pre or post_people is None else post_people
        for i in chosen:
            response = Response.objects.create(
                survey=survey,
                pseudonym=pseudonym_for(members[i].pk),
                profession="nurse",
                submitted_at=now,
                updated_at=now,
            )
            Answer.objects.bulk_create(
                Answer(
                    response=response,
                    question=questions[code],
                    number=values[index],
                    then_number=values[1] if survey is post else None,
                )
                for code, values in people[i].items()
            )
    return pre, post, members


def exact_p_and_r(differences):
    """Two-sided exact Wilcoxon p by enumerating every sign pattern, and the rank-biserial r."""
    nonzero = sorted((d for d in differences if d), key=abs)
    ranks = range(1, len(nonzero) + 1)  # the test data has no tied sizes
    w_plus = sum(r for r, d in zip(ranks, nonzero, strict=True) if d > 0)
    total = sum(ranks)
    sums = [
        sum(r for r, sign in zip(ranks, signs, strict=True) if sign)
        for signs in itertools.product((0, 1), repeat=len(nonzero))
    ]
    low = sum(1 for s in sums if s <= w_plus) / len(sums)
    high = sum(1 for s in sums if s >= w_plus) / len(sums)
    return min(1.0, 2 * min(low, high)), (w_plus - (total - w_plus)) / total


def url(cohort, name="self_assessment_results"):
    return reverse(f"evaluation:{name}", kwargs={"cohort_pk": cohort.pk})


def test_self_assessment_figures_match_an_independent_computation(cohort, facilitator_client):
    from evaluation.result_selectors import self_assessment_results

    build(cohort, KNOWN)
    results = self_assessment_results(cohort=cohort)
    team = next(row for row in results.rows if row.code == "hlm-engaging-the-team")
    pre = [(p[TEAM[0]][0] + p[TEAM[1]][0]) / 2 for p in KNOWN]
    then = [(p[TEAM[0]][1] + p[TEAM[1]][1]) / 2 for p in KNOWN]
    post = [(p[TEAM[0]][2] + p[TEAM[1]][2]) / 2 for p in KNOWN]
    post_pre = [b - a for a, b in zip(pre, post, strict=True)]
    p_value, r = exact_p_and_r(post_pre)
    assert sorted(post_pre) == [-3, 0.5, 1, 1.5, 2, 2.5]
    assert team.post_pre.n_pairs == 6
    assert team.post_pre.mean_change == pytest.approx(statistics.mean(post_pre))
    assert team.post_pre.median_change == pytest.approx(statistics.median(post_pre))
    assert (team.post_pre.improved, team.post_pre.same, team.post_pre.declined) == (5, 0, 1)
    assert team.post_pre.p_value == pytest.approx(p_value)  # 2 * 14 / 64 = 0.4375
    assert p_value == pytest.approx(0.4375)
    assert team.post_pre.effect_size == pytest.approx(r)
    assert team.pre.mean == pytest.approx(statistics.mean(pre))
    assert team.then.median == pytest.approx(statistics.median(then))
    assert team.post.mean == pytest.approx(statistics.mean(post))
    post_then = [b - a for a, b in zip(then, post, strict=True)]
    assert team.post_then.median_change == pytest.approx(statistics.median(post_then))

    html = facilitator_client.get(url(cohort)).content.decode()
    assert "0.438" in html  # p, three decimals
    assert f"{r:.2f}" in html
    assert "With 6 pairs, self-ratings of engaging the team" in html
    assert "<svg" in html
    assert "marker-then" in html
    assert 'id="levels-table"' in html
    assert "no comparison group" in html  # the analysis notes, in plain words


def test_self_assessment_page_reveals_nobody(cohort, facilitator_client):
    _pre, _post, members = build(cohort, KNOWN)
    html = facilitator_client.get(url(cohort)).content.decode()
    for membership in members:
        assert escape(membership.person.full_name) not in html
        assert membership.person.email not in html
        assert pseudonym_for(membership.pk) not in html
    assert "Nursing" not in html  # no breakdown by profession at all


def test_self_assessment_suppresses_fewer_than_three_pairs(cohort, facilitator_client):
    # Everyone answered before; after, two of them and two others (so each survey has 4 responses).
    _pre, post, _members = build(cohort, KNOWN[:4], post_people=[0, 1])
    now = timezone.now()
    for i in range(2):
        Response.objects.create(
            survey=post, pseudonym=f"other{i}", profession="nurse", submitted_at=now, updated_at=now
        )
    html = facilitator_client.get(url(cohort)).content.decode()
    assert "fewer than 3 pairs: not shown" in html
    assert "With 2 pairs" not in html
    assert 'class="marker-' not in html.split("level-legend")[0]  # no marker for a suppressed group


def test_self_assessment_waits_for_both_surveys_to_close(cohort, facilitator_client):
    build(cohort, KNOWN, closed=False)
    html = facilitator_client.get(url(cohort)).content.decode()
    assert "Figures appear once both self-assessments have closed" in html
    assert 'id="change-table"' not in html


@pytest.mark.parametrize("size", [4, 8])
def test_self_assessment_page_query_count_is_constant(cohort, facilitator_client, django_assert_num_queries, size):
    build(cohort, (KNOWN * 2)[:size])
    facilitator_client.get(url(cohort))  # warm the session and cohort lookups
    with django_assert_num_queries(8):
        assert facilitator_client.get(url(cohort)).status_code == 200


@pytest.mark.parametrize("size", [4, 8])
def test_overview_query_count_is_constant(cohort, facilitator_client, django_assert_num_queries, size):
    build(cohort, (KNOWN * 2)[:size])
    # 11 (practice and quotes counted, not read: one and four), and 1 for the follow-up date (saved
    # date, module 6 for the default, whether it opened, in one statement).
    with django_assert_num_queries(12):
        response = facilitator_client.get(url(cohort, "evaluation_overview"))
    assert response.status_code == 200
    assert reverse("evaluation:self_assessment_results", kwargs={"cohort_pk": cohort.pk}) in response.content.decode()


def test_cohort_page_links_the_evaluation(cohort, facilitator_client):
    html = facilitator_client.get(reverse("modules:cohort_detail", kwargs={"cohort_pk": cohort.pk})).content.decode()
    assert url(cohort, "evaluation_overview") in html


def test_participants_cannot_open_the_evaluation_pages(cohort, client):
    from cohorts.tests.factories import UserFactory

    member = MembershipFactory(cohort=cohort, person__user=UserFactory())
    client.force_login(member.person.user)
    for name in (
        "evaluation_overview",
        "self_assessment_results",
        "evaluation_results",
        "follow_up_results",
        "quote_list",
    ):
        # The access middleware answers as if the page did not exist, as for every facilitator page.
        assert client.get(url(cohort, name)).status_code == 404


def test_sentences_quote_an_item_as_written_and_name_a_dimension_in_lower_case():
    from evaluation.result_selectors import item_subject

    assert item_subject("Engaging the team") == "engaging the team"
    assert item_subject("I notice when someone in my team is struggling.") == (
        "“I notice when someone in my team is struggling”"
    )
