"""The digest a draft report is kept under (reports.sources): it covers every table the build reads,
it moves with any write to a row the report is drawn from, however made, and the page, the PDF and
the spreadsheet follow it at once."""

import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from modules.models import Attendance
from projects.models import DataPoint
from reports import selectors, services, sources
from reports.models import KeyImpact
from surveys import structure
from surveys.models import Answer, Choice, Question, Survey
from surveys.tests.factories import ChoiceFactory, QuestionFactory

from .builders import evaluation_choices_add, report_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = report_cohort(6)
    evaluation_choices_add(world)
    services.key_impact_create(cohort=world.cohort, text="Managers coach their staff.", evidence="projects")
    return world


def digest(world):
    return sources.report_sources_digest(cohort_id=world.cohort.pk)


def url(name, cohort):
    return reverse(f"reports:{name}", kwargs={"cohort_pk": cohort.pk})


def test_every_table_the_report_is_built_from_is_in_the_digest(world):
    structure.cache_clear()  # the question sets' structure is read too, once per process
    with CaptureQueriesContext(connection) as context:
        selectors.report_data_build(cohort=world.cohort)
    read = {table for q in context.captured_queries for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', q["sql"])}

    assert {"surveys_answer", "projects_datapoint", "evaluation_quoteselection"} <= read
    assert read <= sources.source_tables()


def test_the_digest_moves_with_any_write_to_what_the_report_is_drawn_from(world):
    seen = [digest(world)]

    assert digest(world) == seen[0]  # nothing written, nothing moves
    # Writes that send no signal and touch no updated_at, twice in the same transaction (as a test's is).
    answer = Answer.objects.filter(response__survey__cohort=world.cohort, number__isnull=False).first()
    Answer.objects.filter(pk=answer.pk).update(number=1)
    seen.append(digest(world))
    Answer.objects.filter(pk=answer.pk).update(number=2)
    seen.append(digest(world))
    DataPoint.objects.filter(measure=world.measure).first().delete()
    seen.append(digest(world))
    KeyImpact.objects.filter(report__cohort=world.cohort).update(text="Coaching, not telling.")
    seen.append(digest(world))
    Attendance.objects.bulk_create([])  # nothing
    assert digest(world) == seen[-1]

    assert len(set(seen)) == len(seen)


def test_the_digest_moves_with_the_choices_of_an_evaluation_answer(world):
    # The digest reads the choices of the evaluation's and follow-up's answers only (the build reads no
    # other): a choice moved, added or taken away there must still move it, as the report shows it.
    if connection.vendor != "postgresql":
        pytest.skip("the digest is made by PostgreSQL")
    through = Answer.choices.through
    chosen = through.objects.filter(answer__response__survey__kind=Survey.Kind.EVALUATION).order_by("pk")
    first = chosen.first()
    other = Choice.objects.filter(question=first.choice.question).exclude(pk=first.choice_id).first()
    seen = [digest(world)]
    counts = [selectors.report_data_build(cohort=world.cohort)["kirkpatrick"]]

    through.objects.filter(pk=first.pk).update(choice=other)
    seen.append(digest(world))
    counts.append(selectors.report_data_build(cohort=world.cohort)["kirkpatrick"])
    through.objects.filter(pk=first.pk).delete()
    seen.append(digest(world))
    through.objects.create(answer_id=first.answer_id, choice_id=first.choice_id)
    seen.append(digest(world))

    assert counts[0] != counts[1]  # the report shows the move: the digest must follow it
    assert len(set(seen)) == len(seen)


def test_a_module_surveys_answer_choices_are_not_read_by_the_build(world):
    # Why the digest leaves them out: nothing the report shows changes with them.
    module_survey = Survey.objects.filter(cohort=world.cohort, kind=Survey.Kind.MODULE).first()
    question = QuestionFactory(question_set=module_survey.question_set, kind=Question.Kind.SINGLE_CHOICE, order=9)
    choice = ChoiceFactory(question=question)
    response = module_survey.responses.first()
    answer = Answer.objects.create(response=response, question=question)
    before = selectors.report_data_build(cohort=world.cohort)
    answer.choices.set([choice])
    after = selectors.report_data_build(cohort=world.cohort)

    assert {k: v for k, v in before.items() if k != "built_at"} == {k: v for k, v in after.items() if k != "built_at"}


def test_another_cohorts_writes_leave_the_digest_alone(world):
    other = report_cohort(4)
    before = digest(world)

    Attendance.objects.filter(module__cohort=other.cohort).update(status=Attendance.Status.ABSENT)
    services.key_impact_create(cohort=other.cohort, text="Elsewhere")

    assert digest(world) == before


def test_a_write_shows_at_once_in_the_page_the_pdf_and_the_spreadsheet(world, redis_cache):
    client = Client()
    client.force_login(world.facilitator.person.user)
    for name in ("report_detail", "report_pdf", "report_xlsx"):
        client.get(url(name, world.cohort))  # kept under the digest

    # A bulk write no service sees: everyone present at every module.
    Attendance.objects.filter(module__cohort=world.cohort).update(status=Attendance.Status.PRESENT)
    page = client.get(url("report_detail", world.cohort)).content.decode()
    workbook = load_workbook(io.BytesIO(client.get(url("report_xlsx", world.cohort)).content))

    assert "6 of 6 participants (100%)" in page
    completed = [r for r in workbook["Attendance"].iter_rows(values_only=True) if str(r[0]).startswith("Completed")]
    assert completed[0][4:] == (6, 100)


def test_an_unchanged_report_is_read_once_per_process_and_a_changed_one_within_twenty_queries(world):
    client = Client()
    client.force_login(world.facilitator.person.user)
    client.get(url("report_detail", world.cohort))
    with CaptureQueriesContext(connection) as kept:
        assert client.get(url("report_detail", world.cohort)).status_code == 200
    Answer.objects.filter(response__survey__cohort=world.cohort, number=5).update(number=4)
    with CaptureQueriesContext(connection) as built:
        assert client.get(url("report_detail", world.cohort)).status_code == 200

    reads = [q["sql"] for q in kept.captured_queries if '"surveys_answer"' in q["sql"]]
    assert len(reads) == 1  # the digest's statement: the answers are not read again
    assert reads[0].startswith("WITH")
    statements = [q for q in built.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 20


def test_without_postgresql_the_report_is_built_on_every_request(world, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")

    assert digest(world) is None
    pages = [selectors.report_page(cohort=world.cohort) for _ in range(2)]
    assert pages[0].stamp is None
    assert pages[0].data is not pages[1].data
    assert pages[0].data["attendance"] == pages[1].data["attendance"]
