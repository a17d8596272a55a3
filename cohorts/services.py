import datetime
import re
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import Action, audit_bulk

from .imports import ImportCheck, participant_rows_check
from .models import Cohort, Membership, Organisation, Person, Programme
from .signals import membership_withdrawn


@transaction.atomic
def cohort_create(
    *,
    programme: Programme,
    commissioner: Organisation,
    name: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    facilitators: list[Person] = (),
    status: str = Cohort.Status.PLANNED,
) -> Cohort:
    """Create a cohort with its facilitators. (With its six modules: modules.services.cohort_create_from_programme.)"""
    cohort = Cohort(
        programme=programme,
        commissioner=commissioner,
        name=name,
        start_date=start_date,
        end_date=end_date,
        status=status,
    )
    cohort.full_clean()
    cohort.save()
    for person in facilitators:
        membership_add(cohort=cohort, person=person, role=Membership.Role.FACILITATOR)
    return cohort


# -- accounts for sign-in links ---------------------------------------------------------------
# Every member signs in with a link e-mailed to them (accounts), which needs a django.contrib.auth
# user: one is made whenever someone joins a cohort. It has no usable password and a username
# derived from the e-mail address; it is never an existing account found by address, which
# could be a staff account made for another purpose.

USERNAME_MAX_LENGTH = 150
# What Django's username validator allows; anything else in an address becomes "_".
_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


def username_from_email(email: str) -> str:
    return _USERNAME_UNSAFE.sub("_", email.strip().lower())[:USERNAME_MAX_LENGTH]


def _usernames_free(emails: list[str]) -> list[str]:
    """A username for each address, free in the database and within the list (one query)."""
    bases = [username_from_email(email) for email in emails]
    taken = set(get_user_model().objects.filter(username__in=bases).values_list("username", flat=True))
    names = []
    for base in bases:
        name = base
        while name in taken:
            name = f"{base[: USERNAME_MAX_LENGTH - 9]}-{secrets.token_hex(4)}"
        taken.add(name)
        names.append(name)
    return names


