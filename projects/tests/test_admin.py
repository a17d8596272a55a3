"""The action-learning set's admin page: its members inline (issue 14)."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohorts.models import Membership
from cohorts.tests.factories import MembershipFactory
from projects.models import SetMembership
from projects.tests.factories import ActionLearningSetFactory, SetMembershipFactory

pytestmark = pytest.mark.django_db

CHANGE = "admin:projects_actionlearningset_change"


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _memberships_drawn(response):
    """{row: (value, link, label)} of each members row's raw-id box, as the page draws it."""
    html = response.content.decode()
    rows = {}
    for row, value, rest in re.findall(
        r'name="set_memberships-(\d+)-membership" value="([^"]*)"(.*?)</div>', html, re.S
    ):
        link = re.search(r'<strong><a href="([^"]+)">([^<]*)</a></strong>', rest)
        rows[int(row)] = (value, link[1], unescape(link[2])) if link else (value, None, None)
    return rows


def _members_formset(response):
    [inline] = [f for f in response.context["inline_admin_formsets"] if f.formset.model is SetMembership]
    return inline.formset


def test_set_admin_members_inline_names_each_rows_membership(admin_client):
    action_learning_set = ActionLearningSetFactory(cohort__name="Spring 2026")
    for name in ("Ada Trelawny", "Bryn O'Kane", "Cai Pascoe"):
        SetMembershipFactory(action_learning_set=action_learning_set, membership__person__full_name=name)
    response = admin_client.get(reverse(CHANGE, args=[action_learning_set.pk]))
    assert response.status_code == 200
    forms = _members_formset(response).forms
    assert _memberships_drawn(response) == {
        row: (
            str(form.instance.membership_id),
            reverse("admin:cohorts_membership_change", args=[form.instance.membership_id]),
            f"{form.instance.membership.person.full_name} (Participant, Spring 2026)",
        )
        for row, form in enumerate(forms)
    }
    assert sorted(form.instance.membership.person.full_name for form in forms) == [
        "Ada Trelawny",
        "Bryn O'Kane",
        "Cai Pascoe",
    ]


def _set_with_members(count):
    action_learning_set = ActionLearningSetFactory()
    SetMembershipFactory.create_batch(count, action_learning_set=action_learning_set)
    action_learning_set.set_facilitator = MembershipFactory(
        cohort=action_learning_set.cohort, role=Membership.Role.SET_FACILITATOR
    )
    action_learning_set.save()
    return action_learning_set


def test_set_admin_change_page_queries_same_for_3_and_30_members(admin_client, django_assert_num_queries):
    small, large = _set_with_members(3), _set_with_members(30)
    admin_client.get(reverse(CHANGE, args=[small.pk]))  # warm the process's caches (content types)
    with CaptureQueriesContext(connection) as three:
        admin_client.get(reverse(CHANGE, args=[small.pk]))
    with django_assert_num_queries(len(three.captured_queries)):
        response = admin_client.get(reverse(CHANGE, args=[large.pk]))
    assert len(_members_formset(response).forms) == 30
    assert all(label for _value, _link, label in _memberships_drawn(response).values())


def _set_post(action_learning_set, rows):
    data = {
        "cohort": action_learning_set.cohort_id,
        "name": action_learning_set.name,
        "set_facilitator": action_learning_set.set_facilitator_id or "",
        "reflections": action_learning_set.reflections,
        "set_memberships-TOTAL_FORMS": str(len(rows)),
        "set_memberships-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
        "set_memberships-MIN_NUM_FORMS": "0",
        "set_memberships-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        row = {"id": "", "action_learning_set": action_learning_set.pk, **row}
        data.update({f"set_memberships-{index}-{key}": value for key, value in row.items()})
    return data


def test_set_admin_saves_the_members_inline(admin_client):
    action_learning_set = ActionLearningSetFactory()
    cohort = action_learning_set.cohort
    kept = SetMembershipFactory(action_learning_set=action_learning_set)
    changed = SetMembershipFactory(action_learning_set=action_learning_set)
    replacement, newcomer = MembershipFactory.create_batch(2, cohort=cohort)
    response = admin_client.post(
        reverse(CHANGE, args=[action_learning_set.pk]),
        _set_post(
            action_learning_set,
            [
                {"id": kept.pk, "membership": kept.membership_id},
                {"id": changed.pk, "membership": replacement.pk},
                {"membership": newcomer.pk},
            ],
        ),
    )
    assert response.status_code == 302, response.context and _members_formset(response).errors
    assert set(action_learning_set.set_memberships.values_list("membership", "cohort")) == {
        (kept.membership_id, cohort.pk),
        (replacement.pk, cohort.pk),
        (newcomer.pk, cohort.pk),
    }


def test_set_admin_refused_members_inline_shows_the_memberships_as_posted(admin_client):
    action_learning_set = ActionLearningSetFactory()
    member = SetMembershipFactory(action_learning_set=action_learning_set)
    chosen = MembershipFactory(cohort=action_learning_set.cohort, person__full_name="Bryn Kane")
    response = admin_client.post(
        reverse(CHANGE, args=[action_learning_set.pk]),
        # A membership that does not exist: refused, so the page is drawn again from the posted rows.
        _set_post(action_learning_set, [{"id": member.pk, "membership": chosen.pk}, {"membership": chosen.pk + 1000}]),
    )
    assert response.status_code == 200
    assert _members_formset(response).errors[1]
    assert _memberships_drawn(response) == {
        0: (str(chosen.pk), reverse("admin:cohorts_membership_change", args=[chosen.pk]), str(chosen)),
        1: (str(chosen.pk + 1000), None, None),
    }
    assert list(action_learning_set.set_memberships.values_list("membership", flat=True)) == [member.membership_id]


# Which participants a set's rows may name: the checks the database would otherwise make with an error.


def test_set_admin_refuses_a_participant_already_in_another_set_of_the_cohort(admin_client):
    action_learning_set = ActionLearningSetFactory()
    elsewhere = SetMembershipFactory(action_learning_set=ActionLearningSetFactory(cohort=action_learning_set.cohort))
    response = admin_client.post(
        reverse(CHANGE, args=[action_learning_set.pk]),
        _set_post(action_learning_set, [{"membership": elsewhere.membership_id}]),
    )
    assert response.status_code == 200
    assert _members_formset(response).errors[0] == {
        "__all__": ["Set membership with this Cohort and Membership already exists."]
    }
    assert not action_learning_set.set_memberships.exists()


def test_set_admin_refuses_the_same_participant_twice(admin_client):
    action_learning_set = ActionLearningSetFactory()
    chosen = MembershipFactory(cohort=action_learning_set.cohort, person__full_name="Bryn Kane")
    response = admin_client.post(
        reverse(CHANGE, args=[action_learning_set.pk]),
        _set_post(action_learning_set, [{"membership": chosen.pk}, {"membership": chosen.pk}]),
    )
    assert response.status_code == 200
    assert _members_formset(response).non_form_errors() == ["Bryn Kane is in the list more than once."]
    assert not action_learning_set.set_memberships.exists()


def test_set_admin_refuses_a_participant_of_another_cohort(admin_client):
    action_learning_set = ActionLearningSetFactory()
    stranger = MembershipFactory()
    response = admin_client.post(
        reverse(CHANGE, args=[action_learning_set.pk]),
        _set_post(action_learning_set, [{"membership": stranger.pk}]),
    )
    assert response.status_code == 200
    assert _members_formset(response).errors[0] == {"__all__": ["The participant belongs to another cohort."]}
    assert not action_learning_set.set_memberships.exists()
