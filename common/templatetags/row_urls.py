"""A link on every row of a long table, reversed once per page instead of once per row.

``{% url %}`` in a loop over a cohort's hundred-odd participants was one of the largest costs of
rendering the cohort page (issue 14). ``row_url`` reverses the URL once with a marker in place of
the row's id; ``for_row`` puts each row's id in its place, the same text ``reverse()`` gives for an
integer id::

    {% load row_urls %}
    {% row_url "cohorts:participant_update" each="membership_pk" cohort_pk=cohort.pk as edit_url %}
    {% for membership in participants %}<a href="{{ edit_url|for_row:membership.pk }}">…</a>{% endfor %}
"""

from django import template
from django.urls import reverse

register = template.Library()

# An id no row has, which cannot be mistaken for another part of a URL.
MARKER = 918273645546372819


class RowURL:
    """A URL reversed with ``MARKER`` as the row's id (``reverse(..., kwargs={..., "pk": MARKER})``);
    ``for_row(pk)`` is that URL for one row. A view that gives each row its URL uses it directly."""

    def __init__(self, url: str):
        self.head, found, self.tail = url.partition(str(MARKER))
        if not found or str(MARKER) in self.tail:
            raise ValueError(f"the row marker must appear once in {url}")

    def for_row(self, pk) -> str:
        return f"{self.head}{int(pk)}{self.tail}"


@register.simple_tag
def row_url(viewname: str, *, each: str, **kwargs) -> RowURL:
    """The URL named ``viewname`` for every row: ``each`` names the URL kwarg that is the row's id."""
    return RowURL(reverse(viewname, kwargs={**kwargs, each: MARKER}))


@register.filter
def for_row(row_url: RowURL, pk) -> str:
    return row_url.for_row(pk)
