"""The reads the survey pages make together in one statement give exactly the rows each read gives
apart (surveys.selectors.together, the results page's reads, the PDSA pages' summaries)."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from surveys.models import Answer, Response, Survey
from surveys.selectors import results, summaries
from surveys.selectors.figures import distributions_from
from surveys.selectors.together import Together
from surveys.services import survey_close
from surveys.tests.factories import responses_bulk_create

pytestmark = pytest.mark.django_db

# Texts whose order differs between a byte sort and a collation, and repeated ones.
TEXTS = ["b", "A", "é", "a", "Zebra", "", "a", "ß", "10", "9"]
PROFESSIONS = ["nurse", "doctor", "nurse", "pharmacist", "nurse", "doctor", "", "nurse", "doctor", "nurse"]


@pytest.fixture
def answered(open_survey):
    """The open survey, closed, with ten responses of varied professions, scores and texts."""
    responses = responses_bulk_create(open_survey, 10, usefulness=lambda i: 1 + (i * 3) % 5)
    for response, profession in zip(responses, PROFESSIONS, strict=True):
        Response.objects.filter(pk=response.pk).update(profession=profession)
    texts = Answer.objects.filter(response__survey=open_survey, question__code="went_well").order_by("response_id")
    for answer, text in zip(texts, TEXTS, strict=True):
        Answer.objects.filter(pk=answer.pk).update(text=text)
    survey_close(survey=open_survey)
    return open_survey


@pytest.mark.parametrize("key", list(results._TOGETHER), ids=str)
def test_each_results_read_together_gives_the_rows_it_gives_apart(answered, key):
    together = results._TOGETHER[key]
    reads = together.fetch(survey_pk=answered.pk)
    assert set(reads) == set(together.builds)
    for name, build in together.builds.items():
        assert reads[name] == list(build(answered.pk)), name
    assert reads["responses"] == [(answered.pk, 10)]
    if "texts" in reads:
        assert len(reads["texts"]) == 9  # the empty text left out


def test_the_reads_of_another_survey_are_not_mixed_in(answered):
    reads = results._TOGETHER[(True, Survey.Privacy.PSEUDONYMOUS)].fetch(survey_pk=answered.pk + 1000)
    assert all(rows == [] for rows in reads.values())


def test_together_refuses_a_read_json_would_change():
    dated = Together(
        {"survey_pk": -1},
        dates=lambda survey_pk: Response.objects.filter(survey_id=survey_pk).values_list("updated_at"),
    )
    with pytest.raises(ImproperlyConfigured, match="DateTimeField"):
        dated.fetch(survey_pk=1)


def test_together_refuses_a_placeholder_no_read_holds():
    unused = Together({"survey_pk": -1, "other": -2}, responses=lambda survey_pk, other: results._responses(survey_pk))
    with pytest.raises(ImproperlyConfigured, match="other"):
        unused.fetch(survey_pk=1, other=2)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the headline column is PostgreSQL's read")
def test_the_summaries_read_in_one_statement_are_the_two_reads(answered, django_assert_num_queries):
    cohort_pk = answered.module.cohort_id
    surveys, counts, responses = summaries._surveys_counted(cohort_pk)
    distributions = distributions_from(summaries._HEADLINE_ANSWERS.fetchall(cohort_pk=cohort_pk))
    with django_assert_num_queries(1):
        together = summaries._surveys_counted_with_headline(cohort_pk)
    assert [s.pk for s in together[0]] == [s.pk for s in surveys] == [answered.pk]
    assert together[1:3] == (counts, responses)
    assert together[3] == distributions
    assert set(distributions) == {(answered.pk, "usefulness"), (answered.pk, "recommend")}
