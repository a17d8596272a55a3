"""Consented quotes: only consented sources can be listed or chosen, withdrawal takes a quote out of
every selection, attribution follows the consent and what the source may reveal."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.factories import MembershipFactory, PersonFactory, UserFactory
from evaluation import quote_services
from evaluation.models import QuoteSelection
from evaluation.quote_selectors import (
    _COHORT_MOMENTS,
    _answers,
    _cohort_answers,
    _cohort_moments,
    _moment,
    quote_attribution,
    quote_board,
    quote_counts,
    quotes_of_user,
    quotes_selected,
)
from evaluation.tests.factories import PracticeMomentFactory
from surveys.models import Answer, Question, Response, Survey
from surveys.tests.factories import CohortSurveyFactory, QuestionFactory
from surveys.tokens import pseudonym_for

pytestmark = pytest.mark.django_db
C = Answer.QuoteConsent


def text_answer(survey, membership, text, consent, *, named=True):
    question = survey.question_set.questions.filter(kind=Question.Kind.LONG_TEXT).first() or QuestionFactory(
        question_set=survey.question_set, kind=Question.Kind.LONG_TEXT, code="went-well"
    )
    now = timezone.now()
    key = {"membership": membership} if named else {"pseudonym": pseudonym_for(membership.pk)}
    response = Response.objects.create(survey=survey, profession="nurse", submitted_at=now, updated_at=now, **key)
    return Answer.objects.create(response=response, question=question, text=text, quote_consent=consent)


@pytest.fixture
def named_survey(cohort):
    return CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.EVALUATION, privacy=Survey.Privacy.NAMED)


@pytest.fixture
def member(cohort):
    return MembershipFactory(
        cohort=cohort, person__user=UserFactory(), person__full_name="Priya Shah", person__job_title="Ward Manager"
    )


def board_url(cohort):
    return reverse("evaluation:quote_list", kwargs={"cohort_pk": cohort.pk})


def test_unconsented_answer_cannot_be_selected_or_seen(cohort, named_survey, member, facilitator_client):
    secret = text_answer(named_survey, member, "Private words nobody may quote", C.NONE)
    shared = text_answer(named_survey, MembershipFactory(cohort=cohort), "GROW changed my supervisions", C.ROLE)
    with pytest.raises(ValidationError):
        quote_services.quote_select(cohort=cohort, key=f"answer-{secret.pk}")
    assert not QuoteSelection.objects.exists()
    response = facilitator_client.post(
        reverse("evaluation:quote_select", kwargs={"cohort_pk": cohort.pk}), {"source": f"answer-{secret.pk}"}
    )
    assert response.status_code == 400
    assert not QuoteSelection.objects.exists()
    html = facilitator_client.get(board_url(cohort)).content.decode()
    assert "Private words nobody may quote" not in html
    assert "GROW changed my supervisions" in html
    response = facilitator_client.post(
        reverse("evaluation:quote_select", kwargs={"cohort_pk": cohort.pk}), {"source": f"answer-{shared.pk}"}
    )
    assert response.status_code == 302
    assert QuoteSelection.objects.get().answer == shared


def test_another_cohorts_quote_cannot_be_selected(cohort, member):
    other = CohortSurveyFactory(kind=Survey.Kind.EVALUATION, privacy=Survey.Privacy.NAMED)
    foreign = text_answer(other, MembershipFactory(cohort=other.cohort), "Elsewhere", C.ANONYMOUS)
    with pytest.raises(ValidationError):
        quote_services.quote_select(cohort=cohort, key=f"answer-{foreign.pk}")


def test_open_pseudonymous_survey_text_is_not_listed_until_closed(cohort, member):
    survey = CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.EVALUATION, privacy=Survey.Privacy.PSEUDONYMOUS)
    answers = [
        text_answer(survey, MembershipFactory(cohort=cohort), f"Said {i}", C.ANONYMOUS, named=False) for i in range(3)
    ]
    assert quote_board(cohort=cohort).available == []
    with pytest.raises(ValidationError):
        quote_services.quote_select(cohort=cohort, key=f"answer-{answers[0].pk}")
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.CLOSED, closed_at=timezone.now())
    assert len(quote_board(cohort=cohort).available) == 3


def test_withdrawal_removes_the_quote_from_the_selection(cohort, named_survey, member, client):
    answer = text_answer(named_survey, member, "The team now runs its own huddle", C.NAME_AND_ROLE)
    quote_services.quote_select(cohort=cohort, key=f"answer-{answer.pk}")
    assert [q.key for q in quote_board(cohort=cohort).selected] == [f"answer-{answer.pk}"]
    client.force_login(member.person.user)
    page = client.get(reverse("accounts:my_quotes")).content.decode()
    assert "The team now runs its own huddle" in page
    response = client.post(reverse("accounts:quote_consent_withdraw"), {"source": f"answer-{answer.pk}"})
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.quote_consent == C.NONE
    assert not QuoteSelection.objects.exists()
    assert quote_board(cohort=cohort).selected == []
    assert "The team now runs its own huddle" not in client.get(reverse("accounts:my_quotes")).content.decode()


def test_a_selection_whose_consent_changed_to_none_is_not_listed(cohort, named_survey, member):
    answer = text_answer(named_survey, member, "Words", C.ROLE)
    quote_services.quote_select(cohort=cohort, key=f"answer-{answer.pk}")
    Answer.objects.filter(pk=answer.pk).update(quote_consent=C.NONE)
    board = quote_board(cohort=cohort)
    assert board.selected == []
    assert board.available == []


def test_participant_cannot_withdraw_someone_elses_consent(cohort, named_survey, member, client):
    answer = text_answer(named_survey, MembershipFactory(cohort=cohort), "Not mine", C.ROLE)
    client.force_login(member.person.user)
    response = client.post(reverse("accounts:quote_consent_withdraw"), {"source": f"answer-{answer.pk}"})
    assert response.status_code == 400
    answer.refresh_from_db()
    assert answer.quote_consent == C.ROLE


def test_participant_lists_own_named_and_pseudonymous_answers_and_reflections(cohort, named_survey, member):
    pseudonymous = CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.SELF_POST, privacy=Survey.Privacy.PSEUDONYMOUS)
    text_answer(named_survey, member, "Named words", C.ROLE)
    text_answer(pseudonymous, member, "Pseudonymous words", C.ANONYMOUS, named=False)
    text_answer(pseudonymous, MembershipFactory(cohort=cohort), "Someone else's", C.ANONYMOUS, named=False)
    PracticeMomentFactory(membership=member, reflection="A reflection", shared_with_set=True, quote_consent=C.ROLE)
    texts = sorted(q.text for q in quotes_of_user(user=member.person.user))
    assert texts == ["A reflection", "Named words", "Pseudonymous words"]


def test_moment_consent_is_none_unless_shared(cohort, member):
    from evaluation import services

    the_moment = {"membership": member, "date": cohort.start_date, "method": "grow", "with_whom": "team"}
    moment = services.practice_moment_create(
        cohort=cohort, **the_moment, reflection="Private", shared_with_set=False, quote_consent=C.NAME_AND_ROLE
    )
    assert moment.quote_consent == C.NONE

    def share(shared_with_set):
        services.practice_moment_update(
            moment=moment, **the_moment, reflection="Shared now", shared_with_set=shared_with_set, quote_consent=C.ROLE
        )

    share(True)
    quote_services.quote_select(cohort=cohort, key=f"moment-{moment.pk}")
    share(False)
    moment.refresh_from_db()
    assert moment.quote_consent == C.NONE
    assert not QuoteSelection.objects.exists()


@pytest.mark.parametrize(
    ("consent", "privacy", "expected"),
    [
        (C.NAME_AND_ROLE, Survey.Privacy.NAMED, "Priya Shah, Ward Manager"),
        (C.ROLE, Survey.Privacy.NAMED, "Ward Manager"),
        (C.ANONYMOUS, Survey.Privacy.NAMED, "A participant"),
        # A name beside a pseudonymous answer would unmask the pseudonym: role (profession) only.
        (C.NAME_AND_ROLE, Survey.Privacy.PSEUDONYMOUS, "Nursing"),
        (C.ROLE, Survey.Privacy.PSEUDONYMOUS, "Nursing"),
        (C.ROLE, Survey.Privacy.ANONYMOUS, "A participant"),
        (C.NAME_AND_ROLE, Survey.Privacy.ANONYMOUS, "A participant"),
    ],
)
def test_attribution_by_consent_and_privacy(consent, privacy, expected):
    person = PersonFactory.build(full_name="Priya Shah", job_title="Ward Manager")
    named = privacy == Survey.Privacy.NAMED
    result = quote_attribution(consent=consent, privacy=privacy, person=person if named else None, profession="nurse")
    assert result == expected


def test_quote_page_shows_the_chosen_attribution_and_orders(cohort, named_survey, member, facilitator_client):
    first = text_answer(named_survey, member, "First words", C.NAME_AND_ROLE)
    second = text_answer(named_survey, MembershipFactory(cohort=cohort), "Second words", C.ANONYMOUS)
    for answer in (first, second):
        quote_services.quote_select(cohort=cohort, key=f"answer-{answer.pk}")
    html = facilitator_client.get(board_url(cohort)).content.decode()
    assert "Priya Shah, Ward Manager" in html
    assert "A participant" in html
    facilitator_client.post(
        reverse("evaluation:quote_move", kwargs={"cohort_pk": cohort.pk}),
        {"source": f"answer-{second.pk}", "direction": "up"},
    )
    assert [q.text for q in quote_board(cohort=cohort).selected] == ["Second words", "First words"]
    facilitator_client.post(
        reverse("evaluation:quote_deselect", kwargs={"cohort_pk": cohort.pk}), {"source": f"answer-{first.pk}"}
    )
    assert [q.text for q in quote_board(cohort=cohort).selected] == ["Second words"]


def test_the_quote_board_query_count_does_not_grow_with_the_quotes(cohort, named_survey, facilitator_client):
    """The board lists every consented quote with its attribution and the chosen ones in order, in
    the same number of queries for 3 quotes (2 chosen) as for 30 (20 chosen)."""
    counts = []
    for size in (3, 30):
        answers = [
            text_answer(named_survey, MembershipFactory(cohort=cohort), f"Quote {size}-{i}", C.NAME_AND_ROLE)
            for i in range(size)
        ]
        QuoteSelection.objects.filter(cohort=cohort).delete()
        for order, answer in enumerate(answers[: size * 2 // 3]):
            QuoteSelection.objects.create(cohort=cohort, answer=answer, order=order)
        with CaptureQueriesContext(connection) as context:
            response = facilitator_client.get(board_url(cohort))
        assert response.status_code == 200
        assert f"Quote {size}-0" in response.content.decode()
        counts.append(len(context.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_reports_selected_quotes_are_the_boards_in_one_query(
    cohort, named_survey, member, django_assert_num_queries
):
    """The report reads only the chosen sources, by the board's rules: a withdrawn consent and a
    non-named survey open again are left out, the rest keep their order and attribution."""
    pseudonymous = CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.FOLLOW_UP, privacy=Survey.Privacy.PSEUDONYMOUS)
    Survey.objects.filter(pk=pseudonymous.pk).update(status=Survey.Status.CLOSED, closed_at=timezone.now())
    others = [MembershipFactory(cohort=cohort) for _i in range(3)]
    named = text_answer(named_survey, member, "Named words", C.NAME_AND_ROLE)
    withdrawn = text_answer(named_survey, others[0], "Withdrawn later", C.ROLE)
    hidden = [text_answer(pseudonymous, m, f"Pseudonymous {i}", C.ROLE, named=False) for i, m in enumerate(others)]
    moment = PracticeMomentFactory(
        membership=member, reflection="A reflection", shared_with_set=True, quote_consent=C.ROLE
    )
    keys = [f"answer-{named.pk}", f"moment-{moment.pk}", f"answer-{withdrawn.pk}", f"answer-{hidden[0].pk}"]
    for key in keys:
        quote_services.quote_select(cohort=cohort, key=key)
    Answer.objects.filter(pk=withdrawn.pk).update(quote_consent=C.NONE)
    Survey.objects.filter(pk=pseudonymous.pk).update(status=Survey.Status.OPEN, closed_at=None)
    counts = {s.pk: s.responses.count() for s in Survey.objects.filter(cohort=cohort)}

    with django_assert_num_queries(1):
        selected = quotes_selected(cohort=cohort, response_counts=counts)

    board = quote_board(cohort=cohort).selected
    assert [q.key for q in selected] == [q.key for q in board] == keys[:2]
    assert [(q.text, q.source, q.attribution, q.consent) for q in selected] == [
        (q.text, q.source, q.attribution, q.consent) for q in board
    ]
    assert selected[0].attribution == "Priya Shah, Ward Manager"
    assert selected[0].selection.answer.response.membership_id == member.pk


def test_quote_counts_are_the_boards_by_the_same_rules(cohort, named_survey, member):
    """The overview counts what the board lists: not a withdrawn consent, an open pseudonymous survey's
    answers, another cohort's, a moment without consent; a selection counts once, as chosen."""
    pseudonymous = CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.FOLLOW_UP, privacy=Survey.Privacy.PSEUDONYMOUS)
    others = [MembershipFactory(cohort=cohort) for _i in range(3)]
    named = text_answer(named_survey, member, "Named words", C.NAME_AND_ROLE)
    text_answer(named_survey, others[0], "More words", C.ROLE)
    withdrawn = text_answer(named_survey, others[1], "Withdrawn later", C.ROLE)
    [text_answer(pseudonymous, m, f"Pseudonymous {i}", C.ROLE, named=False) for i, m in enumerate(others)]
    other = CohortSurveyFactory(kind=Survey.Kind.EVALUATION, privacy=Survey.Privacy.NAMED)
    text_answer(other, MembershipFactory(cohort=other.cohort), "Elsewhere", C.ANONYMOUS)
    moment = PracticeMomentFactory(
        membership=member, reflection="A reflection", shared_with_set=True, quote_consent=C.ROLE
    )
    PracticeMomentFactory(membership=member, reflection="Not consented", shared_with_set=True, quote_consent=C.NONE)
    for key in (f"answer-{named.pk}", f"moment-{moment.pk}", f"answer-{withdrawn.pk}"):
        quote_services.quote_select(cohort=cohort, key=key)
    Answer.objects.filter(pk=withdrawn.pk).update(quote_consent=C.NONE)

    board = quote_board(cohort=cohort)
    assert quote_counts(cohort=cohort) == (len(board.selected), len(board.available)) == (2, 1)

    Survey.objects.filter(pk=pseudonymous.pk).update(status=Survey.Status.CLOSED, closed_at=timezone.now())
    board = quote_board(cohort=cohort)
    assert quote_counts(cohort=cohort) == (len(board.selected), len(board.available)) == (2, 4)


