import datetime
import math

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from cohorts.models import Cohort, Membership
from cohorts.tests.factories import MembershipFactory
from modules.models import Attendance
from modules.tests.factories import AttendanceFactory, ModuleFactory
from surveys.models import Answer, Invitation, Question, QuestionSet, Response, Survey
from surveys.services import (
    ResponseLockedError,
    answer_clean,
    answers_clean,
    invitation_for_token,
    invitation_issue_token,
    question_create,
    question_set_copy,
    question_set_default,
    question_update,
    question_validate,
    response_save,
    response_submit,
    survey_close,
    survey_open_for_module,
    survey_questions,
    survey_update,
)
from surveys.tests.factories import ANSWERS, ChoiceFactory, QuestionFactory, QuestionSetFactory
from surveys.tokens import TOKEN_BYTES, token_hash

pytestmark = pytest.mark.django_db


# --- question validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("likert5", ["1", "5"], ["0", "6", "x"]),
        ("rating0_10", ["0", "10"], ["-1", "11", "7.5"]),
        ("single_choice", ["A"], ["Z", ["A", "B"]]),
        ("multiple_choice", [["A"], ["A", "B"]], [["A", "Z"], ["A", "B", "C"]]),
        ("short_text", ["fine"], ["x" * 501]),
        ("long_text", ["x" * 5000], ["x" * 5001]),
    ],
)
def test_answer_clean_accepts_and_rejects_each_type(kind, good, bad):
    question = Question(kind=kind, code="q", text="Q?", max_choices=2 if kind == "multiple_choice" else None)
    for value in good:
        assert answer_clean(question=question, value=value, choice_labels=["A", "B", "C"]) is not None
    for value in bad:
        with pytest.raises(ValidationError):
            answer_clean(question=question, value=value, choice_labels=["A", "B", "C"])


def test_answers_clean_requires_required_and_applies_condition():
    question_set = QuestionSetFactory()
    parent = QuestionFactory(question_set=question_set, code="pace", kind="single_choice", order=1)
    ChoiceFactory(question=parent, label="Too fast")
    ChoiceFactory(question=parent, label="About right")
    child = QuestionFactory(
        question_set=question_set,
        code="why",
        kind="short_text",
        order=2,
        condition_question=parent,
        condition_value="Too fast",
    )
    questions = list(question_set.questions.order_by("order"))
    with pytest.raises(ValidationError) as exc:
        answers_clean(questions=questions, raw={"pace": "Too fast", "why": ""})
    assert "why" in exc.value.message_dict
    # Hidden by its condition: not required, and an answer given anyway is dropped.
    cleaned = answers_clean(questions=questions, raw={"pace": "About right", "why": "ignored"})
    assert cleaned == {parent.pk: "About right"}
    assert answers_clean(questions=questions, raw={"pace": "Too fast", "why": "after lunch"})[child.pk] == "after lunch"


def test_question_validate_rules():
    question_set = QuestionSetFactory()
    first = QuestionFactory(question_set=question_set, code="first", kind="likert5", order=10)
    text = QuestionFactory(question_set=question_set, code="text", kind="short_text", order=20)
    cases = [
        (Question(question_set=question_set, code="a", kind="single_choice", text="x", order=30), ["only"], "choices"),
        (Question(question_set=question_set, code="b", kind="likert5", text="x", order=30), ["A", "B"], "choices"),
        (
            Question(question_set=question_set, code="c", kind="likert5", text="x", order=30, max_choices=2),
            [],
            "max_choices",
        ),
        (
            Question(question_set=question_set, code="d", kind="multiple_choice", text="x", order=30, max_choices=3),
            ["A", "B"],
            "max_choices",
        ),
        (
            Question(
                question_set=question_set,
                code="e",
                kind="short_text",
                text="x",
                order=30,
                condition_question=text,
                condition_value="hi",
            ),
            [],
            "condition_question",
        ),
        (
            Question(
                question_set=question_set,
                code="f",
                kind="short_text",
                text="x",
                order=30,
                condition_question=first,
                condition_value="7",
            ),
            [],
            "condition_value",
        ),
        (
            Question(
                question_set=question_set,
                code="g",
                kind="short_text",
                text="x",
                order=5,
                condition_question=first,
                condition_value="4",
            ),
            [],
            "condition_question",
        ),
        (Question(question_set=question_set, code="first", kind="short_text", text="x", order=30), [], "code"),
    ]
    for question, choices, field in cases:
        with pytest.raises(ValidationError) as exc:
            question_validate(question=question, choices=choices)
        assert field in exc.value.message_dict, (question.code, exc.value.message_dict)
    ok = Question(
        question_set=question_set,
        code="h",
        kind="short_text",
        text="x",
        order=30,
        condition_question=first,
        condition_value="4",
    )
    question_validate(question=ok, choices=[])


