"""Writes of the participants' way in: e-mailed sign-in links (django-sesame) and calendar feeds."""

import datetime
import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cohorts.models import Membership, Person
from cohorts.services import person_user_ensure
from common.outbox import outbox_enqueue

from . import selectors
from .calendar import token_hash
from .mail import KIND_SIGN_IN_LINK
from .models import CalendarFeed

logger = logging.getLogger(__name__)


@transaction.atomic
def sign_in_link_send(*, email: str) -> bool:
    """Queue a short-lived, single-use sign-in link for the person with this address if they are an
    active member of a cohort, making their account first if they have none (people put in a cohort
    before accounts were made with them, or through the admin). The mail goes out after commit, from
    a Celery task: a slow or failing mail server never holds up the request. Returns whether a mail
    was queued; callers must not tell the visitor (no account enumeration)."""
    email = email.strip().lower()
    person = (
        Person.objects.filter(email=email, memberships__status=Membership.Status.ACTIVE).select_related("user").first()
    )
    if person is None:
        return False
    if person.user is None:
        try:
            person_user_ensure(person=person)
        except ValidationError:
            # Made at the same moment by another request: that one sends the link.
            logger.info("account for person %s made concurrently; no second link", person.pk)
            return False
    if not person.user.is_active:
        return False
    outbox_enqueue(
        kind=KIND_SIGN_IN_LINK,
        to=person.email,
        target=person.user,
        # Nobody waits for a link longer than it would have worked: a later one is asked for instead.
        expires_in=datetime.timedelta(seconds=settings.SESAME_MAX_AGE),
    )
    return True


# -- the personal calendar feed -------------------------------------------------------------


@transaction.atomic
def calendar_feed_create(*, user) -> str:
    """Make the person's calendar feed address, replacing any earlier one (which stops working).
    Returns the token: it is not stored, only its hash, so the caller shows it once."""
    if not selectors.user_is_active_member(user=user):
        raise ValidationError(_("Only members of a cohort have a calendar of module dates."), code="not_member")
    token = secrets.token_urlsafe(32)  # 256 bits
    CalendarFeed.objects.update_or_create(user=user, defaults={"token_hash": token_hash(token)})
    return token


@transaction.atomic
def calendar_feed_revoke(*, user) -> bool:
    """Switch the person's calendar feed off; returns whether there was one."""
    deleted, _rows = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)
