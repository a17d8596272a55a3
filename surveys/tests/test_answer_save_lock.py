"""The answering POST reads its invitation once, locked for the save, and writes under that lock.

``invitation_for_token(lock=True)`` is one statement: the invitation row FOR UPDATE, its survey and
question set FOR SHARE (what closes the survey or switches or edits its set waits for the answer;
other participants' answers do not), and the participant's profession. Checked from a second
database connection while the lock is held.
"""

import psycopg
import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import Response
from surveys.services import answers_clean, invitation_for_token, response_save, survey_questions
from surveys.tests.factories import ANSWERS

pytestmark = pytest.mark.django_db(transaction=True)

FORM = {f"q_{code}": value for code, value in ANSWERS.items()}  # as the answering form names them


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and the one-statement writes are PostgreSQL's")


@pytest.fixture
def other_connection(postgresql):
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    ) as other:
        yield other


def _can_lock(other, sql, pk) -> bool:
    try:
        with other.transaction():
            other.execute(sql + " NOWAIT", [pk])
    except psycopg.errors.LockNotAvailable:
        return False
    return True


def test_a_save_read_locks_the_invitation_and_shares_its_survey_and_set(open_survey, linked, other_connection):
    invitation, token = linked[0]
    survey_sql = "SELECT 1 FROM surveys_survey WHERE id = %s"
    set_sql = "SELECT 1 FROM surveys_questionset WHERE id = %s"
    invitation_sql = "SELECT 1 FROM surveys_invitation WHERE id = %s"

    with transaction.atomic():
        locked = invitation_for_token(token=token, lock=True)
        held = {
            "survey for update": _can_lock(other_connection, survey_sql + " FOR UPDATE", open_survey.pk),
            "set for update": _can_lock(other_connection, set_sql + " FOR UPDATE", open_survey.question_set_id),
            "survey for share": _can_lock(other_connection, survey_sql + " FOR SHARE", open_survey.pk),
            "invitation for share": _can_lock(other_connection, invitation_sql + " FOR SHARE", invitation.pk),
            "another invitation": _can_lock(other_connection, invitation_sql + " FOR UPDATE", linked[1][0].pk),
        }

    assert locked.pk == invitation.pk
    assert locked.membership.person.profession == invitation.membership.person.profession
    assert held == {
        "survey for update": False,  # closing or switching the set waits for the answer
        "set for update": False,
        "survey for share": True,  # another participant's answer does not wait
        "invitation for share": False,
        "another invitation": True,
    }
    # Committed: nothing is held any more.
    assert _can_lock(other_connection, survey_sql + " FOR UPDATE", open_survey.pk)


def test_save_with_locked_needs_the_transaction_of_the_locked_read(open_survey, linked):
    invitation, token = linked[0]
    questions = survey_questions(invitation.survey)
    answers = answers_clean(questions=questions, raw=ANSWERS)

    with pytest.raises(RuntimeError):
        response_save(invitation=invitation, token=token, questions=questions, answers=answers, locked=True)
    with transaction.atomic():
        locked = invitation_for_token(token=token, lock=True)
        response_save(invitation=locked, token=token, questions=questions, answers=answers, locked=True)

    assert Response.objects.get().answers.count() == len(ANSWERS)


def test_the_answering_post_reads_once_and_writes_in_one_statement(postgresql, open_survey, linked):
    _invitation, token = linked[0]
    client = Client()
    assert client.get(reverse("surveys:answer_start", kwargs={"token": token})).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        saved = client.post(reverse("surveys:answer"), FORM, headers={"Sec-Fetch-Site": "same-origin"})

    assert saved.status_code == 200
    assert "your answers are saved" in saved.text
    statements = [query["sql"] for query in queries.captured_queries]
    # One transaction: the locked read (the survey and set shared), then the response with its
    # answers, their choices and the invitation marked; no savepoint, no second read.
    assert len(statements) == 4, statements
    assert (statements[0], statements[-1]) == ("BEGIN", "COMMIT")
    assert "FOR UPDATE" in statements[1]
    assert "FOR SHARE" in statements[1]
    assert statements[2].startswith('WITH response AS (INSERT INTO "surveys_response"')
    assert not any("SAVEPOINT" in sql for sql in statements)
    assert Response.objects.get().answers.count() == len(ANSWERS)