def test_question_set_default_has_every_kind_and_a_condition():
    question_set = question_set_default()
    kinds = set(question_set.questions.values_list("kind", flat=True))
    assert kinds == set(Question.Kind.values)
    assert question_set.questions.filter(condition_question__isnull=False).count() == 1


# --- copy-on-write ----------------------------------------------------------------------------


def test_question_update_copies_an_answered_set_and_keeps_old_answers(open_survey, linked, staff_user):
    invitation, token = linked[0]
    response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)
    old_set = open_survey.question_set
    usefulness = old_set.questions.get(code="usefulness")
    updated = question_update(
        question=usefulness, user=staff_user, kind="likert5", text="Changed wording", code="usefulness"
    )
    assert updated.question_set_id != old_set.pk
    assert updated.question_set.version == old_set.version + 1
    old_set.refresh_from_db()
    assert not old_set.is_current
    assert old_set.questions.get(code="usefulness").text == "The module was useful for my work."
    open_survey.refresh_from_db()
    assert open_survey.question_set_id == old_set.pk  # answered survey keeps its version
    assert Answer.objects.filter(question=usefulness).count() == 1


def test_question_create_in_unanswered_set_changes_it_in_place(staff_user):
    question_set = question_set_default()
    question = question_create(
        question_set=question_set, user=staff_user, kind="short_text", text="Your team?", code="team"
    )
    assert question.question_set_id == question_set.pk
    assert QuestionSet.objects.filter(slug=question_set.slug).count() == 1


# --- opening and invitations ------------------------------------------------------------------


def test_survey_open_for_module_opens_and_invites_active_participants_once(module, participants):
    MembershipFactory(cohort=module.cohort, role=Membership.Role.FACILITATOR)
    withdrawn = MembershipFactory(cohort=module.cohort)
    withdrawn.status, withdrawn.withdrawn_on = Membership.Status.WITHDRAWN, datetime.date(2026, 2, 1)
    withdrawn.save()
    before = timezone.now()
    survey = survey_open_for_module(module=module)
    again = survey_open_for_module(module=module)
    assert again.pk == survey.pk
    assert survey.status == Survey.Status.OPEN
    assert survey.closes_at - survey.opens_at == datetime.timedelta(days=7)
    assert survey.opens_at >= before
    assert set(survey.invitations.values_list("membership_id", flat=True)) == {m.pk for m in participants}
    assert all(i.status == Invitation.Status.QUEUED for i in survey.invitations.all())


def test_survey_open_for_module_present_only_audience(cohort, module, participants):
    Cohort.objects.filter(pk=cohort.pk).update(survey_audience=Cohort.SurveyAudience.PRESENT_ONLY)
    AttendanceFactory(module=module, membership=participants[0], status=Attendance.Status.PRESENT)
    AttendanceFactory(module=module, membership=participants[1], status=Attendance.Status.ABSENT)
    survey = survey_open_for_module(module=module)
    assert list(survey.invitations.values_list("membership_id", flat=True)) == [participants[0].pk]


def test_survey_open_for_module_inside_outer_transaction_rolls_back(module, participants):
    def open_then_fail():
        with transaction.atomic():
            survey_open_for_module(module=module)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        open_then_fail()
    assert not Survey.objects.exists()
    assert not Invitation.objects.exists()


# --- tokens -----------------------------------------------------------------------------------


