"""The inline widgets that read every row's selected object in one query draw what Django's draw."""

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, ForeignKeyRawIdWidget
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from cohorts.admin import CohortMembershipInline
from cohorts.models import Cohort, Membership, Person
from cohorts.tests.factories import CohortFactory, MembershipFactory, PersonFactory
from common.admin_inlines import SelectedObjectsAutocompleteSelect, SelectedObjectsRawIdWidget
from projects.models import SetMembership

pytestmark = pytest.mark.django_db


def _autocomplete(widget_class, *, required):
    widget = widget_class(Membership._meta.get_field("person"), admin.site)
    # The field gives its copy of the widget its choices (the queryset and the labels).
    return forms.ModelChoiceField(queryset=Person.objects.all(), widget=widget, required=required).widget


@pytest.mark.parametrize("required", [True, False])
def test_autocomplete_select_draws_djangos_options_from_one_query(required, django_assert_num_queries):
    people = PersonFactory.create_batch(3)
    values = [person.pk for person in people] + [None, "", people[-1].pk + 1000]
    ours = _autocomplete(SelectedObjectsAutocompleteSelect, required=required)
    django = _autocomplete(AutocompleteSelect, required=required)
    ours.selected = ours.selected_objects(values)
    expected = [django.render("person", value) for value in values]
    with django_assert_num_queries(1):
        drawn = [ours.render("person", value) for value in values]
    assert drawn == expected
    assert f">{people[0].full_name}</option>" in drawn[0].replace("&#x27;", "'")


def _raw_id(widget_class, **kwargs):
    return widget_class(SetMembership._meta.get_field("membership").remote_field, admin.site, **kwargs)


def test_raw_id_widget_draws_djangos_labels_from_one_query(django_assert_num_queries):
    members = MembershipFactory.create_batch(3)
    # A typed-in id of nobody, and text that is no id at all, get no label (as with Django's widget).
    values = [member.pk for member in members] + [members[-1].pk + 1000, "abc", ""]
    ours = _raw_id(SelectedObjectsRawIdWidget, select_related=("person", "cohort"))
    ours.selected = ours.selected_objects(values)
    expected = [_raw_id(ForeignKeyRawIdWidget).render("membership", value) for value in values]
    with django_assert_num_queries(1):
        drawn = [ours.render("membership", value) for value in values]
    assert drawn == expected
    assert f"/admin/cohorts/membership/{members[0].pk}/change/" in drawn[0]


def test_widgets_outside_a_formset_look_up_as_djangos_do():
    member = MembershipFactory()
    autocomplete = _autocomplete(SelectedObjectsAutocompleteSelect, required=True)
    raw_id = _raw_id(SelectedObjectsRawIdWidget)
    assert autocomplete.render("person", member.person_id) == _autocomplete(AutocompleteSelect, required=True).render(
        "person", member.person_id
    )
    assert raw_id.render("membership", member.pk) == _raw_id(ForeignKeyRawIdWidget).render("membership", member.pk)


class _PlainMembershipInline(admin.TabularInline):
    """The cohort's members inline with Django's own widgets and formset, to compare with."""

    model = Membership
    fk_name = "cohort"
    fields = CohortMembershipInline.fields
    readonly_fields = CohortMembershipInline.readonly_fields
    autocomplete_fields = CohortMembershipInline.autocomplete_fields
    extra = 0


def _posted_formset(inline_class, cohort, request):
    members = list(cohort.memberships.all())
    data = {
        "memberships-TOTAL_FORMS": str(len(members)),
        "memberships-INITIAL_FORMS": str(len(members)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for index, member in enumerate(members):
        data.update(
            {
                f"memberships-{index}-id": member.pk,
                f"memberships-{index}-cohort": cohort.pk,
                f"memberships-{index}-person": member.person_id,
                f"memberships-{index}-role": Membership.Role.FACILITATOR,
                f"memberships-{index}-status": member.status,
                f"memberships-{index}-withdrawn_on": "",
            }
        )
    formset_class = inline_class(Cohort, admin.site).get_formset(request, cohort)
    return formset_class(data=data, instance=cohort, prefix="memberships")


def test_saving_the_inline_costs_no_lookup_beyond_djangos(staff_user):
    request = RequestFactory().post("/admin/")
    request.user = staff_user
    counts = []
    for inline_class in (_PlainMembershipInline, CohortMembershipInline):
        cohort = CohortFactory()
        MembershipFactory.create_batch(3, cohort=cohort)
        formset = _posted_formset(inline_class, cohort, request)
        with CaptureQueriesContext(connection) as saving:
            assert formset.is_valid(), formset.errors
            formset.save()
        counts.append(len(saving.captured_queries))
        assert set(cohort.memberships.values_list("role", flat=True)) == {Membership.Role.FACILITATOR}
    assert counts[1] == counts[0]
