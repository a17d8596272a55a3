"""The answering journey made cheap (issue 14) without changing what a participant gets: the option
inputs written without Django's widget templates, the short confirmation page, the query counts."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from common import drawn
from surveys.forms import SurveyAnswerForm
from surveys.models import Question, Response, Survey
from surveys.services import survey_questions
from surveys.templatetags.answering import option_input
from surveys.tests.factories import ANSWERS

FORM_URL = "/s/answer/"


def _form_data(**changes):
    data = {f"q_{code}": value for code, value in ANSWERS.items()}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _choice_fields(form):
    return [form[name] for name, field in form.fields.items() if hasattr(field, "choices")]


@pytest.mark.parametrize("privacy", [Survey.Privacy.NAMED, Survey.Privacy.ANONYMOUS])
@pytest.mark.parametrize("bound", ["unbound", "initial", "with-errors"])
def test_option_inputs_are_what_djangos_widget_templates_write(open_survey, privacy, bound):
    open_survey.privacy = privacy
    questions = survey_questions(open_survey)
    kwargs = {"questions": questions, "consent_levels": open_survey.quote_consent_levels}
    if bound == "unbound":
        form = SurveyAnswerForm(**kwargs)
    elif bound == "initial":
        initial = {f"q_{q.code}": ANSWERS[q.code] for q in questions if q.code in ANSWERS}
        form = SurveyAnswerForm(initial=initial, **kwargs)
    else:
        form = SurveyAnswerForm(data=_form_data(q_usefulness="", q_pace="Not an option"), **kwargs)
        assert not form.is_valid()
    fields = _choice_fields(form)
    assert any(field.errors for field in fields) == (bound == "with-errors")
    options = [option for field in fields for option in field]
    assert len(options) > 30
    checked = sum(bool(option.data["attrs"].get("checked")) for option in options)
    consents = sum(1 for name in form.fields if name.endswith("__consent"))  # "no" is checked at first
    # Bound: what was sent (confidence and recommend; usefulness empty, pace invalid).
    assert checked == {"unbound": consents, "initial": consents + len(ANSWERS), "with-errors": 2}[bound]
    for option in options:
        assert option_input(option) == option.tag()


def test_option_inputs_of_a_then_rating_match_too(db):
    question = Question(pk=10_001, code="now", kind=Question.Kind.LIKERT5, text="Now?", asks_then=True)
    form = SurveyAnswerForm(data={"q_now": "4", "q_now__then": "2"}, questions=[question])
    assert form.is_valid()
    options = [option for field in _choice_fields(form) for option in field]
    assert len(options) == 10
    assert sum(bool(option.data["attrs"].get("checked")) for option in options) == 2
    for option in options:
        assert option_input(option) == option.tag()


def _linked_client(token) -> Client:
    """A browser that opened the link: the answering page, and the token in its cookie."""
    client = Client()
    assert client.get(reverse("surveys:answer_start", kwargs={"token": token})).status_code == 200
    return client


def test_the_confirmation_is_a_short_page_of_its_own(linked):
    _invitation, token = linked[0]
    client = _linked_client(token)

    page = client.post(FORM_URL, _form_data())

    assert page.status_code == 200  # the POST's own answer, no redirect
    assert page["Referrer-Policy"] == "same-origin"  # no secret in its address (the answer pages)
    assert "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert "Thank you – your answers are saved" in html
    assert 'id="saved-message"' in html
    assert "data-focus-on-load" in html
    assert f'href="{FORM_URL}"' in html  # back to the answers, to change them
    assert 'name="q_usefulness"' not in html  # not the whole form again
    # The link back shows the saved answers, ready to change.
    again = client.get(FORM_URL).content.decode()
    assert "You have answered already" in again
    assert 'value="4" class="form-check-input" id="id_q_usefulness_3" checked' in again


def test_saved_before_answering_shows_the_form(linked):
    client = _linked_client(linked[0][1])
    html = client.get(f"{FORM_URL}?saved=1").content.decode()
    assert "answers are saved" not in html
    assert 'name="q_usefulness"' in html


def test_saved_in_the_address_has_no_meaning_after_answering_either(linked):
    """The thank-you page is only ever a POST's answer: an old ``?saved=1`` address shows the form
    with the saved answers."""
    client = _linked_client(linked[0][1])
    assert client.post(FORM_URL, _form_data()).status_code == 200

    html = client.get(f"{FORM_URL}?saved=1").content.decode()

    assert "answers are saved" not in html
    assert "You have answered already" in html
    assert 'value="4" class="form-check-input" id="id_q_usefulness_3" checked' in html


def test_an_anonymous_answer_through_another_link_is_the_already_answered_page(open_survey, linked):
    from surveys.services import invitation_issue_token

    open_survey.privacy = Survey.Privacy.ANONYMOUS
    open_survey.save(update_fields=["privacy"])
    invitation, token = linked[0]
    client = _linked_client(token)
    assert "answers are saved" in client.post(FORM_URL, _form_data()).content.decode()

    other_token = invitation_issue_token(invitation=invitation)
    other = Client()
    # Neither the other link itself, nor the answering page or an old thank-you address it leads to,
    # nor a post through it thanks anyone for answers: they are the first link's.
    pages = [
        other.get(reverse("surveys:answer_start", kwargs={"token": other_token})),
        other.get(FORM_URL),
        other.get(f"{FORM_URL}?saved=1"),
        other.post(FORM_URL, _form_data(q_usefulness="1")),
    ]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "answers are saved" not in html
        assert "Thank you, you have already answered" in html
        assert 'name="q_usefulness"' not in html
    assert Response.objects.get().answers.get(question__code="usefulness").number == 4


def _statements(captured) -> list[str]:
    """The SQL a step ran, without the savepoints of the test's transaction (ATOMIC_REQUESTS)."""
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_each_step_of_the_journey_costs_a_few_queries_and_writes_no_session(linked):
    """Link (the form itself), then the POST (answered with the thank-you page), and a later visit to
    change the answers: the question set is cached after the first journey, so the counts below are
    those of every later participant; none of them touches the session table."""
    _linked_client(linked[0][1]).get(FORM_URL)  # warm the structure
    client = Client()
    steps = {}
    with CaptureQueriesContext(connection) as steps["link"]:
        assert client.get(reverse("surveys:answer_start", kwargs={"token": linked[1][1]})).status_code == 200
    with CaptureQueriesContext(connection) as steps["submit"]:
        submitted = client.post(FORM_URL, _form_data())
    assert "Thank you – your answers are saved" in submitted.content.decode()
    with CaptureQueriesContext(connection) as steps["answers again"]:
        assert client.get(FORM_URL).status_code == 200
    counts = {step: len(_statements(captured)) for step, captured in steps.items()}
    # link: the invitation with its cohort's name and module (no response to look for yet); submit:
    # the invitation read once, locked for the save (its survey and set shared in the same
    # statement), then on PostgreSQL one statement for the new response, its answers, their choices
    # and the invitation marked answered (on SQLite four); the thank-you page adds none (a module
    # survey leads on to no other one); answers again: the invitation, then the response, its
    # answers and their choices.
    submit = 2 if connection.vendor == "postgresql" else 5
    assert counts == {"link": 1, "submit": submit, "answers again": 4}
    for captured in steps.values():
        assert not any("django_session" in sql for sql in _statements(captured))
    # No request-wide transaction (ATOMIC_REQUESTS, a savepoint inside the test's): the pages only
    # read, and the submit's one transaction is the POST's own, from its locked read to its write (a
    # savepoint inside the test's); on PostgreSQL the new response needs none of its own (INSERT ...
    # ON CONFLICT DO NOTHING).
    for step in ("link", "answers again"):
        assert not any("SAVEPOINT" in q["sql"] for q in steps[step].captured_queries), step
    savepoints = 1 if connection.vendor == "postgresql" else 2
    assert sum(q["sql"].startswith("SAVEPOINT") for q in steps["submit"].captured_queries) == savepoints
    assert "sessionid" not in client.cookies