def test_invitation_issue_token_has_enough_entropy_and_stores_only_hash(linked):
    invitation, token = linked[0]
    assert TOKEN_BYTES * 8 >= 128
    assert len(token) >= math.ceil(128 / 6)  # base64url: 6 bits a character
    assert list(invitation.links.values_list("token_hash", flat=True)) == [token_hash(token)]
    with connection.cursor() as cursor:
        for table in ("surveys_invitation", "surveys_invitationlink"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name
            assert not any(token in str(value) for row in cursor.fetchall() for value in row)
    assert len({t for _i, t in linked}) == len(linked)


def test_invitation_for_token_keeps_earlier_links_and_refuses_closed_and_unknown(open_survey, linked):
    invitation, token = linked[0]
    assert invitation_for_token(token=token) == invitation
    new = invitation_issue_token(invitation=invitation)
    assert invitation_for_token(token=token) == invitation
    assert invitation_for_token(token=new) == invitation
    assert invitation_for_token(token="nonsense") is None
    survey_close(survey=open_survey)
    assert invitation_for_token(token=new) is None


# --- responses --------------------------------------------------------------------------------


def test_response_submit_twice_updates_the_same_response(open_survey, linked):
    invitation, token = linked[0]
    first = response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)
    second = response_submit(invitation=invitation, token=token, raw_answers={**ANSWERS, "usefulness": "2"})
    assert first.pk == second.pk
    assert Response.objects.count() == 1
    assert Answer.objects.get(response=first, question__code="usefulness").number == 2
    invitation.refresh_from_db()
    assert invitation.responded_at is not None


def test_response_rows_hold_every_kind_of_answer_with_its_choices_then_and_consent(open_survey, linked):
    """The submit writes answers, their choices and the invitation's mark in one statement on
    PostgreSQL (``surveys.compiled.answers_insert_sql``) and with the ORM elsewhere: the same rows."""
    question_set = open_survey.question_set
    several = QuestionFactory(question_set=question_set, code="several", kind="multiple_choice", order=90)
    labels = [ChoiceFactory(question=several, label=label, order=n).label for n, label in enumerate("ABC")]
    QuestionFactory(question_set=question_set, code="before", kind="likert5", asks_then=True, order=91)
    QuestionFactory(question_set=question_set, code="story", kind="long_text", order=92)
    question_set.save()  # a new version: the cached structure is read again
    open_survey.refresh_from_db()
    invitation, token = linked[0]
    raw = {
        **ANSWERS,
        "several": [labels[2], labels[0]],
        "before": "4",
        "before__then": "2",
        "story": "It changed how I run huddles.",
        "story__consent": Answer.QuoteConsent.ANONYMOUS,
    }
    response = response_submit(invitation=invitation, token=token, raw_answers=raw)

    answers = {a.question.code: a for a in Answer.objects.filter(response=response).prefetch_related("choices")}
    assert set(answers) == {*ANSWERS, "several", "before", "story"}
    assert sorted(c.label for c in answers["several"].choices.all()) == ["A", "C"]
    assert [c.label for c in answers["pace"].choices.all()] == ["About right"]
    assert (answers["before"].number, answers["before"].then_number) == (4, 2)
    assert (answers["story"].text, answers["story"].quote_consent) == ("It changed how I run huddles.", "anonymous")
    assert answers["usefulness"].number == 4
    assert (answers["usefulness"].text, answers["usefulness"].then_number) == ("", None)
    assert answers["usefulness"].quote_consent == Answer.QuoteConsent.NONE
    assert not answers["usefulness"].choices.exists()
    invitation.refresh_from_db()
    assert invitation.responded_at == response.submitted_at
    # The mark does not touch the invitation's own updated_at (it would date the answer exactly).
    assert invitation.updated_at < response.submitted_at


def test_a_response_with_no_answers_still_marks_its_invitation_answered(open_survey, linked):
    """Every question optional and none answered: no answer rows, the invitation marked all the same
    (on PostgreSQL the write is then the UPDATE alone)."""
    open_survey.question_set.questions.update(required=False)
    open_survey.question_set.save()  # a new version: the cached structure is read again
    open_survey.refresh_from_db()
    invitation, token = linked[0]

    response = response_submit(invitation=invitation, token=token, raw_answers={})

    assert not Answer.objects.filter(response=response).exists()
    invitation.refresh_from_db()
    assert invitation.responded_at == response.submitted_at


