import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template import engines
from django.test import RequestFactory

from common.views import ServiceFormPostView, ServiceFormView


class NameForm(forms.Form):
    name = forms.CharField(max_length=20)


class RenameView(ServiceFormView):
    form_class = NameForm
    success_message = "Renamed."
    calls = None

    def get_template_names(self):
        return []

    def render_to_response(self, context, **kwargs):
        template = engines["django"].from_string("{{ form.errors }}")
        return HttpResponse(template.render(context), status=kwargs.get("status", 200))

    def perform(self, form):
        name = form.cleaned_data["name"]
        if name == "taken":
            raise ValidationError({"name": "That name is taken."})
        if name == "closed":
            raise ValidationError("The cohort has finished.")
        self.calls.append(name)
        return name

    def get_success_url(self):
        return f"/done/{self.result}/"


def _post(data):
    request = RequestFactory().post("/", data)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    calls = []
    response = RenameView.as_view(calls=calls)(request)
    return request, response, calls


@pytest.mark.django_db
def test_service_form_view_calls_the_service_once_and_redirects_with_a_message():
    request, response, calls = _post({"name": "Tamar"})
    assert (response.status_code, response["Location"], calls) == (302, "/done/Tamar/", ["Tamar"])
    assert [str(m) for m in get_messages(request)] == ["Renamed."]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "error"), [("taken", "That name is taken."), ("closed", "The cohort has finished."), ("", "required")]
)
def test_service_form_view_puts_service_and_form_errors_on_the_form_with_400(name, error):
    request, response, calls = _post({"name": name})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert calls == []
    assert list(get_messages(request)) == []


class RenamePostView(ServiceFormPostView):
    form_class = NameForm
    calls = None

    def perform(self, form):
        self.calls.append(form.cleaned_data["name"])

    def form_invalid(self, form):
        return HttpResponse(str(form.errors), status=400)

    def get_success_url(self):
        return "/done/"


@pytest.mark.django_db
def test_service_form_post_view_answers_post_only_with_the_same_pattern():
    calls = []
    view = RenamePostView.as_view(calls=calls)

    get = view(RequestFactory().get("/"))
    request = RequestFactory().post("/", {"name": "Tamar"})
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    sent = view(request)
    refused = view(RequestFactory().post("/", {"name": ""}))

    assert (get.status_code, sent.status_code, sent["Location"], calls) == (405, 302, "/done/", ["Tamar"])
    assert refused.status_code == 400
    assert "required" in refused.content.decode()
    assert not hasattr(RenamePostView, "get")
