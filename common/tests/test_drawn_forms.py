"""common.drawn_forms: an empty form's crispy drawing, kept for exactly what it shows."""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django import forms
from django.urls import set_script_prefix
from django.utils import translation

from common import drawn_forms


class _Form(forms.Form):
    title = forms.CharField(label="Title", max_length=50)
    kind = forms.ChoiceField(choices=[("a", "Apple"), ("b", "Banana")])

    def __init__(self, *args, label="Title", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].label = label


def setup_function():
    drawn_forms.cache_clear()


def test_an_empty_form_is_crispys_drawing_and_is_kept():
    first = drawn_forms.empty_form_drawn(_Form())
    assert first == as_crispy_form(_Form())
    assert drawn_forms.empty_form_drawn(_Form()) is first


def test_anything_a_field_shows_is_another_drawing():
    plain = drawn_forms.empty_form_drawn(_Form())
    relabelled = drawn_forms.empty_form_drawn(_Form(label="Name"))
    with_value = drawn_forms.empty_form_drawn(_Form(initial={"title": "Leading change"}))
    prefixed = drawn_forms.empty_form_drawn(_Form(prefix="other"))

    assert 'Name<span class="asteriskField">*</span>' in relabelled
    assert 'value="Leading change"' in with_value
    assert 'name="other-title"' in prefixed
    assert len({plain, relabelled, with_value, prefixed}) == 4


def test_a_bound_form_or_one_with_errors_is_not_drawn_from_the_store():
    assert drawn_forms.empty_form_drawn(_Form({"title": ""})) is None
    with_error = _Form()
    with_error.cleaned_data = {}
    with_error.add_error(None, "Someone else saved this first.")
    assert drawn_forms.empty_form_drawn(with_error) is None
    assert drawn_forms.empty_fields_drawn(with_error, ["title"]) is None


def test_fields_are_drawn_one_by_one_as_crispy_draws_them():
    drawn = drawn_forms.empty_fields_drawn(_Form(), ["title", "kind"])
    form = _Form()
    assert drawn == {"title": as_crispy_field(form["title"]), "kind": as_crispy_field(form["kind"])}


def test_language_and_script_prefix_are_part_of_the_key():
    english = drawn_forms.empty_form_drawn(_Form())
    with translation.override("de"):
        assert drawn_forms.empty_form_drawn(_Form()) is not english
    try:
        set_script_prefix("/lc/")
        assert drawn_forms.empty_form_drawn(_Form()) is not english
    finally:
        set_script_prefix("/")
    assert drawn_forms.empty_form_drawn(_Form()) is english