def test_a_response_already_there_for_an_unmarked_invitation_is_updated_not_duplicated(open_survey, linked):
    """On a unique key already holding the respondent, the new response's INSERT writes nothing and
    the transaction goes on with the response that is there (no error, nothing lost)."""
    invitation, token = linked[0]
    first = response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)
    Invitation.objects.filter(pk=invitation.pk).update(responded_at=None)
    invitation.refresh_from_db()

    second = response_submit(invitation=invitation, token=token, raw_answers={**ANSWERS, "usefulness": "1"})

    assert second.pk == first.pk
    assert Response.objects.filter(survey=open_survey).count() == 1
    assert Answer.objects.get(response=first, question__code="usefulness").number == 1
    assert Answer.objects.filter(response=first).count() == len(ANSWERS)
    invitation.refresh_from_db()
    assert invitation.responded_at is not None


def test_response_submit_after_close_is_refused(open_survey, linked):
    invitation, token = linked[0]
    response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)
    with pytest.raises(ValidationError):
        response_submit(
            invitation=invitation, token=token, raw_answers=ANSWERS, now=open_survey.closes_at + datetime.timedelta(1)
        )
    survey_close(survey=open_survey)
    with pytest.raises(ValidationError):
        response_submit(invitation=invitation, token=token, raw_answers={**ANSWERS, "usefulness": "1"})
    assert Answer.objects.get(question__code="usefulness").number == 4


def test_response_submit_invalid_answers_change_nothing(open_survey, linked):
    invitation, token = linked[0]
    with pytest.raises(ValidationError) as exc:
        response_submit(invitation=invitation, token=token, raw_answers={**ANSWERS, "usefulness": "9"})
    assert "usefulness" in exc.value.message_dict
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.responded_at is None


def _survey_with_privacy(open_survey, privacy):
    survey_update(
        survey=open_survey,
        question_set=open_survey.question_set,
        privacy=privacy,
        closes_at=open_survey.closes_at,
        reminder_after_days=3,
        max_reminders=2,
    )


def _anonymous_answer_given(open_survey, linked):
    """The survey made anonymous and the first invitation's answer submitted: from now on, final."""
    _survey_with_privacy(open_survey, Survey.Privacy.ANONYMOUS)
    invitation, token = linked[0]
    response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)
    invitation.refresh_from_db()
    return invitation


def test_response_named_links_membership(open_survey, linked):
    _survey_with_privacy(open_survey, Survey.Privacy.NAMED)
    invitation, token = linked[0]
    response = response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)
    assert response.membership_id == invitation.membership_id
    assert response.pseudonym == ""
    assert response.edit_key is None


def test_response_pseudonymous_stores_stable_pseudonym_not_membership(cohort, open_survey, linked):
    invitation, token = linked[0]
    response = response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)
    assert response.membership_id is None
    assert response.edit_key is None
    other_module = ModuleFactory(cohort=cohort, number=2)
    survey2 = survey_open_for_module(module=other_module)
    invitation2 = survey2.invitations.get(membership=invitation.membership)
    response2 = response_submit(
        invitation=invitation2, token=invitation_issue_token(invitation=invitation2), raw_answers=ANSWERS
    )
    assert response2.pseudonym == response.pseudonym != ""
    assert len(response.pseudonym) == 64  # an HMAC, not the id


