import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from cohorts.models import Organisation
from common.choices import DrawnSelect, RowsModelChoiceField, RowsModelMultipleChoiceField

pytestmark = pytest.mark.django_db

CHOICES = [
    ("", "(none)"),
    (None, "nothing"),
    (1, "One & <two>"),
    ('a"b', mark_safe("<b>safe</b>")),  # a label already safe stays unescaped
    ("x", gettext_lazy("Other")),
    (1, "the same value again: only the first is selected"),
]


@pytest.mark.parametrize("value", [None, "", 1, "1", 'a"b', "missing"])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_x", "required": True, "aria-describedby": "id_x_helptext", "class": "form-select"}]
)
def test_drawn_select_draws_djangos_html(value, attrs):
    expected = forms.Select(choices=CHOICES).render("x", value, attrs)
    assert DrawnSelect(choices=CHOICES).render("x", value, attrs) == expected
    assert DrawnSelect(choices=CHOICES).render("x", value, attrs) == expected  # drawn once, then kept


def test_drawn_select_draws_groups_as_django():
    grouped = [("", "---"), ("Group", [(1, "one"), (2, "two")]), (3, "three")]
    assert DrawnSelect(choices=grouped).render("x", 2) == forms.Select(choices=grouped).render("x", 2)


def test_drawn_select_shows_a_changed_label_at_once():
    assert ">Old<" in DrawnSelect(choices=[(1, "Old")]).render("x", 1)
    assert ">New<" in DrawnSelect(choices=[(1, "New")]).render("x", 1)


class _OrganisationForm(forms.Form):
    model_choice = forms.ModelChoiceField(Organisation.objects.order_by("name"), required=False, empty_label="(none)")
    rows_choice = RowsModelChoiceField(Organisation.objects.order_by("name"), required=False, empty_label="(none)")


def test_rows_model_choice_field_shows_and_validates_as_model_choice_field(django_assert_num_queries):
    first = Organisation.objects.create(name="B & Co", kind=Organisation.Kind.PROVIDER)
    Organisation.objects.create(name="A <trust>", kind=Organisation.Kind.PROVIDER)
    form = _OrganisationForm(initial={"model_choice": first.pk, "rows_choice": first.pk})
    expected = str(form["model_choice"]).replace("model_choice", "rows_choice")
    with django_assert_num_queries(1):  # the rows once, though the widget asks twice (required, options)
        assert str(form["rows_choice"]) == expected
    bound = _OrganisationForm(data={"model_choice": str(first.pk), "rows_choice": str(first.pk)})
    assert bound.is_valid()
    assert bound.cleaned_data["rows_choice"] == first
    refused = _OrganisationForm(data={"model_choice": "0", "rows_choice": "0"})
    assert not refused.is_valid()
    assert refused.errors["rows_choice"] == refused.errors["model_choice"]


class _OrganisationsForm(forms.Form):
    model_choice = forms.ModelMultipleChoiceField(
        Organisation.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple
    )
    rows_choice = RowsModelMultipleChoiceField(
        Organisation.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple
    )


def test_rows_model_multiple_choice_field_shows_and_validates_as_model_multiple_choice_field():
    first, second = (
        Organisation.objects.create(name=name, kind=Organisation.Kind.PROVIDER) for name in ("B & Co", "A <trust>")
    )
    form = _OrganisationsForm(initial={"model_choice": [first], "rows_choice": [first]})
    assert str(form["rows_choice"]) == str(form["model_choice"]).replace("model_choice", "rows_choice")
    bound = _OrganisationsForm(data={"model_choice": [first.pk, second.pk], "rows_choice": [first.pk, second.pk]})
    assert bound.is_valid()
    assert set(bound.cleaned_data["rows_choice"]) == {first, second}
    refused = _OrganisationsForm(data={"model_choice": ["0"], "rows_choice": ["0"]})
    assert not refused.is_valid()
    assert refused.errors["rows_choice"] == refused.errors["model_choice"]


def test_with_label_labels_the_options_with_that_column():
    Organisation.objects.create(name="Trust", kind=Organisation.Kind.PROVIDER)
    field = RowsModelChoiceField.with_label("kind")(Organisation.objects.all())
    assert list(field.choices)[1][1] == Organisation.Kind.PROVIDER
    assert issubclass(RowsModelMultipleChoiceField.with_label("kind"), RowsModelMultipleChoiceField)
