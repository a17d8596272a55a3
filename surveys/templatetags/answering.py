"""Template helpers of the answering page."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def option_input(option) -> str:
    """The ``<input>`` of one radio button or checkbox of a choice field (a ``BoundWidget``), exactly
    as ``option.tag`` writes it through Django's widget templates (``radio_option.html``,
    ``input_option.html``, ``input.html``, ``attrs.html``), without rendering four templates per
    option: a survey's form has 50-80 options, and that rendering was a quarter of a participant's
    whole submit journey. ``surveys/tests/test_form_pages.py`` checks the two agree."""
    data = option.data
    parts = [f'<input type="{conditional_escape(data["type"])}" name="{conditional_escape(data["name"])}"']
    if data["value"] is not None:
        parts.append(f' value="{conditional_escape(str(data["value"]))}"')
    for name, value in data["attrs"].items():
        if value is False:
            continue
        parts.append(f" {conditional_escape(name)}")
        if value is not True:
            parts.append(f'="{conditional_escape(str(value))}"')
    parts.append(">")
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above
