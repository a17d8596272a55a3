"""Optimistic locking for pages two people may edit at once (a register, a project, a PDSA record).

A form carries, in a hidden ``version`` field, a token of what the page showed; the service, under
a row lock, compares it with what is saved now. When they differ, someone else saved in between:
the service raises ``ValidationError(code=STALE)`` and saves nothing, and the view
(``common.views.ServiceFormMixin``) draws the page again from what is saved now, with the message.
No update is lost silently.

A form posted without a token (not one this app drew) is not checked.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

STALE = "stale"
# The version of a record that does not exist yet (a form drawn before anyone saved it).
NO_ROW = "new"
STALE_MESSAGE = _(
    "Someone else saved changes here while you were editing, so yours were not saved. The page now "
    "shows their changes: check them, make yours again and save."
)


class VersionField(forms.CharField):
    """The hidden token of the version a form was drawn from."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=64, **kwargs)


def row_version(instance) -> str:
    """The version of one row: the time of its last save (``TimeStampedModel.updated_at``)."""
    return instance.updated_at.isoformat() if getattr(instance, "updated_at", None) else ""


def check_version(*, current: str, seen: str) -> None:
    """Raise the stale error when the form's token is not the version saved now (call under a lock)."""
    if seen and seen != current:
        raise ValidationError(STALE_MESSAGE, code=STALE)


def check_row_version(*, instance, seen: str):
    """Lock ``instance``'s row, check the form's token against it and return the locked row."""
    locked = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    check_version(current=row_version(locked), seen=seen)
    return locked


def is_stale(error: ValidationError) -> bool:
    return (
        any(getattr(e, "code", None) == STALE for e in error.error_list)
        if hasattr(error, "error_list")
        else any(getattr(e, "code", None) == STALE for errors in error.error_dict.values() for e in errors)
    )