def test_the_quote_board_read_through_compiled_statements_is_the_querysets(cohort, named_survey, member):
    """quote_board reads its answers, moments and selections through statements compiled once per
    process; they load what the querysets' select_related loaded, with the same rules."""

    pseudonymous = CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.FOLLOW_UP, privacy=Survey.Privacy.PSEUDONYMOUS)
    Survey.objects.filter(pk=pseudonymous.pk).update(status=Survey.Status.CLOSED, closed_at=timezone.now())
    others = [MembershipFactory(cohort=cohort) for _i in range(3)]
    text_answer(named_survey, member, "Named words", C.NAME_AND_ROLE)
    text_answer(named_survey, others[0], "Role words", C.ROLE)
    text_answer(named_survey, others[1], "Not to quote", C.NONE)
    for i, m in enumerate(others):
        text_answer(pseudonymous, m, f"Pseudonymous {i}", C.ROLE, named=False)
    still_open = CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.SELF_POST, privacy=Survey.Privacy.PSEUDONYMOUS)
    text_answer(still_open, others[2], "Not yet", C.ROLE, named=False)
    shared = PracticeMomentFactory(
        membership=member, reflection="A reflection", shared_with_set=True, quote_consent=C.ROLE
    )
    PracticeMomentFactory(membership=others[0], reflection="Kept", shared_with_set=True, quote_consent=C.NONE)
    quote_services.quote_select(cohort=cohort, key=f"moment-{shared.pk}")

    expected = [
        a
        for a in _answers().filter(response__survey__cohort=cohort).order_by("response__survey_id", "question__order")
        if a.response.survey_id != still_open.pk
    ]
    answers = _cohort_answers(cohort)

    def shown(a):
        membership = a.response.membership
        return (
            a.pk,
            a.text,
            a.quote_consent,
            a.question.text,
            a.response.profession,
            a.response.survey.title,
            a.response.survey.privacy,
            a.response.survey.module_id,
            membership and (membership.person.full_name, membership.person.job_title),
        )

    assert sorted(map(shown, answers)) == sorted(map(shown, expected))
    assert len(answers) == 5
    moments = [_moment(row) for row in _COHORT_MOMENTS.fetchall(cohort_pk=cohort.pk)]
    assert [(m.pk, m.membership.person.full_name) for m in moments] == [
        (m.pk, m.membership.person.full_name) for m in _cohort_moments(cohort)
    ]
    board = quote_board(cohort=cohort)
    assert [q.text for q in board.selected] == ["A reflection"]
    assert board.selected[0].selection == QuoteSelection.objects.get()
    assert sorted(q.text for q in board.available) == [
        "Named words",
        "Pseudonymous 0",
        "Pseudonymous 1",
        "Pseudonymous 2",
        "Role words",
    ]
    assert next(q for q in board.available if q.text == "Named words").attribution == "Priya Shah, Ward Manager"
