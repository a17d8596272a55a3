"""The sign-in-link mail, made when it is sent (common.outbox): the link is never stored."""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from sesame import settings as sesame_settings
from sesame.utils import get_token

from common.mail import mail_message, mail_render
from common.outbox import OutboxMessage, outbox_builder

from . import selectors

KIND_SIGN_IN_LINK = "accounts.sign_in_link"


def sign_in_link_message(*, user) -> OutboxMessage:
    """A fresh single-use link for ``user`` in a plain-text and HTML mail to their person's address."""
    token = get_token(user)
    link = (
        settings.SITE_URL.rstrip("/")
        + reverse("accounts:sign_in_link_use")
        + "?"
        + urlencode({sesame_settings.TOKEN_NAME: token})
    )
    person = user.person
    context = {"person": person, "link": link, "minutes": settings.SESAME_MAX_AGE // 60}
    with translation.override(settings.LANGUAGE_CODE):
        mail = mail_render(template="accounts/emails/sign_in_link", context=context)
    message = mail_message(to=person.email, mail=mail, headers={"Auto-Submitted": "auto-generated"})
    return OutboxMessage(message=message, secrets=(token,))


@outbox_builder(KIND_SIGN_IN_LINK)
def sign_in_link_build(row):
    """Still wanted only if the account may still sign in and the address is still the person's."""
    user = row.target
    if user is None or not user.is_active or not selectors.user_is_active_member(user=user):
        return None
    if getattr(user, "person", None) is None or user.person.email != row.to:
        return None
    return sign_in_link_message(user=user)
