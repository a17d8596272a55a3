"""The question set's cached structure (surveys.structure): read once per set version, and never
stale, whichever way an unanswered set is changed in place (the services, the admin's model saves)."""

import pytest
from django.test import Client
from django.urls import reverse

from surveys import structure
from surveys.models import Choice, Question
from surveys.services import question_create, question_delete, survey_questions
from surveys.tests.factories import ChoiceFactory, QuestionFactory, QuestionSetFactory


def _answer_page(token) -> str:
    client = Client()
    client.get(reverse("surveys:answer_start", kwargs={"token": token}))
    response = client.get(reverse("surveys:answer"))
    assert response.status_code == 200
    return response.content.decode()


def _survey(invitation):
    invitation.survey.refresh_from_db()
    return invitation.survey


def test_a_warm_structure_costs_no_query(linked, django_assert_num_queries):
    survey = _survey(linked[0][0])
    stamp = survey.question_set.updated_at
    structure.cache_clear()
    with django_assert_num_queries(2):  # the questions (with their conditions), their choices
        first = structure.questions_for_set(question_set_id=survey.question_set_id, stamp=stamp)
    with django_assert_num_queries(0):
        again = structure.questions_for_set(question_set_id=survey.question_set_id, stamp=stamp)
    assert [q.pk for q in again] == [q.pk for q in first]
    assert again is not first  # callers get their own list of the shared questions


def test_a_question_added_in_place_shows_on_the_answer_page(linked, staff_user):
    invitation, token = linked[0]
    assert "Anything about the venue?" not in _answer_page(token)  # the structure is cached now

    # Nobody has answered: staff change the library set in place (no new version).
    question_set = _survey(invitation).question_set
    question = question_create(
        question_set=question_set, user=staff_user, kind="short_text", text="Anything about the venue?", required=False
    )
    assert question.question_set_id == question_set.pk

    assert "Anything about the venue?" in _answer_page(token)


def test_choices_and_questions_changed_through_model_saves_show_up(linked, staff_user):
    """The admin saves questions and choices as models (its inlines), not through the services."""
    invitation, token = linked[0]
    _answer_page(token)
    question_set = _survey(invitation).question_set
    choice = Choice.objects.filter(question__question_set=question_set).order_by("pk").first()
    choice.label = "A label changed in the admin"
    choice.save()
    assert "A label changed in the admin" in _answer_page(token)

    question = choice.question
    question.text = "A question reworded in the admin"
    question.save()
    assert "A question reworded in the admin" in _answer_page(token)

    removable = question_create(
        question_set=question_set, user=staff_user, kind="short_text", text="A question for a moment", required=False
    )
    text = removable.text
    assert text in _answer_page(token)
    question_delete(question=removable, user=staff_user)
    assert text not in _answer_page(token)
    assert [q.pk for q in survey_questions(_survey(invitation))] == list(
        Question.objects.filter(question_set=question_set).order_by("order", "id").values_list("pk", flat=True)
    )


@pytest.mark.parametrize("delete", [False, True])
def test_a_choice_added_or_deleted_moves_the_sets_stamp(linked, delete):
    question_set = _survey(linked[0][0]).question_set
    question = question_set.questions.filter(kind="multiple_choice").first()
    before = question_set.updated_at
    choice = Choice.objects.create(question=question, order=99, label="Something else")
    if delete:
        question_set.refresh_from_db()
        before = question_set.updated_at
        choice.delete()
    question_set.refresh_from_db()
    assert question_set.updated_at > before


def test_the_stamp_moves_on_even_when_the_clock_does_not(linked, monkeypatch):
    """Two edits in one clock tick (or a clock set back) still give the set two different stamps."""
    question_set = _survey(linked[0][0]).question_set
    question = question_set.questions.order_by("pk").first()
    stamps = [question_set.updated_at]
    monkeypatch.setattr(structure.timezone, "now", lambda: stamps[0])
    for text in ("Edited once", "Edited twice"):
        question.text = text
        question.save()
        question_set.refresh_from_db()
        stamps.append(question_set.updated_at)
    assert stamps[0] < stamps[1] < stamps[2]


def test_several_sets_are_read_together_and_kept_per_version(db, django_assert_num_queries):
    first, second = QuestionSetFactory(), QuestionSetFactory()
    for question_set in (first, second):
        ChoiceFactory(question=QuestionFactory(question_set=question_set, kind=Question.Kind.SINGLE_CHOICE))
        QuestionFactory(question_set=question_set)
    stamps = {first.pk: first.updated_at, second.pk: second.updated_at}
    structure.cache_clear()

    with django_assert_num_queries(2):  # both sets' questions, then their choices
        found = structure.questions_for_sets(stamps)
    with django_assert_num_queries(0):
        assert structure.questions_for_set(question_set_id=second.pk, stamp=second.updated_at) == found[second.pk]
        again = structure.questions_for_sets(stamps)
    assert [q.pk for q in found[first.pk]] == list(first.questions.values_list("pk", flat=True))
    assert [q.pk for q in again[second.pk]] == [q.pk for q in found[second.pk]]
    assert [c.label for c in found[first.pk][0].choices.all()] == [first.questions.first().choices.get().label]

    QuestionFactory(question_set=second, text="Added in place?")  # moves the second set's stamp
    second.refresh_from_db()
    with django_assert_num_queries(2):
        changed = structure.questions_for_sets({first.pk: first.updated_at, second.pk: second.updated_at})
    assert [q.text for q in changed[second.pk]][-1] == "Added in place?"
    assert len(changed[first.pk]) == 2
