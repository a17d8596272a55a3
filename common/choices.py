"""Drop-downs of many rows drawn once per process for what they list (issue 14).

Django draws each ``<option>`` of a ``Select`` through two included templates, and a
``ModelChoiceField`` builds a model instance (and its related rows) for each option: a drop-down of a
cohort's 120 members or of 100 organisations was most of its page's time. Here the choices are read
on every request, as plain ``(pk, label)`` rows in one query, and the options' HTML is drawn from
those rows and the selected value alone (``common.drawn``), so a changed row is another drawing and
nothing shown is ever stale. The HTML is Django's own, character for character; validation is
``ModelChoiceField``'s (the queryset, on the submitted value).
"""

from django import forms
from django.template.loader import get_template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from .drawn import drawn


class DrawnSelect(forms.Select):
    """Django's ``Select``, its options drawn by ``common/widgets/_select_options.html`` through
    ``common.drawn``. Choices in groups are drawn by Django's templates, as before."""

    template_name = "common/widgets/select.html"
    OPTIONS_TEMPLATE = "common/widgets/_select_options.html"

    def get_context(self, name, value, attrs):
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return super().get_context(name, value, attrs)
        context = forms.Widget.get_context(self, name, value, attrs)
        selected = context["widget"]["value"]
        options, found = [], False
        for option_value, label in choices:
            option_value = "" if option_value is None else str(option_value)
            chosen = not found and option_value in selected
            found |= chosen
            # Escaped here as the option template would escape them, so that a label already safe
            # stays unescaped and the key tells the two apart.
            options.append((conditional_escape(option_value), conditional_escape(label), chosen))
        context["widget"]["options"] = drawn(self.OPTIONS_TEMPLATE, {"options": options})
        return context

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        if "options" not in context["widget"]:
            return self._render(forms.Select.template_name, context, renderer)
        # The project's templates, not the form renderer's (which sees only Django's own).
        return mark_safe(get_template(self.template_name).render(context).strip())  # noqa: S308 - escaped by the template


class RowsChoiceIterator(forms.models.ModelChoiceIterator):
    """A ``ModelChoiceField``'s choices as ``(pk, label)`` rows read in one query (``values_list`` of
    the field's ``label_lookup``), once per form, instead of a model instance per option."""

    def __init__(self, field):
        super().__init__(field)
        self._rows = None

    def rows(self):
        if self._rows is None:
            self._rows = list(self.queryset.values_list("pk", self.field.label_lookup))
        return self._rows

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.rows()

    def __len__(self):
        return len(self.rows()) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.rows())


class _ReadAsRows:
    iterator = RowsChoiceIterator
    label_lookup = "name"

    @classmethod
    def with_label(cls, label_lookup: str) -> type:
        """The field class labelling its options with ``label_lookup`` (for a ModelForm's
        ``Meta.field_classes``)."""
        return type(cls.__name__, (cls,), {"label_lookup": label_lookup})


class RowsModelChoiceField(_ReadAsRows, forms.ModelChoiceField):
    """A ``ModelChoiceField`` whose option labels are one column (``label_lookup``, which must give
    what ``label_from_instance`` would: ``"name"`` where ``__str__`` returns the name), drawn by
    ``DrawnSelect``."""

    widget = DrawnSelect


class RowsModelMultipleChoiceField(_ReadAsRows, forms.ModelMultipleChoiceField):
    """A ``ModelMultipleChoiceField`` whose choices are read as ``RowsModelChoiceField``'s are (its
    widget, often check boxes, is left as it is)."""
