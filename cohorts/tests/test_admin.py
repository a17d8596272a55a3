"""Every model registered in the admin, whichever app registers it, gets its pages loaded here."""

import datetime
import importlib
import re
from html import unescape
from pathlib import Path

import factory
import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort, Membership
from cohorts.tests.factories import (
    CohortFactory,
    MembershipFactory,
    ModuleOutlineFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeFactory,
)
from modules.models import Attendance, Module
from modules.tests.factories import AttendanceFactory, ModuleFactory

pytestmark = pytest.mark.django_db


def _project_factories():
    """Model -> factory, from every project app's ``tests/factories.py`` (other apps' too)."""
    from django.apps import apps

    found = {}
    for app_config in apps.get_app_configs():
        app_path = Path(app_config.path)
        if settings.BASE_DIR not in app_path.parents or not (app_path / "tests" / "factories.py").exists():
            continue
        module = importlib.import_module(f"{app_config.name}.tests.factories")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, factory.django.DjangoModelFactory)
                and value._meta.model is not None
                and value.__module__ == module.__name__
            ):
                model = value._meta.model
                # Prefer "<Model>Factory" when a module holds several factories for one model.
                if model not in found or value.__name__ == f"{model.__name__}Factory":
                    found[model] = value
    return found


REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
FACTORIES = _project_factories()
WITH_FACTORY = [model for model in REGISTERED if model in FACTORIES]
SEARCHABLE = [model for model in REGISTERED if admin.site._registry[model].search_fields]


def _label(model):
    return model._meta.label


