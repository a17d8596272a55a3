import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cohorts.tests.factories import MembershipFactory
from modules.tests.factories import AttendanceFactory, ModuleFactory
from surveys.models import CohortSurveySettings, Invitation, Question, QuestionSet, Survey
from surveys.services import question_set_copy, question_set_default, response_submit, survey_close
from surveys.tests.factories import ANSWERS, InvitationFactory

pytestmark = pytest.mark.django_db


def _url(name, cohort, **kwargs):
    return reverse(f"surveys:{name}", kwargs={"cohort_pk": cohort.pk, **kwargs})


def test_survey_list_and_detail_without_survey_do_not_create_one(facilitator_client, cohort):
    ModuleFactory(cohort=cohort, number=1)
    assert facilitator_client.get(_url("survey_list", cohort)).status_code == 200
    response = facilitator_client.get(_url("survey_detail", cohort, number=1))
    assert response.status_code == 200
    assert b"No survey yet" in response.content
    assert not Survey.objects.exists()


def test_survey_open_view_opens_with_invitations(facilitator_client, cohort, module, participants):
    response = facilitator_client.post(_url("survey_open", cohort, number=1))
    assert response.status_code == 302
    assert response["Location"] == _url("invitation_delivery", cohort, number=1)
    survey = Survey.objects.get(module=module)
    assert survey.status == Survey.Status.OPEN
    assert survey.invitations.count() == len(participants)
    page = facilitator_client.get(_url("survey_detail", cohort, number=1))
    assert page.content.decode().count("Copy a new link") == len(participants)


def test_survey_detail_shows_each_invitation_without_a_query_a_row(
    facilitator_client, cohort, open_survey, django_assert_num_queries
):
    url = _url("survey_detail", cohort, number=1)
    with CaptureQueriesContext(connection) as before:
        facilitator_client.get(url)
    failed = InvitationFactory(
        survey=open_survey, status=Invitation.Status.FAILED, last_error="550 No such user", membership__cohort=cohort
    )
    InvitationFactory(
        survey=open_survey, status=Invitation.Status.SENT, responded_at=timezone.now(), membership__cohort=cohort
    )

    with django_assert_num_queries(len(before)):
        page = facilitator_client.get(url).content.decode()

    assert escape(failed.membership.person.full_name) in page
    assert 'Failed<br><span class="small text-danger">550 No such user</span>' in page
    assert page.count("<td>Yes</td>") == 1
    assert page.count("Copy a new link") == open_survey.invitations.count()


def test_survey_detail_post_refuses_privacy_change_after_answers(facilitator_client, cohort, open_survey, linked):
    invitation, token = linked[0]
    response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)
    data = {
        "question_set": open_survey.question_set_id,
        "privacy": "named",
        "closes_at": "",
        "reminder_after_days": "3",
        "max_reminders": "2",
    }
    response = facilitator_client.post(_url("survey_detail", cohort, number=1), data)
    assert response.status_code == 400
    assert b"privacy mode can no longer change" in response.content
    open_survey.refresh_from_db()
    assert open_survey.privacy == "pseudonymous"


def test_survey_detail_post_updates_reminder_settings(facilitator_client, cohort, open_survey):
    data = {
        "question_set": open_survey.question_set_id,
        "privacy": "anonymous",
        "closes_at": open_survey.closes_at.strftime("%Y-%m-%dT%H:%M"),
        "reminder_after_days": "2",
        "max_reminders": "1",
    }
    assert facilitator_client.post(_url("survey_detail", cohort, number=1), data).status_code == 302
    open_survey.refresh_from_db()
    assert (open_survey.privacy, open_survey.reminder_after_days, open_survey.max_reminders) == ("anonymous", 2, 1)


def test_survey_list_post_sets_cohort_override(facilitator_client, cohort):
    question_set = question_set_default()
    data = {"question_set": question_set.pk, "privacy": "anonymous"}
    assert facilitator_client.post(_url("survey_list", cohort), data).status_code == 302
    settings = CohortSurveySettings.objects.get(cohort=cohort)
    assert (settings.question_set, settings.privacy) == (question_set, "anonymous")
    survey = facilitator_client.post(_url("survey_create", cohort, number=1))
    assert survey.status_code == 404  # no module 1 in this cohort yet
    ModuleFactory(cohort=cohort, number=1)
    facilitator_client.post(_url("survey_create", cohort, number=1))
    assert Survey.objects.get().privacy == "anonymous"


def test_question_add_with_bad_condition_shows_error_and_changes_nothing(facilitator_client, cohort):
    question_set = question_set_default()
    before = question_set.questions.count()
    data = {
        "text": "Why?",
        "kind": "short_text",
        "code": "why",
        "required": "",
        "condition_code": "usefulness",
        "condition_value": "9",
    }
    response = facilitator_client.post(_url("question_set_detail", cohort, pk=question_set.pk), data)
    assert response.status_code == 400
    assert b"Use a number from 1 to 5" in response.content
    assert question_set.questions.count() == before