def test_response_anonymous_rows_hold_no_link_to_person_or_invitation(open_survey, linked):
    _survey_with_privacy(open_survey, Survey.Privacy.ANONYMOUS)
    invitation, token = linked[0]
    response_submit(invitation=invitation, token=token, raw_answers={**ANSWERS, "went_well": "The GROW model"})
    response_submit(invitation=invitation, token=token, raw_answers={**ANSWERS, "usefulness": "5"})
    invitation.refresh_from_db()
    assert invitation.responded_at is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM surveys_response")
        columns = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
    assert len(rows) == 1
    row = dict(zip(columns, rows[0], strict=True))
    assert row["membership_id"] is None
    assert row["pseudonym"] == ""
    assert row["profession"] == ""
    identifying = {*invitation.links.values_list("token_hash", flat=True), invitation.membership.person.email, token}
    assert not any(value in identifying for value in row.values() if isinstance(value, str))
    assert not {c for c in columns if "invitation" in c}
    # Times are kept to the day, so they cannot be matched to the moment the invitation responded.
    submitted = timezone.localtime(Response.objects.get().submitted_at)
    assert (submitted.hour, submitted.minute, submitted.second) == (0, 0, 0)


def test_response_submit_refuses_another_invitations_link(open_survey, linked):
    (invitation, _token), (_other, others_token) = linked[0], linked[1]
    with pytest.raises(ValidationError) as exc:
        response_submit(invitation=invitation, token=others_token, raw_answers=ANSWERS)
    assert exc.value.code == "invalid_link"
    assert not Response.objects.exists()


def test_response_anonymous_with_another_link_cannot_answer_twice(open_survey, linked):
    invitation = _anonymous_answer_given(open_survey, linked)
    new = invitation_issue_token(invitation=invitation)
    with pytest.raises(ResponseLockedError):
        response_submit(invitation=invitation, token=new, raw_answers=ANSWERS)
    assert Response.objects.count() == 1


def test_survey_update_refuses_privacy_change_after_responses(open_survey, linked):
    invitation, token = linked[0]
    response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)
    with pytest.raises(ValidationError) as exc:
        _survey_with_privacy(open_survey, Survey.Privacy.NAMED)
    assert "privacy" in exc.value.message_dict
    open_survey.refresh_from_db()
    assert open_survey.privacy == Survey.Privacy.PSEUDONYMOUS


def _checked(invitation):
    """What the answering form hands to response_save: the survey's questions and ANSWERS, checked once."""
    questions = survey_questions(invitation.survey)
    return questions, answers_clean(questions=questions, raw=ANSWERS)


def test_response_save_stores_answers_the_form_checked(open_survey, linked):
    invitation, token = linked[0]
    questions, answers = _checked(invitation)

    response = response_save(invitation=invitation, token=token, questions=questions, answers=answers)

    assert {a.question.code: a.number for a in response.answers.filter(number__isnull=False)} == {
        "usefulness": 4,
        "confidence": 3,
        "recommend": 9,
    }
    invitation.refresh_from_db()
    assert invitation.has_responded


def test_response_save_refuses_answers_to_a_question_set_switched_meanwhile(open_survey, linked):
    invitation, token = linked[0]
    questions, answers = _checked(invitation)
    other = question_set_copy(question_set=open_survey.question_set, name="Switched", cohort=open_survey.module.cohort)
    Survey.objects.filter(pk=open_survey.pk).update(question_set=other)

    with pytest.raises(ValidationError) as exc:
        response_save(invitation=invitation, token=token, questions=questions, answers=answers)

    assert exc.value.code == "questions_changed"
    assert not Response.objects.exists()


def test_response_save_rechecks_the_link_and_the_window_under_the_lock(open_survey, linked):
    (invitation, token), (_other, others_token) = linked[0], linked[1]
    questions, answers = _checked(invitation)

    with pytest.raises(ValidationError) as wrong_link:
        response_save(invitation=invitation, token=others_token, questions=questions, answers=answers)
    survey_close(survey=open_survey)
    with pytest.raises(ValidationError) as closed:
        response_save(invitation=invitation, token=token, questions=questions, answers=answers)

    assert (wrong_link.value.code, closed.value.code) == ("invalid_link", "invalid_link")
    assert not Response.objects.exists()


def test_response_save_keeps_an_anonymous_answer_final(open_survey, linked):
    invitation = _anonymous_answer_given(open_survey, linked)
    questions, answers = _checked(invitation)

    with pytest.raises(ResponseLockedError):
        response_save(
            invitation=invitation,
            token=invitation_issue_token(invitation=invitation),
            questions=questions,
            answers=answers,
        )

    assert Response.objects.count() == 1
