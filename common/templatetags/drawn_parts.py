"""``{% drawn "template.html" name=value ... %}``: a partial drawn once per process for the values
given, through ``common.drawn`` (read its docstring: the values are all the partial may show)."""

from django import template

from common.drawn import drawn as drawn_partial

register = template.Library()


@register.simple_tag(name="drawn")
def drawn_tag(template_name: str, **values):
    return drawn_partial(template_name, values)
