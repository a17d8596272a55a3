"""The facilitators' form pages keep what they showed before they moved to common.views.ServiceFormView:
current values in the forms, errors on the right form with status 400, the page around the form."""

import re

import pytest
from django.urls import reverse

from surveys.models import CohortSurveySettings, Question, QuestionSet, Survey
from surveys.services import question_set_copy, question_set_default

pytestmark = pytest.mark.django_db


def _url(name, cohort, **kwargs):
    return reverse(f"surveys:{name}", kwargs={"cohort_pk": cohort.pk, **kwargs})


def test_survey_detail_form_shows_the_surveys_settings(facilitator_client, cohort, open_survey):
    Survey.objects.filter(pk=open_survey.pk).update(reminder_after_days=5, max_reminders=1)

    response = facilitator_client.get(_url("survey_detail", cohort, number=1))

    content = response.content.decode()
    assert 'name="reminder_after_days" value="5"' in content
    assert 'name="max_reminders" value="1"' in content
    assert response.context["form"]["privacy"].value() == "pseudonymous"


def test_survey_detail_invalid_settings_keep_the_page_and_answer_400(facilitator_client, cohort, open_survey):
    data = {"question_set": open_survey.question_set_id, "privacy": "named", "reminder_after_days": "0"}

    response = facilitator_client.post(_url("survey_detail", cohort, number=1), data)

    assert response.status_code == 400
    content = response.content.decode()
    assert "Ensure this value is greater than or equal to 1." in content
    assert content.count("Copy a new link") == open_survey.invitations.count()


def test_survey_list_form_shows_the_cohorts_override(facilitator_client, cohort):
    question_set = question_set_default()
    CohortSurveySettings.objects.create(cohort=cohort, question_set=question_set, privacy="anonymous")

    content = facilitator_client.get(_url("survey_list", cohort)).content.decode()

    assert f'<option value="{question_set.pk}" selected>' in content
    assert '<option value="anonymous" selected>' in content


def test_question_update_form_shows_the_question(facilitator_client, cohort):
    own = question_set_copy(question_set=question_set_default(), name="Ours", cohort=cohort)
    question = own.questions.get(code="went_well")

    url = _url("question_update", cohort, pk=own.pk, question_pk=question.pk)
    content = facilitator_client.get(url).content
    assert f'value="{question.text}"'.encode() in content

    # The form is drawn once per process for what it shows: an edit shows at once.
    Question.objects.filter(pk=question.pk).update(text="What went well in the huddle?", help_text="One line")
    again = facilitator_client.get(url).content.decode()
    assert 'value="What went well in the huddle?"' in again
    assert 'value="One line"' in again


def test_question_set_copy_with_no_name_shows_the_set_page_with_the_error_on_the_copy_form(facilitator_client, cohort):
    question_set = question_set_default()

    response = facilitator_client.post(_url("question_set_copy", cohort, pk=question_set.pk), {"name": ""})

    assert response.status_code == 400
    assert response.context["question_set"] == question_set
    assert response.context["copy_form"].errors == {"name": ["This field is required."]}
    assert not response.context["form"].is_bound
    assert QuestionSet.objects.count() == 1
    assert b'id="error-summary"' in response.content


@pytest.mark.parametrize("page", ["question_set_list", "question_set_detail", "question_update"])
def test_question_set_forms_leave_checking_to_the_app_so_errors_reach_the_summary(facilitator_client, cohort, page):
    """Browser-native "required" bubbles are not read out reliably and bypass the error summary."""
    question_set = question_set_copy(question_set=question_set_default(), name="Ours", cohort=cohort)
    kwargs = {
        "question_set_list": {},
        "question_set_detail": {"pk": question_set.pk},
        "question_update": {"pk": question_set.pk, "question_pk": question_set.questions.first().pk},
    }[page]
    html = facilitator_client.get(_url(page, cohort, **kwargs)).content.decode()
    forms = re.findall(r'<form method="post"[^>]*>', html)
    assert forms
    assert all("novalidate" in form for form in forms if "logout" not in form), forms


def test_question_set_page_offers_a_named_copy(facilitator_client, cohort):
    question_set = question_set_default()

    response = facilitator_client.get(_url("question_set_detail", cohort, pk=question_set.pk))

    assert response.context["copy_form"].initial == {"name": f"{question_set.name} (copy)"}
    assert not response.context["form"].is_bound
