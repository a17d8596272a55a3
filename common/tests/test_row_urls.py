import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse

from common.templatetags.row_urls import MARKER, RowURL, row_url


@pytest.mark.parametrize("pk", [1, 7, 701, 26619, 918273645546372819])
def test_row_url_for_row_is_what_reverse_gives(pk):
    url = row_url("cohorts:participant_update", each="membership_pk", cohort_pk=701)
    assert url.for_row(pk) == reverse("cohorts:participant_update", kwargs={"cohort_pk": 701, "membership_pk": pk})


def test_row_url_with_the_row_id_in_two_places_of_the_url():
    # The cohort's own id equal to a row's id: only the row's place changes.
    url = row_url("cohorts:participant_update", each="membership_pk", cohort_pk=5)
    assert url.for_row(5) == reverse("cohorts:participant_update", kwargs={"cohort_pk": 5, "membership_pk": 5})
    assert url.for_row(6) == reverse("cohorts:participant_update", kwargs={"cohort_pk": 5, "membership_pk": 6})


def test_row_url_refuses_a_kwarg_the_url_does_not_have():
    with pytest.raises(NoReverseMatch):
        row_url("cohorts:participant_update", each="nothing_pk", cohort_pk=5)


def test_row_url_refuses_a_url_without_the_marker_once():
    with pytest.raises(ValueError, match="must appear once"):
        RowURL("/cohorts/5/participants/6/edit/")
    with pytest.raises(ValueError, match="must appear once"):
        RowURL(f"/cohorts/{MARKER}/participants/{MARKER}/edit/")


def test_row_url_refuses_a_row_id_that_is_not_a_number():
    url = row_url("cohorts:participant_update", each="membership_pk", cohort_pk=5)
    with pytest.raises(ValueError, match="invalid literal"):
        url.for_row("1/../../admin")


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
