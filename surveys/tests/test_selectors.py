import pytest
from django.db import connection
from django.utils import timezone

from surveys import structure
from surveys.models import Invitation, Survey
from surveys.selectors import (
    SummaryCounts,
    mean,
    nps,
    survey_response_count,
    survey_results,
    survey_summaries_for_cohort,
    survey_summary_counts,
    survey_trends_for_cohort,
)
from surveys.selectors.figures import invitation_counts, response_counts, surveys_with_counts
from surveys.services import response_submit, survey_close
from surveys.tests.factories import ANSWERS, SurveyFactory, responses_bulk_create

pytestmark = pytest.mark.django_db


def test_nps_and_mean_on_known_distribution():
    # 5 promoters (9-10), 3 passives (7-8), 2 detractors (0-6) of 10: NPS = 50 - 20 = 30.
    assert nps({10: 3, 9: 2, 8: 2, 7: 1, 6: 1, 0: 1}) == pytest.approx(30.0)
    assert mean({1: 1, 5: 3}) == pytest.approx(4.0)
    assert nps({}) is None
    assert mean({}) is None


def test_survey_results_figures_on_known_data(open_survey, linked):
    values = [("5", "10", "Too fast"), ("4", "9", "About right"), ("3", "6", "About right"), ("4", "8", "Too fast")]
    for (invitation, token), (useful, recommend, pace) in zip(linked, values, strict=True):
        response_submit(
            invitation=invitation,
            token=token,
            raw_answers={
                **ANSWERS,
                "usefulness": useful,
                "recommend": recommend,
                "pace": pace,
                "most_useful": ["Small-group work"],
                "went_well": f"Good {useful}",
            },
        )
    survey_close(survey=open_survey)  # non-named figures wait for the close
    results = survey_results(survey=open_survey)
    by_code = {r.question.code: r for r in results.questions}
    assert (results.invited, results.responded, results.visible) == (4, 4, True)
    assert by_code["usefulness"].score == pytest.approx(4.0)
    assert [b.count for b in by_code["usefulness"].bars] == [0, 0, 1, 2, 1]
    assert by_code["recommend"].score == pytest.approx(25.0)  # 2 promoters, 1 detractor of 4
    assert by_code["recommend"].score_kind == "nps"
    assert {b.label: b.count for b in by_code["pace"].bars} == {"Too slow": 0, "About right": 2, "Too fast": 2}
    assert {b.label: b.count for b in by_code["most_useful"].bars}["Small-group work"] == 4
    assert sorted(t.text for t in by_code["went_well"].texts) == ["Good 3", "Good 4", "Good 4", "Good 5"]
    assert all(t.name is None for t in by_code["went_well"].texts)  # pseudonymous: no names
    summary = survey_summaries_for_cohort(cohort=open_survey.module.cohort)[1]
    assert (summary.invited, summary.responded, summary.response_rate) == (4, 4, 1.0)
    assert {code: value for code, _l, value, _k in summary.headline}["recommend"] == pytest.approx(25.0)
    _surveys, trends = survey_trends_for_cohort(cohort=open_survey.module.cohort)
    assert {t.code: t.points for t in trends}["usefulness"] == [(1, pytest.approx(4.0))] + [
        (n, None) for n in range(2, 6)
    ]


def test_survey_results_hidden_below_three_unless_named(open_survey, linked):
    for invitation, token in linked[:2]:
        response_submit(invitation=invitation, token=token, raw_answers={**ANSWERS, "went_well": "Secret"})
    results = survey_results(survey=open_survey)
    assert results.visible is False
    assert all(not r.texts and r.score is None for r in results.questions)
    summary = survey_summaries_for_cohort(cohort=open_survey.module.cohort)[1]
    assert all(value is None for _c, _l, value, _k in summary.headline)
    assert results.professions == []  # 2 nurses responded: under 3, not shown


def test_survey_results_named_shows_names(open_survey, linked):
    open_survey.privacy = "named"
    open_survey.save()
    invitation, token = linked[0]
    response_submit(invitation=invitation, token=token, raw_answers={**ANSWERS, "went_well": "Good day"})
    results = survey_results(survey=open_survey)
    texts = {r.question.code: r.texts for r in results.questions}["went_well"]
    assert results.visible
    assert texts[0].name == invitation.membership.person.full_name