def _url(model, page, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def admin_request(staff_user):
    request = RequestFactory().get("/admin/")
    request.user = staff_user
    return request


def test_admin_registers_every_model_of_cohorts_and_modules():
    labels = {_label(model) for model in REGISTERED}
    assert {
        "cohorts.Organisation",
        "cohorts.Programme",
        "cohorts.ModuleOutline",
        "cohorts.Cohort",
        "cohorts.Person",
        "cohorts.Membership",
        "modules.Module",
        "modules.Attendance",
    } <= labels


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_admin_changelist_loads(admin_client, model):
    response = admin_client.get(_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_admin_add_page_loads(admin_client, admin_request, model):
    response = admin_client.get(_url(model, "add"))
    expected = 200 if admin.site._registry[model].has_add_permission(admin_request) else 403
    assert response.status_code == expected


@pytest.mark.parametrize("model", WITH_FACTORY, ids=_label)
def test_admin_change_page_loads(admin_client, model):
    obj = FACTORIES[model]()
    response = admin_client.get(_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert response.context["original"] == obj


@pytest.mark.parametrize("model", SEARCHABLE, ids=_label)
def test_admin_search_loads(admin_client, model):
    if model in FACTORIES:
        FACTORIES[model]()
    response = admin_client.get(_url(model, "changelist"), {"q": "Smith"})
    assert response.status_code == 200
    assert response.context["cl"].query == "Smith"


@pytest.mark.parametrize("model", WITH_FACTORY, ids=_label)
def test_admin_changelist_queries_do_not_grow_with_rows(admin_client, django_assert_num_queries, model):
    make = FACTORIES[model]
    make.create_batch(5)
    with CaptureQueriesContext(connection) as five:
        assert admin_client.get(_url(model, "changelist")).status_code == 200
    make.create_batch(45)
    with django_assert_num_queries(len(five.captured_queries)):
        response = admin_client.get(_url(model, "changelist"))
    assert response.context["cl"].result_count >= 50


def test_membership_admin_changelist_queries_same_for_5_and_50_in_one_cohort(admin_client, django_assert_num_queries):
    cohort = CohortFactory()
    MembershipFactory.create_batch(5, cohort=cohort)
    url = _url(Membership, "changelist")
    with CaptureQueriesContext(connection) as five:
        admin_client.get(url)
    MembershipFactory.create_batch(45, cohort=cohort, person__profession=factory.Iterator(["nurse", "psychology"]))
    with django_assert_num_queries(len(five.captured_queries)):
        response = admin_client.get(url)
    assert response.context["cl"].result_count == 50


def test_membership_admin_search_finds_person_by_name_and_email(admin_client):
    wanted = MembershipFactory(person__full_name="Rowena Tregarthen", person__email="r.tregarthen@example.org")
    MembershipFactory(person__full_name="Idris Penhaligon")
    url = _url(Membership, "changelist")
    by_name = admin_client.get(url, {"q": "tregarthen"})
    by_email = admin_client.get(url, {"q": "r.tregarthen@"})
    assert list(by_name.context["cl"].result_list) == [wanted]
    assert list(by_email.context["cl"].result_list) == [wanted]


def test_person_admin_autocomplete_returns_matching_people(admin_client):
    PersonFactory(full_name="Morwenna Hosking")
    PersonFactory(full_name="Gideon Blewett")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "cohorts", "model_name": "membership", "field_name": "person", "term": "morw"},
    )
    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["Morwenna Hosking"]


def test_membership_admin_withdraw_action_withdraws_selected_only(admin_client):
    chosen = MembershipFactory()
    other = MembershipFactory()
    response = admin_client.post(
        _url(Membership, "changelist"),
        {"action": "withdraw_selected", admin.helpers.ACTION_CHECKBOX_NAME: [chosen.pk]},
    )
    assert response.status_code == 302
    chosen.refresh_from_db()
    other.refresh_from_db()
    assert chosen.status == Membership.Status.WITHDRAWN
    assert chosen.withdrawn_on is not None
    assert other.status == Membership.Status.ACTIVE


def test_cohort_admin_add_creates_modules_from_outline(admin_client):
    programme = ProgrammeFactory()
    for number in range(1, 7):
        ModuleOutlineFactory(programme=programme, number=number, weeks_after_start=(number - 1) * 4)
    commissioner = OrganisationFactory()
    person = PersonFactory()
    response = admin_client.post(
        _url(Cohort, "add"),
        {
            "programme": programme.pk,
            "commissioner": commissioner.pk,
            "name": "Spring cohort",
            "start_date": "12/01/2026",
            "end_date": "",
            "status": Cohort.Status.PLANNED,
            "survey_audience": Cohort.SurveyAudience.PRESENT_ONLY,
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-person": person.pk,
            "memberships-0-role": Membership.Role.FACILITATOR,
            "memberships-0-status": Membership.Status.ACTIVE,
            "memberships-0-withdrawn_on": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    cohort = Cohort.objects.get(name="Spring cohort")
    assert cohort.survey_audience == Cohort.SurveyAudience.PRESENT_ONLY
    assert list(cohort.modules.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert cohort.modules.get(number=2).starts_at.date() == datetime.date(2026, 2, 9)
    assert list(cohort.memberships.values_list("person", "role")) == [(person.pk, Membership.Role.FACILITATOR)]


def test_cohort_admin_changelist_counts_active_participants(admin_client):
    cohort = CohortFactory()
    MembershipFactory.create_batch(3, cohort=cohort)
    MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR)
    MembershipFactory(cohort=cohort, status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 2, 1))
    response = admin_client.get(_url(Cohort, "changelist"))
    [row] = response.context["cl"].result_list
    assert row.participant_count == 3


def test_module_admin_attendance_inline_offers_only_the_cohorts_participants(admin_client):
    module = ModuleFactory()
    mine = MembershipFactory(cohort=module.cohort, person__full_name="Tamsin Rowe")
    MembershipFactory(cohort=module.cohort, role=Membership.Role.FACILITATOR, person__full_name="Facil Itator")
    MembershipFactory(person__full_name="Elsewhere Person")
    response = admin_client.get(_url(module._meta.model, "change", module.pk))
    [formset] = [f for f in response.context["inline_admin_formsets"] if f.formset.model is Attendance]
    choices = list(formset.formset.empty_form.fields["membership"].queryset)
    assert choices == [mine]


def test_attendance_admin_rejects_membership_of_another_cohort(admin_client):
    module = ModuleFactory()
    stranger = MembershipFactory()
    response = admin_client.post(
        _url(Attendance, "add"),
        {"module": module.pk, "membership": stranger.pk, "status": Attendance.Status.PRESENT},
    )
    assert response.status_code == 200
    assert "membership" in response.context["adminform"].form.errors
    assert not Attendance.objects.exists()


def _register(participants):
    module = ModuleFactory()
    for membership in MembershipFactory.create_batch(participants, cohort=module.cohort):
        Attendance.objects.create(module=module, membership=membership, status=Attendance.Status.PRESENT)
    return module


def test_module_admin_change_page_queries_same_for_5_and_30_in_the_register(admin_client, django_assert_num_queries):
    small, large = _register(5), _register(30)
    with CaptureQueriesContext(connection) as five:
        admin_client.get(_url(small._meta.model, "change", small.pk))
    with django_assert_num_queries(len(five.captured_queries)):
        response = admin_client.get(_url(large._meta.model, "change", large.pk))
    [formset] = [f for f in response.context["inline_admin_formsets"] if f.formset.model is Attendance]
    assert len(formset.formset.forms) == 30


def test_module_admin_saves_the_attendance_register(admin_client):
    module = ModuleFactory(starts_at=datetime.datetime(2026, 1, 12, 9, 30, tzinfo=datetime.UTC))
    present = AttendanceFactory(module=module)
    newcomer = MembershipFactory(cohort=module.cohort)
    response = admin_client.post(
        _url(module._meta.model, "change", module.pk),
        {
            "cohort": module.cohort.pk,
            "number": 1,
            "title": module.title,
            "topics": "",
            "starts_at_0": "12/01/2026",
            "starts_at_1": "09:30",
            "ends_at_0": "12/01/2026",
            "ends_at_1": "16:30",
            "venue": "Riverside House",
            "state": "planned",
            "delivered_at_0": "",
            "delivered_at_1": "",
            "attendances-TOTAL_FORMS": "2",
            "attendances-INITIAL_FORMS": "1",
            "attendances-MIN_NUM_FORMS": "0",
            "attendances-MAX_NUM_FORMS": "1000",
            "attendances-0-id": present.pk,
            "attendances-0-module": module.pk,
            "attendances-0-membership": present.membership.pk,
            "attendances-0-status": Attendance.Status.APOLOGIES,
            "attendances-1-id": "",
            "attendances-1-module": module.pk,
            "attendances-1-membership": newcomer.pk,
            "attendances-1-status": Attendance.Status.PRESENT,
        },
    )
    assert response.status_code == 302
    assert dict(module.attendances.values_list("membership", "status")) == {
        present.membership.pk: Attendance.Status.APOLOGIES,
        newcomer.pk: Attendance.Status.PRESENT,
    }
    module.refresh_from_db()
    assert module.venue == "Riverside House"


def test_membership_admin_reinstate_action_reactivates_withdrawn(admin_client):
    withdrawn = MembershipFactory(status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 2, 1))
    response = admin_client.post(
        _url(Membership, "changelist"),
        {"action": "reinstate_selected", admin.helpers.ACTION_CHECKBOX_NAME: [withdrawn.pk]},
    )
    assert response.status_code == 302
    withdrawn.refresh_from_db()
    assert withdrawn.status == Membership.Status.ACTIVE
    assert withdrawn.withdrawn_on is None


def test_module_admin_mark_delivered_action_delivers_started_modules_only(admin_client):
    started = ModuleFactory(starts_at=timezone.now() - datetime.timedelta(days=1))
    future = ModuleFactory(starts_at=timezone.now() + datetime.timedelta(days=7))
    response = admin_client.post(
        _url(Module, "changelist"),
        {"action": "mark_delivered", admin.helpers.ACTION_CHECKBOX_NAME: [started.pk, future.pk]},
        follow=True,
    )
    started.refresh_from_db()
    future.refresh_from_db()
    assert started.state == Module.State.DELIVERED
    assert future.state == Module.State.PLANNED
    assert any("once it has started" in str(m) for m in response.context["messages"])


# The cohort's members inline (issue 14): each row's person autocomplete is named from one query for
# the whole inline, not one per member.


def _people_drawn(response):
    """{row: [(value, label)]} of the selected options of each members row's person select, as drawn."""
    html = response.content.decode()
    rows = {}
    for row, options in re.findall(r'<select name="memberships-(\d+)-person"[^>]*>(.*?)</select>', html, re.S):
        selected = re.findall(r'<option value="([^"]*)" selected>([^<]*)</option>', options)
        rows[int(row)] = [(value, unescape(label)) for value, label in selected]
    return rows


def _members_formset(response):
    [inline] = [f for f in response.context["inline_admin_formsets"] if f.formset.model is Membership]
    return inline.formset


def test_cohort_admin_members_inline_names_each_rows_person(admin_client):
    cohort = CohortFactory()
    for name in ("Ada Trelawny", "Bryn O'Kane", "Cai Pascoe"):
        MembershipFactory(cohort=cohort, person__full_name=name)
    MembershipFactory(person__full_name="Elsewhere Person")
    response = admin_client.get(_url(Cohort, "change", cohort.pk))
    assert response.status_code == 200
    expected = {
        row: [(str(form.instance.person_id), form.instance.person.full_name)]
        for row, form in enumerate(_members_formset(response).forms)
    }
    assert _people_drawn(response) == expected
    assert sorted(label for [(_value, label)] in expected.values()) == ["Ada Trelawny", "Bryn O'Kane", "Cai Pascoe"]


def _cohort_with_members(count):
    cohort = CohortFactory()
    MembershipFactory.create_batch(count, cohort=cohort)
    MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR)
    return cohort