def test_the_form_fields_are_made_once_per_set_version_and_shared_unchanged(linked):
    drawn.cache_clear()  # the first page is drawn here (later ones are the drawing, without a context)
    first = Client().get(reverse("surveys:answer_start", kwargs={"token": linked[0][1]}))
    refused = _linked_client(linked[1][1]).post(FORM_URL, _form_data(q_usefulness="", q_pace="Not an option"))
    again = _linked_client(linked[3][1]).post(FORM_URL, _form_data(q_pace="Not an option"))
    later = _linked_client(linked[2][1]).get(FORM_URL)

    assert (refused.status_code, again.status_code) == (400, 400)
    shared = first.context["form"].fields
    assert refused.context["form"].fields["q_pace"] is shared["q_pace"]
    assert again.context["form"].fields["q_pace"] is shared["q_pace"]
    # The refused posts' errors and values stayed on their own forms.
    assert set(refused.context["form"].errors) == {"q_usefulness", "q_pace"}
    assert set(again.context["form"].errors) == {"q_pace"}
    html = later.content.decode()
    assert 'id="error-summary"' not in html
    assert "Not an option" not in html
    assert html.count(" checked") == first.content.decode().count(" checked")


def test_the_drawn_heading_introduction_and_thanks_show_an_edit_at_once(open_survey, linked):
    """The answer pages' heading, introduction and thank-you are drawn once per process for the
    values they show (common.drawn): a renamed cohort, a new closing time or privacy show at once."""
    client = _linked_client(linked[0][1])
    before = client.get(FORM_URL).content.decode()
    assert open_survey.cohort.name in before

    cohort = open_survey.cohort
    cohort.name = "Renamed cohort of nurses and managers"
    cohort.save(update_fields=["name"])
    closes_at = open_survey.closes_at + datetime.timedelta(days=3)
    Survey.objects.filter(pk=open_survey.pk).update(closes_at=closes_at, privacy=Survey.Privacy.NAMED)
    when = formats.date_format(timezone.localtime(closes_at), "l j F Y, H:i")

    page = client.get(FORM_URL).content.decode()
    assert "Renamed cohort of nurses and managers" in page
    assert f"You can change your answers until {when}." in page
    assert "Your facilitators will see your name next to your answers." in page

    submitted = client.post(FORM_URL, _form_data())
    assert submitted.status_code == 200
    saved = submitted.content.decode()
    assert "Thank you – your answers are saved" in saved
    assert "Renamed cohort of nurses and managers" in saved
    assert f"change them until {when}." in saved
    again = client.get(FORM_URL).content.decode()
    assert f"You have answered already. Change anything below and save again; you can do this until {when}." in again