@pytest.mark.parametrize("n", [10, 1000])
def test_survey_results_query_count_is_constant(open_survey, django_assert_num_queries, n):
    responses_bulk_create(open_survey, n)
    survey_close(survey=open_survey)
    structure.cache_clear()
    # The survey again, the question set's structure (its questions, their choices), then every count
    # the page shows in one statement (surveys.selectors.together).
    with django_assert_num_queries(4):
        results = survey_results(survey=open_survey)
    with django_assert_num_queries(2):  # the question set's structure is kept (surveys.structure)
        again = survey_results(survey=open_survey)
    with django_assert_num_queries(1):  # the survey read with its relations by the caller (the page)
        read = survey_results(survey=results.survey, read_with_relations=True)
    assert results.responses == again.responses == read.responses == n
    assert (
        (read.invited, read.responded) == (results.invited, results.responded) == (4, 0)
    )  # bulk: no invitation marked


@pytest.mark.parametrize("n", [10, 1000])
def test_survey_summaries_and_trends_query_count_is_constant(open_survey, django_assert_num_queries, n):
    responses_bulk_create(open_survey, n, usefulness=lambda i: 4, recommend=lambda i: 10)
    survey_close(survey=open_survey)
    cohort = open_survey.module.cohort
    # The surveys with their counts, and the headline answers' tallies: one statement on PostgreSQL.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        summaries = survey_summaries_for_cohort(cohort=cohort)
    assert summaries[1].headline[0][2] == pytest.approx(4.0)
    assert (summaries[1].invited, summaries[1].responded) == (4, 0)  # bulk-made responses mark no invitation
    with django_assert_num_queries(3):
        _surveys, trends = survey_trends_for_cohort(cohort=cohort)
    assert {t.code: t.points for t in trends}["recommend"][0] == (1, pytest.approx(100.0))


def test_survey_summary_counts_and_rate(open_survey):
    invitations = list(open_survey.invitations.order_by("pk"))
    Invitation.objects.filter(pk__in=[i.pk for i in invitations[:3]]).update(status=Invitation.Status.SENT)
    Invitation.objects.filter(pk=invitations[3].pk).update(status=Invitation.Status.FAILED)
    Invitation.objects.filter(pk=invitations[0].pk).update(responded_at=timezone.now())

    counts = survey_summary_counts(survey=open_survey)

    assert (counts.invited, counts.delivered, counts.failed, counts.responded, counts.rate) == (4, 3, 1, 1, 25)
    assert SummaryCounts(invited=0, delivered=0, failed=0, responded=0).rate is None


def test_survey_results_count_choices_of_this_survey_only(open_survey):
    """Every survey of a question set shares its choices: the counts must come from this survey's answers."""
    other = SurveyFactory(question_set=open_survey.question_set, privacy=open_survey.privacy)
    responses_bulk_create(other, 7)  # 7 x "About right" in the other survey
    responses_bulk_create(open_survey, 4)
    survey_close(survey=open_survey)
    pace = {r.question.code: r for r in survey_results(survey=open_survey).questions}["pace"]
    assert {b.label: b.count for b in pace.bars} == {"Too slow": 0, "About right": 4, "Too fast": 0}


def test_surveys_with_counts_give_the_grouped_counts_in_the_surveys_query(open_survey, django_assert_num_queries):
    other = SurveyFactory(question_set=open_survey.question_set, privacy=open_survey.privacy)
    responses_bulk_create(open_survey, 3)
    invitations = list(open_survey.invitations.order_by("pk"))
    Invitation.objects.filter(pk__in=[i.pk for i in invitations[:2]]).update(responded_at=timezone.now())
    surveys = Survey.objects.filter(pk__in=[open_survey.pk, other.pk])

    with django_assert_num_queries(1):
        counted = surveys_with_counts(surveys.order_by("pk"))

    grouped, responses = invitation_counts(list(surveys)), response_counts(list(surveys))
    assert [(s.invited_count, s.responded_count, s.response_count) for s in counted] == [
        (*grouped.get(s.pk, (0, 0)), responses.get(s.pk, 0)) for s in counted
    ]
    assert [(s.invited_count, s.responded_count, s.response_count) for s in counted] == [
        (len(invitations), 2, 3),
        (0, 0, 0),
    ]


def test_survey_response_count_is_the_surveys_responses(open_survey, django_assert_num_queries):
    other = SurveyFactory(question_set=open_survey.question_set)
    responses_bulk_create(other, 2)
    assert survey_response_count(survey_pk=open_survey.pk) == 0
    responses_bulk_create(open_survey, 5)
    with django_assert_num_queries(1):
        counted = survey_response_count(survey_pk=open_survey.pk)
    assert counted == open_survey.responses.count() == 5
