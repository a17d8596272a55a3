"""Writes of the participants' way in: e-mailed sign-in links (django-sesame)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from sesame.utils import get_query_string

from cohorts.models import Membership, Person


def sign_in_link_send(*, email: str) -> bool:
    """E-mail a short-lived, single-use sign-in link to the person with this address, if they
    have an account and belong to a cohort. Returns whether a mail was sent; callers must not
    tell the visitor (no account enumeration)."""
    email = email.strip().lower()
    person = (
        Person.objects.filter(
            email=email, user__isnull=False, user__is_active=True, memberships__status=Membership.Status.ACTIVE
        )
        .select_related("user")
        .first()
    )
    if person is None:
        return False
    user = person.user
    link = settings.SITE_URL.rstrip("/") + reverse("accounts:sign_in_link_use") + get_query_string(user)
    context = {"person": person, "link": link, "minutes": settings.SESAME_MAX_AGE // 60}
    message = EmailMultiAlternatives(
        subject=render_to_string("accounts/emails/sign_in_link_subject.txt", context).strip(),
        body=render_to_string("accounts/emails/sign_in_link.txt", context),
        to=[person.email],
        reply_to=settings.EMAIL_REPLY_TO or None,
    )
    message.send()
    return True