def test_question_update_on_answered_set_makes_a_new_version(facilitator_client, cohort, open_survey, linked):
    # The cohort's own set: a facilitator changes it in place (a shared set would give her a copy).
    own = question_set_copy(question_set=open_survey.question_set, name="Ours", cohort=cohort)
    Survey.objects.filter(pk=open_survey.pk).update(question_set=own)
    open_survey.refresh_from_db()
    invitation, token = linked[0]
    response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)
    question = open_survey.question_set.questions.get(code="went_well")
    data = {"text": "What worked for you?", "kind": "long_text", "code": "went_well", "required": ""}
    url = _url("question_update", cohort, pk=open_survey.question_set_id, question_pk=question.pk)
    response = facilitator_client.post(url, data)
    assert response.status_code == 302
    new = QuestionSet.objects.get(slug=open_survey.question_set.slug, is_current=True)
    assert new.version == 2
    assert new.questions.get(code="went_well").text == "What worked for you?"
    assert Question.objects.get(pk=question.pk).text == "What went well?"


def test_survey_trends_page_renders_line_chart_and_table(facilitator_client, cohort, open_survey, linked):
    for invitation, token in linked[:3]:
        response_submit(invitation=invitation, token=token, raw_answers=ANSWERS)
    survey_close(survey=open_survey)  # non-named figures wait for the close
    response = facilitator_client.get(_url("survey_trends", cohort))
    assert response.status_code == 200
    content = response.content.decode()
    assert '<path class="line"' in content or '<circle class="point"' in content
    assert "4.00" in content  # usefulness mean of module 1


def test_question_set_create_add_move_and_delete(facilitator_client, cohort):
    response = facilitator_client.post(_url("question_set_list", cohort), {"name": "Short pulse", "description": ""})
    question_set = QuestionSet.objects.get(name="Short pulse")
    assert response.status_code == 302
    detail = _url("question_set_detail", cohort, pk=question_set.pk)
    for code, kind in [("score", "rating0_10"), ("pick", "single_choice")]:
        data = {
            "text": f"{code}?",
            "kind": kind,
            "code": code,
            "required": "on",
            "choices": "Yes\nNo" * (kind != "rating0_10"),
        }
        assert facilitator_client.post(detail, data).status_code == 302
    pick = question_set.questions.get(code="pick")
    assert list(pick.choices.values_list("label", flat=True)) == ["Yes", "No"]
    url = _url("question_update", cohort, pk=question_set.pk, question_pk=pick.pk)
    facilitator_client.post(url, {"move": "up"})
    assert list(question_set.questions.order_by("order").values_list("code", flat=True)) == ["pick", "score"]
    facilitator_client.post(url, {"delete": "1"})
    assert list(question_set.questions.values_list("code", flat=True)) == ["score"]


def test_survey_open_confirmation_says_how_many_people_will_be_mailed(
    facilitator_client, cohort, module, participants, mailoutbox
):
    response = facilitator_client.get(_url("survey_open", cohort, number=1))
    assert response.status_code == 200
    assert f"e-mails {len(participants)} people their own link".encode() in response.content
    assert f"Yes, open it and e-mail {len(participants)} people".encode() in response.content
    # Showing the page changes nothing and sends nothing.
    assert not Survey.objects.exists()
    assert mailoutbox == []


def test_survey_open_confirmation_counts_only_those_present_when_the_cohort_says_so(facilitator_client, cohort, module):
    cohort.survey_audience = "present_only"
    cohort.save()
    AttendanceFactory(module=module, status="present")
    AttendanceFactory(module=module, status="absent")
    response = facilitator_client.get(_url("survey_open", cohort, number=1))
    assert b"e-mails 1 person their own link" in response.content


def test_survey_open_is_refused_before_the_module_has_taken_place(facilitator_client, cohort, participants):
    ModuleFactory(cohort=cohort, number=2, starts_at=timezone.now() + datetime.timedelta(days=3))
    page = facilitator_client.get(_url("survey_open", cohort, number=2))
    assert page.status_code == 200
    assert b"Its survey can be opened once the module has taken place" in page.content
    assert b"Yes, open it" not in page.content

    response = facilitator_client.post(_url("survey_open", cohort, number=2), follow=True)
    assert response.redirect_chain[-1][0] == _url("survey_detail", cohort, number=2)
    assert "its survey can be opened once the module has taken place" in response.content.decode()
    assert not Survey.objects.exists()


def test_survey_open_is_refused_when_the_survey_is_already_open(facilitator_client, cohort, open_survey):
    invited = open_survey.invitations.count()
    MembershipFactory(cohort=cohort)  # joined since: opening again must not mail anyone
    response = facilitator_client.post(_url("survey_open", cohort, number=1), follow=True)
    assert "already open; nothing was sent" in response.content.decode()
    assert open_survey.invitations.count() == invited
    page = facilitator_client.get(_url("survey_open", cohort, number=1))
    assert b"there is nothing to open" in page.content


def test_survey_detail_links_to_the_confirmation_instead_of_opening_at_one_click(facilitator_client, cohort, module):
    page = facilitator_client.get(_url("survey_detail", cohort, number=1)).content.decode()
    assert f'href="{_url("survey_open", cohort, number=1)}"' in page
    assert f'action="{_url("survey_open", cohort, number=1)}"' not in page