def _account_for(person: Person, username: str):
    first, _space, last = person.full_name.removeprefix("Dr ").partition(" ")
    user = get_user_model()(username=username, email=person.email, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    return user


def people_users_ensure(*, people: list[Person]) -> None:
    """Give each of these (saved) people without an account one: a user with no usable password
    and a username from their e-mail. A handful of queries, whatever the number of people."""
    without = [person for person in people if person.user_id is None]
    if not without:
        return
    users = [
        _account_for(person, username)
        for person, username in zip(without, _usernames_free([p.email for p in without]), strict=True)
    ]
    try:
        with transaction.atomic():
            get_user_model().objects.bulk_create(users)
            for person, user in zip(without, users, strict=True):
                person.user = user
            Person.objects.bulk_update(without, ["user"])
    except IntegrityError as error:
        # Someone took one of these usernames, or gave one of these people an account, meanwhile.
        raise ValidationError(
            _("Accounts were being made for the same people at the same moment; please try again."),
            code="concurrent_change",
        ) from error


def person_user_ensure(*, person: Person):
    """The person's account, made now if they have none (see ``people_users_ensure``)."""
    people_users_ensure(people=[person])
    return person.user


@transaction.atomic
def membership_add(*, cohort: Cohort, person: Person, role: str = Membership.Role.PARTICIPANT) -> Membership:
    """Put a person in a cohort, with an account to sign in with; adding someone already there
    returns their membership unchanged."""
    membership, _created = Membership.objects.get_or_create(cohort=cohort, person=person, defaults={"role": role})
    person_user_ensure(person=person)
    return membership


@transaction.atomic
def membership_withdraw(*, membership: Membership, on: datetime.date | None = None) -> Membership:
    """Mark a membership withdrawn on a date (today by default) and tell higher apps
    (``signals.membership_withdrawn``: projects takes them out of their action-learning set);
    attendance and survey history are kept."""
    if not membership.is_active:
        raise ValidationError(_("%(name)s has already withdrawn.") % {"name": membership.person.full_name})
    membership.status = Membership.Status.WITHDRAWN
    membership.withdrawn_on = on or timezone.localdate()
    membership.save(update_fields=["status", "withdrawn_on", "updated_at"])
    membership_withdrawn.send(sender=Membership, membership=membership)
    return membership


def membership_reinstate(*, membership: Membership) -> Membership:
    """Make a withdrawn membership active again."""
    membership.status = Membership.Status.ACTIVE
    membership.withdrawn_on = None
    membership.save(update_fields=["status", "withdrawn_on", "updated_at"])
    return membership


@transaction.atomic
def cohort_details_update(
    *,
    cohort: Cohort,
    name: str,
    start_date: datetime.date,
    end_date: datetime.date | None,
    status: str,
    survey_audience: str,
) -> Cohort:
    """Change a cohort's details. (Moving its planned modules along: modules.services.cohort_update.)"""
    cohort.name = name
    cohort.start_date = start_date
    cohort.end_date = end_date
    cohort.status = status
    cohort.survey_audience = survey_audience
    cohort.full_clean()
    cohort.save()
    return cohort


def person_find_by_email(email: str) -> Person | None:
    return Person.objects.filter(email__iexact=email.strip()).first()


def person_fill_blanks(
    *,
    person: Person,
    job_title: str = "",
    profession: str = "",
    team: str = "",
    organisation: Organisation | None = None,
) -> Person:
    """Complete an existing person's record without overwriting anything already known."""
    changed = []
    if job_title and not person.job_title:
        person.job_title = job_title
        changed.append("job_title")
    if profession and profession != Person.Profession.OTHER and person.profession == Person.Profession.OTHER:
        person.profession = profession
        changed.append("profession")
    if team and not person.team:
        person.team = team
        changed.append("team")
    if organisation is not None and person.organisation_id is None:
        person.organisation = organisation
        changed.append("organisation")
    if changed:
        person.save(update_fields=[*changed, "updated_at"])
    return person


def _already_in_cohort_error(membership: Membership) -> ValidationError:
    if membership.role != Membership.Role.PARTICIPANT:
        message = _("%(name)s is already in this cohort as %(role)s.")
    elif not membership.is_active:
        message = _("%(name)s is already in this cohort but withdrawn; reinstate them from the participants list.")
    else:
        message = _("%(name)s is already a participant in this cohort.")
    return ValidationError(
        {"email": message % {"name": membership.person.full_name, "role": membership.get_role_display().lower()}},
        code="already_in_cohort",
    )


@transaction.atomic
def participant_add(
    *,
    cohort: Cohort,
    full_name: str,
    email: str,
    job_title: str = "",
    profession: str = Person.Profession.OTHER,
    team: str = "",
    organisation: Organisation | None = None,
) -> tuple[Membership, bool]:
    """Add a participant by e-mail: reuse the person with that e-mail (filling their blanks) or create them.

    Returns the new membership and whether a new person was created. Raises ValidationError
    when the person is already in the cohort.
    """
    person = person_find_by_email(email)
    created = person is None
    if person is None:
        person = Person(
            full_name=full_name.strip(),
            email=email,
            job_title=job_title.strip(),
            profession=profession or Person.Profession.OTHER,
            team=team.strip(),
            organisation=organisation,
        )
        person.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError as error:
            # Someone added the same e-mail between our look-up and this insert.
            raise ValidationError(
                {"email": _("A person with this e-mail was added at the same moment; please try again.")}
            ) from error
    else:
        existing = Membership.objects.filter(cohort=cohort, person=person).select_related("person").first()
        if existing is not None:
            raise _already_in_cohort_error(existing)
        person_fill_blanks(
            person=person,
            job_title=job_title.strip(),
            profession=profession,
            team=team.strip(),
            organisation=organisation,
        )
    membership = Membership.objects.create(cohort=cohort, person=person, role=Membership.Role.PARTICIPANT)
    person_user_ensure(person=person)
    return membership, created


@transaction.atomic
def participants_import(*, cohort: Cohort, rows: list[dict]) -> ImportCheck:
    """Add every participant of a checked registration list, or none of them.

    The rows are checked again here (the people may have changed since the preview); if any
    row has an error, ValidationError is raised and nothing is written. Rows for people
    already in the cohort are skipped. Writes in bulk: a few queries for 500 rows.
    """
    check = participant_rows_check(cohort=cohort, rows=rows)
    if check.has_errors:
        raise ValidationError(
            _("%(count)s rows have errors; nothing was imported.") % {"count": check.error_count}, code="rows_invalid"
        )
    new_people, people = [], []
    for row in check.to_add:
        person = row.person
        if person is None:
            person = Person(
                full_name=row.full_name,
                email=row.email.strip().lower(),
                job_title=row.job_title,
                profession=row.profession or Person.Profession.OTHER,
                team=row.team,
                organisation=row.organisation,
            )
            new_people.append(person)
        else:
            person_fill_blanks(
                person=person,
                job_title=row.job_title,
                profession=row.profession,
                team=row.team,
                organisation=row.organisation,
            )
        people.append(person)
    try:
        with transaction.atomic():
            Person.objects.bulk_create(new_people)
            memberships = Membership.objects.bulk_create(
                [Membership(cohort=cohort, person=person, role=Membership.Role.PARTICIPANT) for person in people]
            )
    except IntegrityError as error:
        # Someone added one of these people, or put them in the cohort, while we were importing.
        raise ValidationError(
            _("The people in this cohort changed while importing; nothing was imported. Please try again."),
            code="concurrent_change",
        ) from error
    _import_audit(people=new_people, memberships=memberships)
    people_users_ensure(people=people)
    return check


PERSON_IMPORTED_FIELDS = ("full_name", "email", "job_title", "profession", "team")


def _import_audit(*, people: list[Person], memberships: list[Membership]) -> None:
    """Bulk writes send no signals, so auditlog would not see them: recorded here."""
    audit_bulk(
        model=Person,
        rows=[
            (
                p.pk,
                str(p),
                {field: [None, getattr(p, field)] for field in PERSON_IMPORTED_FIELDS}
                | {"organisation": [None, p.organisation_id]},
            )
            for p in people
        ],
        action=Action.CREATE,
    )
    audit_bulk(
        model=Membership,
        rows=[
            (
                m.pk,
                f"{m.person} ({m.get_role_display()}, {m.cohort})",
                {"cohort": [None, m.cohort_id], "person": [None, m.person_id], "role": [None, m.role]},
            )
            for m in memberships
        ],
        action=Action.CREATE,
    )


def person_email_editable(*, person: Person, cohort: Cohort, user, beyond_participant: bool | None = None) -> bool:
    """Whether ``user``, working in ``cohort``, may change this person's e-mail.

    Sign-in links go to that address, so changing it hands over the person's account. A facilitator
    may do that only for someone who is nothing more than a participant of this cohort; for anyone
    who also facilitates, belongs to another cohort or has a staff account, only staff may.
    ``beyond_participant``: whether the person has such another membership, where the caller read it
    with the person (``cohorts.selectors.participant_get``); None reads it here.
    """
    if user.is_staff:
        return True
    account = person.user
    if account is not None and (account.is_staff or account.is_superuser):
        return False
    if beyond_participant is None:
        beyond_participant = person.memberships.beyond_participant_of(cohort.pk).exists()
    return not beyond_participant


@transaction.atomic
def person_update(
    *,
    person: Person,
    full_name: str,
    email: str,
    job_title: str = "",
    profession: str = Person.Profession.OTHER,
    team: str = "",
    organisation: Organisation | None = None,
) -> Person:
    """Change a person's details (they are the same in every cohort the person is in).

    Raises ValidationError on the e-mail field when another person has that address (compared
    case-insensitively, as the database constraint does). A linked account whose e-mail was the
    person's old address follows the change, so that sign-in links and password resets reach the
    new address; a username made from the old address follows too, where the new one is free.
    """
    email = email.strip().lower()
    old_email = person.email
    if email != old_email and Person.objects.filter(email__iexact=email).exclude(pk=person.pk).exists():
        raise ValidationError({"email": _("Another person already has this e-mail address.")}, code="email_taken")
    person.full_name = full_name.strip()
    person.email = email
    person.job_title = job_title.strip()
    person.profession = profession or Person.Profession.OTHER
    person.team = team.strip()
    person.organisation = organisation
    person.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as error:
        # Someone gave another person this e-mail between our look-up and this update.
        raise ValidationError(
            {"email": _("Another person already has this e-mail address.")}, code="email_taken"
        ) from error
    account = person.user
    if account is not None and email != old_email and account.email.strip().lower() in (old_email, ""):
        account.email = email
        changed = ["email"]
        if account.username == username_from_email(old_email):
            new_username = username_from_email(email)
            if not get_user_model().objects.filter(username=new_username).exclude(pk=account.pk).exists():
                account.username = new_username
                changed.append("username")
        account.save(update_fields=changed)
    return person
