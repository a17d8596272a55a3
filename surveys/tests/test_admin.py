import pytest
from django.test import Client
from django.urls import reverse

from surveys.models import Question
from surveys.services import question_set_default

pytestmark = pytest.mark.django_db


def test_admin_pages_load(staff_user):
    client = Client()
    client.force_login(staff_user)
    for model in ["questionset", "question", "survey", "invitation", "response"]:
        assert client.get(reverse(f"admin:surveys_{model}_changelist")).status_code == 200
    question_set = question_set_default()
    assert client.get(reverse("admin:surveys_questionset_change", args=[question_set.pk])).status_code == 200


def test_admin_question_refuses_condition_on_later_question(staff_user):
    client = Client()
    client.force_login(staff_user)
    question_set = question_set_default()
    usefulness = question_set.questions.get(code="usefulness")
    recommend = question_set.questions.get(code="recommend")
    data = {
        "question_set": question_set.pk,
        "order": usefulness.order,
        "code": "usefulness",
        "kind": "likert5",
        "text": usefulness.text,
        "required": "on",
        "condition_question": recommend.pk,
        "condition_value": "9",
        "choices-TOTAL_FORMS": "0",
        "choices-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:surveys_question_change", args=[usefulness.pk]), data)
    assert response.status_code == 200
    assert "earlier question" in response.content.decode()
    assert Question.objects.get(pk=usefulness.pk).condition_question is None
