"""Writes of the participants' way in: e-mailed sign-in links (django-sesame)."""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from cohorts.models import Membership, Person
from cohorts.services import person_user_ensure
from common.outbox import outbox_enqueue

from .mail import KIND_SIGN_IN_LINK

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
