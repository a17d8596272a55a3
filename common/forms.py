from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's sign-in form that, once a rate limit is reached, refuses before checking the password."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "rate_limited": _(
            "Too many sign-in attempts. For your account's safety, please wait 10 minutes and try again, "
            "or ask for a sign-in link by e-mail."
        ),
    }

    def __init__(self, request=None, *args, limited=False, **kwargs):
        self.limited = limited
        super().__init__(request, *args, **kwargs)

    def clean(self):
        if self.limited:
            raise ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        return super().clean()


def form_add_service_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names where the form has that
    field, otherwise among the form's own (non-field) errors."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
