import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse

from common.templatetags.row_urls import RowURL


@pytest.mark.parametrize("pk", [1, 7, 701, 26619, 918273645546372819])
def test_row_url_for_row_is_what_reverse_gives(pk):
    row_url = RowURL("cohorts:participant_update", "membership_pk", {"cohort_pk": 701})
    assert row_url.for_row(pk) == reverse("cohorts:participant_update", kwargs={"cohort_pk": 701, "membership_pk": pk})


def test_row_url_with_the_row_id_in_two_places_of_the_url():
    # The cohort's own id equal to a row's id: only the row's place changes.
    row_url = RowURL("cohorts:participant_update", "membership_pk", {"cohort_pk": 5})
    assert row_url.for_row(5) == reverse("cohorts:participant_update", kwargs={"cohort_pk": 5, "membership_pk": 5})
    assert row_url.for_row(6) == reverse("cohorts:participant_update", kwargs={"cohort_pk": 5, "membership_pk": 6})


def test_row_url_refuses_a_kwarg_the_url_does_not_have():
    with pytest.raises(NoReverseMatch):
        RowURL("cohorts:participant_update", "nothing_pk", {"cohort_pk": 5})


def test_row_url_refuses_a_row_id_that_is_not_a_number():
    row_url = RowURL("cohorts:participant_update", "membership_pk", {"cohort_pk": 5})
    with pytest.raises(ValueError, match="invalid literal"):
        row_url.for_row("1/../../admin")


def test_row_url_tags_in_a_template_give_each_row_its_link():
    template = Template(
        "{% load row_urls %}"
        '{% row_url "cohorts:participant_withdraw" each="membership_pk" cohort_pk=cohort_pk as url %}'
        '{% for pk in pks %}<a href="{{ url|for_row:pk }}">{{ pk }}</a>{% endfor %}'
    )
    html = template.render(Context({"cohort_pk": 3, "pks": [10, 20]}))
    expected = "".join(
        f'<a href="{reverse("cohorts:participant_withdraw", kwargs={"cohort_pk": 3, "membership_pk": pk})}">{pk}</a>'
        for pk in (10, 20)
    )
    assert html == expected