def test_cohort_admin_change_page_queries_same_for_3_and_30_members(admin_client, django_assert_num_queries):
    small, large = _cohort_with_members(3), _cohort_with_members(30)
    admin_client.get(_url(Cohort, "change", small.pk))  # warm the process's caches (content types)
    with CaptureQueriesContext(connection) as three:
        admin_client.get(_url(Cohort, "change", small.pk))
    with django_assert_num_queries(len(three.captured_queries)):
        response = admin_client.get(_url(Cohort, "change", large.pk))
    assert len(_members_formset(response).forms) == 31
    assert len(_people_drawn(response)) == 31


def _cohort_post(cohort, rows):
    data = {
        "programme": cohort.programme_id,
        "commissioner": cohort.commissioner_id,
        "name": cohort.name,
        "start_date": cohort.start_date.strftime("%d/%m/%Y"),
        "end_date": "",
        "status": cohort.status,
        "survey_audience": cohort.survey_audience,
        "modules-TOTAL_FORMS": "0",
        "modules-INITIAL_FORMS": "0",
        "modules-MIN_NUM_FORMS": "0",
        "modules-MAX_NUM_FORMS": "6",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        row = {"id": "", "cohort": cohort.pk, "status": Membership.Status.ACTIVE, "withdrawn_on": "", **row}
        data.update({f"memberships-{index}-{key}": value for key, value in row.items()})
    return data


def test_cohort_admin_saves_the_members_inline(admin_client):
    cohort = CohortFactory()
    kept = MembershipFactory(cohort=cohort)
    changed = MembershipFactory(cohort=cohort)
    newcomer = PersonFactory()
    response = admin_client.post(
        _url(Cohort, "change", cohort.pk),
        _cohort_post(
            cohort,
            [
                {"id": kept.pk, "person": kept.person_id, "role": kept.role},
                {"id": changed.pk, "person": changed.person_id, "role": Membership.Role.SET_FACILITATOR},
                {"person": newcomer.pk, "role": Membership.Role.PARTICIPANT},
            ],
        ),
    )
    assert response.status_code == 302, response.context and _members_formset(response).errors
    assert set(cohort.memberships.values_list("person", "role")) == {
        (kept.person_id, kept.role),
        (changed.person_id, Membership.Role.SET_FACILITATOR),
        (newcomer.pk, Membership.Role.PARTICIPANT),
    }


def test_cohort_admin_refused_members_inline_shows_the_people_as_posted(admin_client):
    cohort = CohortFactory()
    member = MembershipFactory(cohort=cohort, person__full_name="Ada Trelawny")
    other = PersonFactory(full_name="Bryn Kane")
    response = admin_client.post(
        _url(Cohort, "change", cohort.pk),
        _cohort_post(
            cohort,
            [
                {"id": member.pk, "person": other.pk, "role": member.role},
                # Withdrawn without a date: refused, so the page is drawn again from the posted rows.
                {"person": PersonFactory(full_name="Cai Pascoe").pk, "role": "participant", "status": "withdrawn"},
            ],
        ),
    )
    assert response.status_code == 200
    assert _members_formset(response).errors[1]
    assert [label for [(_value, label)] in _people_drawn(response).values()] == ["Bryn Kane", "Cai Pascoe"]
    assert list(cohort.memberships.values_list("person", flat=True)) == [member.person_id]
