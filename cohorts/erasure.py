"""Erasing a person (UK GDPR art. 17) and anonymising expired contact details (retention).

The person's row and memberships stay, so that every count, mean and NPS already computed stays
right (attendance, invitations, responses keep pointing at a membership or a key); what made the
row someone's goes: name, e-mail, job title, team, organisation, their account's name and e-mail,
the mail log's copies of what was sent to them, and their details in the audit trail.

``person_erase`` sends ``signals.person_erasing`` first: each higher app's receiver removes what
it holds (surveys: free text, the key from answers to the person; evaluation: reflections and
quotes; projects: feedback they wrote; a published report: their quotes). Everything runs in one
transaction, with auditlog's own recording switched off (it would store the old values); one entry
records the erasure itself with counts only.
"""

import datetime
import logging

from auditlog.context import disable_auditlog
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import Action, Event, audit_event, audit_redact
from common.models import SentEmail

from .models import Membership, Person
from .signals import person_erasing

logger = logging.getLogger(__name__)

ERASED_NAME = "Erased person"
ERASED_EMAIL_DOMAIN = "erased.invalid"  # .invalid never resolves (RFC 2606): nothing can be mailed there


def _secrets(person: Person) -> list[str]:
    values = [person.full_name, person.email, person.job_title, person.team]
    user = person.user
    if user is not None:
        values += [user.get_username(), user.email, user.first_name, user.last_name, user.get_full_name()]
    return [v for v in values if v]


def person_anonymise(*, person: Person, now: datetime.datetime) -> dict:
    """Replace everything that names ``person`` (lock the row first). Returns counts, never values."""
    secrets = _secrets(person)
    email = person.email
    membership_ids = list(person.memberships.values_list("pk", flat=True))
    withdrawn = Membership.objects.filter(pk__in=membership_ids, status=Membership.Status.ACTIVE).update(
        status=Membership.Status.WITHDRAWN, withdrawn_on=timezone.localdate(now), updated_at=now
    )
    user = person.user
    if user is not None:
        user.username = f"erased-{user.pk}"
        user.email = user.first_name = user.last_name = ""
        user.is_active = user.is_staff = user.is_superuser = False
        user.set_unusable_password()
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
    person.full_name = ERASED_NAME
    person.email = f"erased-{person.pk}@{ERASED_EMAIL_DOMAIN}"
    person.job_title = person.team = ""
    person.organisation = None
    person.user = None
    person.erased_at = now
    person.save()
    # The mail log keeps that a mail of a kind went out and how it fared; not to whom, nor what it said.
    mails = SentEmail.objects.filter(to__iexact=email).update(
        to=person.email, subject="[erased]", body="", error="", message_id=""
    )
    audited = audit_redact(
        objects=[(Person, [person.pk]), (Membership, membership_ids)]
        + ([(get_user_model(), [user.pk])] if user is not None else []),
        secrets=secrets,
        actor_pk=user.pk if user is not None else None,
    )
    return {"memberships_withdrawn": withdrawn, "mails_redacted": mails, "audit_entries_redacted": audited}


@transaction.atomic
def person_erase(*, person: Person, by=None, now: datetime.datetime | None = None) -> dict:
    """Erase a person: irreversible. Returns what was done, as counts (also the audit entry's content)."""
    now = now or timezone.now()
    person = Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=person.pk)
    if person.erased_at is not None:
        raise ValidationError(_("This person has already been erased."), code="already_erased")
    if by is not None and person.user_id is not None and person.user_id == by.pk:
        raise ValidationError(_("You cannot erase yourself; ask another member of staff."), code="self")
    counts: dict[str, int] = {}
    with disable_auditlog():
        for _receiver, result in person_erasing.send(sender=Person, person=person):
            counts.update(result or {})
        counts.update(person_anonymise(person=person, now=now))
    audit_event(
        obj=person,
        event=Event.ERASURE,
        action=Action.DELETE,
        actor=by,
        repr_=f"Person {person.pk}",
        data={"counts": counts},
    )
    logger.info("person %s erased by %s: %s", person.pk, getattr(by, "pk", None), counts)
    return counts


def people_with_contact_details_expired(*, ended_before: datetime.date):
    """People kept only as participants of cohorts that all ended before the date: their contact
    details have expired. Facilitators and staff keep theirs (they still work with the app)."""
    still_current = Membership.objects.filter(
        Q(cohort__end_date__isnull=True) | Q(cohort__end_date__gte=ended_before) | ~Q(role=Membership.Role.PARTICIPANT)
    )
    return (
        Person.objects.filter(erased_at__isnull=True, memberships__isnull=False)
        .exclude(pk__in=still_current.values("person_id"))
        .exclude(user__is_staff=True)
        .distinct()
    )


def people_contact_details_expire(*, ended_before: datetime.date, now: datetime.datetime) -> int:
    """Anonymise every person whose contact details expired (retention); one transaction each."""
    count = 0
    for pk in list(people_with_contact_details_expired(ended_before=ended_before).values_list("pk", flat=True)):
        with transaction.atomic():
            person = Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=pk)
            if person.erased_at is not None:
                continue
            with disable_auditlog():
                person_anonymise(person=person, now=now)
            audit_event(obj=person, event=Event.RETENTION, repr_=f"Person {pk}", data={"contact_details": "anonymised"})
            count += 1
    return count
