"""An empty form drawn by crispy-forms once per process for what it shows, not on every request.

Drawing a form through crispy-forms' field templates was a third to more than half of some form
pages' time (issue 14: the survey and PDSA pages, the project, PDSA cycle and set meeting forms). An
unbound form without errors shows only what its fields say, so its HTML is kept under all of that:
each field's type, widget, label, help text, value, choices (a model choice field's rows are read
once, here, and drawn from that list), whether it is required, disabled or shows a hidden initial
value, its widget's attributes; the form's class, prefix, ids and label suffix; the language, the
time zone and the script prefix. A form that was sent (bound) or carries errors (a stale save's
message) is drawn on each request. As with ``common.drawn``, a change is another key: nothing is
invalidated, nothing is shown stale.
"""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django.forms import ModelChoiceField
from django.urls import get_script_prefix
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

from .memo import Memo

_EMPTY_FORMS = Memo(256)


def _plain(value):
    if isinstance(value, list | tuple):
        return tuple(_plain(item) for item in value)
    return str(value)


def _field_shown(form, name) -> tuple:
    field = form.fields[name]
    if isinstance(field, ModelChoiceField):
        # Read once, here, and drawn from this list (a model choice field reads its rows again each
        # time its choices are asked for).
        field.choices = [(str(value), str(label)) for value, label in field.choices]
    choices = getattr(field, "choices", None)
    widget = field.widget
    return (
        name,
        type(field),
        type(widget),
        str(field.label),
        str(field.help_text),
        repr(form[name].value()),
        None if choices is None else _plain(list(choices)),
        field.required,
        field.disabled,
        field.show_hidden_initial,
        _plain(sorted(widget.attrs.items())),
    )


def _key(form, shown) -> tuple:
    return (
        get_language(),
        get_current_timezone_name(),
        get_script_prefix(),
        type(form),
        form.prefix,
        form.auto_id,
        form.label_suffix,
        shown,
    )


def _drawable(form) -> bool:
    return not form.is_bound and not form.errors


def empty_form_drawn(form) -> str | None:
    """``{{ form|crispy }}`` of an unbound form without errors, kept under everything it shows (see
    the module's docstring); None for a bound form or one with errors."""
    if not _drawable(form):
        return None
    key = _key(form, tuple(_field_shown(form, name) for name in form.fields))
    return _EMPTY_FORMS.get_or_make(key, lambda: as_crispy_form(form))


def empty_fields_drawn(form, names) -> dict[str, str] | None:
    """``{{ form.<name>|as_crispy_field }}`` of each of ``names`` of an unbound form without errors,
    each kept as ``empty_form_drawn`` keeps a form; None for a bound form or one with errors."""
    if not _drawable(form):
        return None
    return {
        name: _EMPTY_FORMS.get_or_make(
            _key(form, ("field", _field_shown(form, name))), lambda name=name: as_crispy_field(form[name])
        )
        for name in names
    }


def cache_clear() -> None:
    _EMPTY_FORMS.clear()
