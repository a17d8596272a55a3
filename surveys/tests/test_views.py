import csv
import io

import pytest
from django.core import signing
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cohorts.services import membership_withdraw
from cohorts.tests.factories import MembershipFactory, UserFactory
from surveys import structure
from surveys.models import Response, Survey
from surveys.services import response_submit, survey_close
from surveys.tests.factories import ANSWERS, responses_bulk_create
from surveys.views.answer import COOKIE, COOKIE_SALT

pytestmark = pytest.mark.django_db

SAVED = "Thank you – your answers are saved"


def _form(**overrides):
    data = {f"q_{code}": value for code, value in ANSWERS.items()}
    data.update(overrides)
    return data


def test_answer_start_shows_the_form_at_once_and_keeps_the_token_in_the_cookie(open_survey, linked):
    _invitation, token = linked[0]
    client = Client()
    response = client.get(reverse("surveys:answer_start", kwargs={"token": token}))
    assert response.status_code == 200
    assert b"<fieldset" in response.content
    assert b"<legend" in response.content
    html = response.content.decode()
    # The form posts to the clean address, which the page's script also puts in the address bar.
    answering = reverse("surveys:answer")
    assert f'<form method="post" action="{answering}" novalidate data-answer-address="{answering}">' in html
    assert "surveys/answer.js" in html
    assert token not in html
    # The address holds the token: a Referer may carry the origin only; the page is never stored.
    assert response["Referrer-Policy"] == "strict-origin"
    assert "no-store" in response["Cache-Control"]
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/s/"
    assert not cookie["secure"]  # plain HTTP here; over HTTPS it is Secure (below)
    # Signed for the answering pages alone (their salt); HttpOnly: no script reads it.
    request = RequestFactory().get(reverse("surveys:answer"))
    request.COOKIES[COOKIE] = cookie.value
    assert request.get_signed_cookie(COOKIE, salt=COOKIE_SALT) == token
    with pytest.raises(signing.BadSignature):
        request.get_signed_cookie(COOKIE, salt="another.purpose")
    until_close = (open_survey.closes_at - timezone.now()).total_seconds()
    assert until_close - 60 < cookie["max-age"] <= until_close
    # The cookie alone now opens the same form at the clean address.
    page = client.get(reverse("surveys:answer"))
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"
    assert token not in page.content.decode()
    assert b"<fieldset" in page.content
    assert Client().get(reverse("surveys:answer")).status_code == 404  # not without it

    over_https = Client().get(reverse("surveys:answer_start", kwargs={"token": token}), secure=True)
    assert over_https.status_code == 200
    assert over_https.cookies[COOKIE]["secure"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_answer_start_refuses_anything_but_get_and_writes_nothing(linked, method):
    invitation, token = linked[0]
    client = Client()
    url = reverse("surveys:answer_start", kwargs={"token": token})

    response = getattr(client, method)(url, _form()) if method == "post" else getattr(client, method)(url)

    assert response.status_code == 405
    assert COOKIE not in response.cookies
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert not invitation.has_responded
    assert client.head(url).status_code == 200  # HEAD is a GET without the body


def test_answer_links_unknown_closed_and_withdrawn_get_identical_pages(open_survey, linked):
    (invitation, withdrawn_token), (_other, closed_token) = linked[0], linked[1]
    membership_withdraw(membership=invitation.membership)
    unknown = Client().get(reverse("surveys:answer_start", kwargs={"token": "x" * 43}))
    withdrawn = Client().get(reverse("surveys:answer_start", kwargs={"token": withdrawn_token}))
    survey_close(survey=open_survey)
    closed = Client().get(reverse("surveys:answer_start", kwargs={"token": closed_token}))
    assert unknown.status_code == withdrawn.status_code == closed.status_code == 404
    assert unknown.content == withdrawn.content == closed.content
    assert unknown["Referrer-Policy"] == "no-referrer"


def test_answer_submit_edit_and_double_submit_keep_one_response(linked):
    _invitation, token = linked[0]
    client = Client()
    client.get(reverse("surveys:answer_start", kwargs={"token": token}))
    url = reverse("surveys:answer")
    assert SAVED in client.post(url, _form()).content.decode()
    assert SAVED in client.post(url, _form()).content.decode()  # double submit
    edited = client.post(url, _form(q_usefulness="1"))
    assert edited.status_code == 200
    assert SAVED in edited.content.decode()
    assert Response.objects.count() == 1
    page = client.get(url)
    assert 'value="1" class="form-check-input" id="id_q_usefulness_0" checked' in page.content.decode()


@pytest.mark.parametrize("privacy", list(Survey.Privacy))
def test_answer_post_answers_the_thank_you_page_and_a_resend_keeps_one_response(open_survey, linked, privacy):
    """The POST's own answer is the thank-you page (no redirect); reloading it makes the browser
    send the same answers again, which saves nothing twice and shows the thank-you page again."""
    Survey.objects.filter(pk=open_survey.pk).update(privacy=privacy)
    invitation, token = linked[0]
    client = Client()
    client.get(reverse("surveys:answer_start", kwargs={"token": token}))
    url = reverse("surveys:answer")
    answers = _form(q_usefulness="2", q_went_well="The coaching practice")

    saved = client.post(url, answers)
    first = Response.objects.get()
    resent = client.post(url, answers)

    for page in (saved, resent):
        assert page.status_code == 200
        assert page.template_name == "surveys/answer_saved.html"
        assert SAVED in page.content.decode()
        assert 'name="q_usefulness"' not in page.content.decode()  # not the form again
        assert page["Referrer-Policy"] == "same-origin"
        assert "no-store" in page["Cache-Control"]
    response = Response.objects.get()
    assert response.pk == first.pk
    assert response.submitted_at == first.submitted_at
    stored = {a.question.code: (a.number, a.text) for a in response.answers.select_related("question")}
    assert stored == {
        "usefulness": (2, ""),
        "confidence": (3, ""),
        "pace": (None, ""),
        "recommend": (9, ""),
        "went_well": (None, "The coaching practice"),
    }
    assert list(response.answers.get(question__code="pace").choices.values_list("label", flat=True)) == ["About right"]
    invitation.refresh_from_db()
    assert invitation.has_responded
    assert (response.membership_id is not None) == (privacy == Survey.Privacy.NAMED)
    assert bool(response.pseudonym) == (privacy == Survey.Privacy.PSEUDONYMOUS)
    assert (response.edit_key is not None) == (privacy == Survey.Privacy.ANONYMOUS)
    # The answers page still shows them, ready to change.
    assert 'value="2" class="form-check-input" id="id_q_usefulness_1" checked' in client.get(url).content.decode()


def test_answer_invalid_input_keeps_typed_values_and_shows_summary(linked):
    _invitation, token = linked[0]
    client = Client()
    client.get(reverse("surveys:answer_start", kwargs={"token": token}))
    response = client.post(reverse("surveys:answer"), _form(q_usefulness="", q_went_well="Typed text"))
    assert response.status_code == 400
    content = response.content.decode()
    assert "There is a problem" in content
    assert "Typed text" in content
    assert not Response.objects.exists()


def test_answer_after_close_shows_neutral_page(open_survey, linked):
    _invitation, token = linked[0]
    client = Client()
    client.get(reverse("surveys:answer_start", kwargs={"token": token}))
    survey_close(survey=open_survey)
    response = client.post(reverse("surveys:answer"), _form())
    assert response.status_code == 404
    assert not Response.objects.exists()


def test_survey_results_page_for_facilitator_only(facilitator_client, open_survey, cohort):
    responses_bulk_create(open_survey, 5)
    survey_close(survey=open_survey)  # non-named figures wait for the close
    url = reverse("surveys:survey_results", kwargs={"cohort_pk": cohort.pk, "number": 1})
    response = facilitator_client.get(url)
    assert response.status_code == 200
    assert b"<svg" in response.content
    assert b"<table" in response.content
    participant = MembershipFactory(cohort=cohort, person__user=UserFactory()).person.user
    other = Client()
    other.force_login(participant)
    assert other.get(url).status_code == 404


@pytest.mark.parametrize("n", [10, 1000])
def test_survey_results_view_query_count_is_constant(
    facilitator_client, open_survey, cohort, n, django_assert_max_num_queries
):
    responses_bulk_create(open_survey, n)
    survey_close(survey=open_survey)  # non-named figures wait for the close
    url = reverse("surveys:survey_results", kwargs={"cohort_pk": cohort.pk, "number": 1})
    structure.cache_clear()
    # The page's own reads after its survey are one statement (surveys.selectors.together).
    with django_assert_max_num_queries(9) as captured:
        assert facilitator_client.get(url).status_code == 200
    assert len(captured) == 9
    with django_assert_max_num_queries(7) as again:  # the question set's structure is kept (surveys.structure)
        assert facilitator_client.get(url).status_code == 200
    assert len(again) == 7


def test_survey_export_csv_neutralises_formulas(facilitator_client, open_survey, cohort):
    responses_bulk_create(open_survey, 3, text='=HYPERLINK("http://evil")')
    survey_close(survey=open_survey)  # non-named figures wait for the close
    url = reverse("surveys:survey_export", kwargs={"cohort_pk": cohort.pk, "number": 1, "fmt": "csv"})
    response = facilitator_client.get(url)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 4
    column = next(i for i, h in enumerate(rows[0]) if h.startswith("went_well"))
    assert all(row[column] == '\'=HYPERLINK("http://evil")' for row in rows[1:])


def test_survey_export_xlsx_neutralises_formulas(facilitator_client, open_survey, cohort):
    responses_bulk_create(open_survey, 3, text="@SUM(A1)")
    survey_close(survey=open_survey)  # non-named figures wait for the close
    url = reverse("surveys:survey_export", kwargs={"cohort_pk": cohort.pk, "number": 1, "fmt": "xlsx"})
    response = facilitator_client.get(url)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    column = next(i for i, h in enumerate(rows[0]) if h.startswith("went_well"))
    assert [row[column] for row in rows[1:]] == ["'@SUM(A1)"] * 3
    useful = next(i for i, h in enumerate(rows[0]) if h.startswith("usefulness"))
    assert [row[useful] for row in rows[1:]] == [1, 2, 3]  # numbers stay numbers


def test_invitation_link_create_issues_working_link(facilitator_client, open_survey, cohort, linked):
    invitation, old = linked[0]
    url = reverse("surveys:invitation_link_create", kwargs={"cohort_pk": cohort.pk, "number": 1, "pk": invitation.pk})
    response = facilitator_client.post(url)
    assert response.status_code == 200
    link = response.context["link"]
    client = Client()
    opened = client.get(link)
    assert opened.status_code == 200
    assert 'name="q_usefulness"' in opened.content.decode()
    # The link the participant already has keeps working.
    assert Client().get(reverse("surveys:answer_start", kwargs={"token": old})).status_code == 200
    response_submit(invitation=invitation, token=link.rstrip("/").rsplit("/", 1)[1], raw_answers=ANSWERS)
    assert Response.objects.count() == 1


def test_answer_post_marked_cross_site_is_refused(linked):
    _invitation, token = linked[0]
    client = Client()
    client.get(reverse("surveys:answer_start", kwargs={"token": token}))
    response = client.post(reverse("surveys:answer"), _form(), headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 404
    assert not Response.objects.exists()


def test_answer_post_without_token_cookie_is_refused(linked):
    response = Client().post(reverse("surveys:answer"), _form())
    assert response.status_code == 404
    assert not Response.objects.exists()


def test_answer_post_reads_and_checks_the_questions_once(linked):
    """A worker that has not seen the question set yet reads it once (questions, then their choices);
    after that its cached structure serves every request until the set changes (surveys.structure)."""
    client = Client()
    client.get(reverse("surveys:answer_start", kwargs={"token": linked[0][1]}))
    structure.cache_clear()

    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("surveys:answer"), _form())

    assert response.status_code == 200
    assert SAVED in response.content.decode()
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert sum('FROM "surveys_question" ' in sql for sql in reads) == 1
    assert sum('FROM "surveys_choice" ' in sql for sql in reads) == 1
    assert Response.objects.count() == 1

    other = Client()
    other.get(reverse("surveys:answer_start", kwargs={"token": linked[1][1]}))
    with CaptureQueriesContext(connection) as queries:
        assert other.get(reverse("surveys:answer")).status_code == 200
        assert SAVED in other.post(reverse("surveys:answer"), _form()).content.decode()
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not any('FROM "surveys_question" ' in sql or 'FROM "surveys_choice" ' in sql for sql in reads)
    assert Response.objects.count() == 2


def test_answer_invalid_post_from_the_saved_page_does_not_say_saved(linked):
    _invitation, token = linked[0]
    client = Client()
    client.get(reverse("surveys:answer_start", kwargs={"token": token}))

    response = client.post(reverse("surveys:answer") + "?saved=1", _form(q_usefulness=""))

    assert response.status_code == 400
    assert "answers are saved" not in response.content.decode()
    assert 'name="q_usefulness"' in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"
