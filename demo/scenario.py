"""The demo's scenario: the Collective Leadership Programme run for a mental-health trust.

Organisations, the programme and its outline, people and their log-ins, two cohorts with their
modules, memberships, and the attendance of the delivered modules: what every app's own demo
builds on (it spans cohorts and modules, so it lives here in the demo app, above both).

Every person and organisation here is invented. ``populate()`` is idempotent: it looks each
thing up by its natural key (organisation name, e-mail, username, cohort name) and creates
only what is missing, so running it twice gives the same data. Dates are set relative to the
day the cohorts are first created: modules 1-3 of the running cohort lie in the past and are
delivered, module 4 falls within the next fortnight.

Other apps add to the demo with their own ``<app>/demo.py`` exposing ``populate(*, demo)``,
which receives the ``DemoData`` returned here (demo/management/commands/load_demo.py runs them).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone

from cohorts.models import Cohort, Membership, ModuleOutline, Organisation, Person, Programme
from cohorts.services import membership_add
from evaluation.demo_finished import reset_finished
from modules.models import Attendance, Module
from modules.services import attendance_record, cohort_create_from_programme

User = get_user_model()

PROVIDER = "Westmoor Health Innovation Network"
COMMISSIONER = "Tamar Vale Mental Health NHS Foundation Trust"
SECOND_COMMISSIONER = "Brackenmoor Community Health NHS Trust"
PROGRAMME = "Collective Leadership Programme"
COHORT = "Tamar Vale Cohort 1"
SECOND_COHORT = "Brackenmoor Cohort 1"

PROVIDER_DOMAIN = "westmoor-hin.example"
COMMISSIONER_DOMAIN = "tamarvale.example"
SECOND_COMMISSIONER_DOMAIN = "brackenmoor.example"

PROGRAMME_DESCRIPTION = (
    "Six face-to-face modules that bring together inter-disciplinary leaders to strengthen their personal "
    "and team leadership and to lead change across the organisation and the wider system. Participants "
    "complete a short survey after modules 1 to 5 (studied in PDSA cycles), and work in action-learning "
    "sets on an improvement project that they present at the celebration event."
)

# number, title, topics, duration in hours, weeks after the cohort starts, celebration
OUTLINES = [
    (
        1,
        "Team dynamics and collective leadership",
        "What collective leadership means in a mental-health trust and why it matters for safety and "
        "experience of care. Stages of team development and how teams get stuck. Psychological safety "
        "and speaking up. The roles we take in a team under pressure. Introduction to action learning; "
        "forming the action-learning sets.",
        Decimal("7.0"),
        0,
        False,
    ),
    (
        2,
        'Working with complex and "wicked" problems',
        "Tame, complex and wicked problems and the kind of leadership each needs. Sense-making with the "
        "Cynefin framework. Mapping a problem across the whole pathway with systems thinking. Working with "
        "uncertainty and competing priorities. Choosing an improvement project and framing it as a "
        "question; the first action-learning set meeting.",
        Decimal("7.0"),
        5,
        False,
    ),
    (
        3,
        "Coaching skills: Appreciative Inquiry",
        "The Appreciative Inquiry 4-D cycle: Discover, Dream, Design, Deliver. Strengths-based and "
        "generative questions. Active listening and reflecting back. Using Appreciative Inquiry in "
        "supervision, team meetings and service reviews. Practice in coaching triads.",
        Decimal("7.0"),
        9,
        False,
    ),
    (
        4,
        "Coaching conversations: the GROW model (Goal, Reality, Options, Will)",
        "Structuring a coaching conversation with GROW. Goals that people own. Exploring the reality "
        "without judgement. Generating options and agreeing commitment (Will). Coaching when someone is "
        "stuck and in difficult conversations. Triad practice with real workplace scenarios.",
        Decimal("7.0"),
        14,
        False,
    ),
    (
        5,
        "My leadership style and behaviours",
        "Leadership styles and their effect on team climate. Debrief of 360-degree feedback. Values and "
        "compassionate leadership. Managing yourself under pressure and in conflict. A personal "
        "development plan. Action-learning sets prepare their presentations.",
        Decimal("7.0"),
        18,
        False,
    ),
    (
        6,
        "Celebration event: improvement project presentations",
        "Each action-learning set presents its improvement project: the problem, the changes tested in "
        "PDSA cycles, measures and results, and what was learnt. Sponsors and the executive team are "
        "invited. Reflection on the programme, next steps and certificates.",
        Decimal("4.5"),
        23,
        True,
    ),
]

VENUES = {
    1: "Tamar Vale Learning Centre, Riverside House, Seminar Room 2",
    2: "The Quay Conference Rooms, Harbour Road",
    3: "Tamar Vale Learning Centre, Riverside House, Seminar Room 2",
    4: "Moorview Community Hall, Station Lane",
    5: "The Quay Conference Rooms, Harbour Road",
    6: "Westmoor Innovation Hub, Main Hall",
}
SECOND_VENUES = {
    number: "Brackenmoor Education Centre, Seminar Room 1" if number < 6 else VENUES[6] for number in range(1, 7)
}

P = Person.Profession

# full name, job title, profession, team
FACILITATORS = [
    ("Helen Ashworth", "Senior Leadership Development Lead", P.MANAGEMENT, "Leadership and Organisational Development"),
    (
        "Daniel Okafor",
        "Organisational Development Consultant",
        P.PSYCHOLOGY,
        "Leadership and Organisational Development",
    ),
]
SECOND_FACILITATOR = ("Ruth Penrose", "Leadership Programme Lead", P.NURSE, "Leadership and Organisational Development")

PARTICIPANTS = [
    ("Amelia Trethewey", "Ward Manager", P.NURSE, "Harbour View Ward (adult acute inpatient)"),
    ("Marcus Bennett", "Clinical Team Leader", P.NURSE, "Crisis Resolution and Home Treatment Team"),
    ("Priya Chandran", "Community Mental Health Nurse", P.NURSE, "Northfield Community Mental Health Team"),
    ("Gareth Lloyd", "Deputy Ward Manager", P.NURSE, "Moorland Ward (older adult inpatient)"),
    ("Fiona MacLeod", "Clinical Nurse Specialist", P.NURSE, "Memory Assessment Service"),
    ("Tendai Moyo", "Charge Nurse", P.NURSE, "Psychiatric Intensive Care Unit"),
    ("Hannah Pascoe", "Team Leader", P.NURSE, "CAMHS Community Team"),
    ("Kieran Doyle", "Matron, Acute Inpatient Services", P.NURSE, "Inpatient Services"),
    ("Dr Anjali Mehta", "Consultant Psychiatrist", P.MEDICINE, "Eastbrook Community Mental Health Team"),
    ("Dr Tom Whitfield", "Specialty Doctor", P.MEDICINE, "Crisis Resolution and Home Treatment Team"),
    ("Dr Olusegun Adeyemi", "Consultant Child and Adolescent Psychiatrist", P.MEDICINE, "CAMHS Community Team"),
    ("Dr Rebecca Stannard", "Principal Clinical Psychologist", P.PSYCHOLOGY, "Westcombe Community Mental Health Team"),
    ("Dr Yusuf Karim", "Clinical Psychologist", P.PSYCHOLOGY, "Early Intervention in Psychosis Service"),
    ("Laura Jenkins", "Psychological Wellbeing Practitioner Lead", P.PSYCHOLOGY, "NHS Talking Therapies"),
    ("Sian Powell", "Counselling Psychologist", P.PSYCHOLOGY, "Adult Eating Disorders Service"),
    ("Claire Rowe", "Head Occupational Therapist", P.OCCUPATIONAL_THERAPY, "Inpatient Services"),
    ("Joseph Nankervis", "Occupational Therapist", P.OCCUPATIONAL_THERAPY, "Rehabilitation and Recovery Service"),
    ("Megan Hart", "Occupational Therapy Team Lead", P.OCCUPATIONAL_THERAPY, "Memory Assessment Service"),
    ("Jodie Hamlyn", "Advanced Practitioner Team Manager", P.SOCIAL_WORK, "Adult Social Care Mental Health Team"),
    ("Samuel Osei", "Approved Mental Health Professional", P.SOCIAL_WORK, "AMHP Service"),
    ("Natalie Brooks", "Senior Social Worker", P.SOCIAL_WORK, "Northfield Community Mental Health Team"),
    ("Ewan Crawford", "Social Work Lead, Older Adults", P.SOCIAL_WORK, "Older People's Community Mental Health Team"),
    ("Rachel Lim", "Speech and Language Therapist", P.ALLIED_HEALTH, "Community Learning Disability Team"),
    ("Owen Harris", "Physiotherapist", P.ALLIED_HEALTH, "Inpatient Services"),
    ("Kelly-Ann Brewer", "Peer Support Worker Lead", P.PEER_SUPPORT, "Recovery College"),
    ("Liam Foster", "Senior Peer Support Worker", P.PEER_SUPPORT, "Crisis Café"),
    ("Donna Symons", "Service Manager, Community Mental Health", P.MANAGEMENT, "Community Services Directorate"),
    ("Paul Trevena", "Operational Manager, Urgent Care", P.MANAGEMENT, "Urgent and Emergency Care Directorate"),
    ("Zara Ahmed", "Quality Improvement Lead", P.MANAGEMENT, "Quality and Patient Safety"),
    ("Matthew Greaves", "Lead Mental Health Pharmacist", P.OTHER, "Pharmacy"),
]

SECOND_PARTICIPANTS = [
    ("Georgina Hext", "District Nursing Team Leader", P.NURSE, "District Nursing, Southern Locality"),
    ("Imran Qureshi", "Mental Health Liaison Nurse", P.NURSE, "Liaison Psychiatry Service"),
    ("Dr Beatrice Lowe", "Consultant Psychiatrist", P.MEDICINE, "Older People's Mental Health Team"),
    ("Alex Morgan", "Clinical Psychologist", P.PSYCHOLOGY, "Perinatal Mental Health Team"),
    ("Rosie Chapman", "Occupational Therapist", P.OCCUPATIONAL_THERAPY, "Community Rehabilitation Team"),
    ("Victor Nwosu", "Senior Social Worker", P.SOCIAL_WORK, "Integrated Care Team"),
    ("Ellie Vosper", "Peer Support Worker", P.PEER_SUPPORT, "Community Mental Health Team"),
    ("Nathan Coombe", "Service Manager", P.MANAGEMENT, "Community Hospitals"),
    ("Jess Tonkin", "Physiotherapy Team Lead", P.ALLIED_HEALTH, "Community Hospitals"),
    ("Ama Boateng", "Ward Sister", P.NURSE, "Cedar Ward (community hospital)"),
    ("Chris Polglase", "Paramedic Practitioner", P.ALLIED_HEALTH, "Urgent Community Response"),
    ("Lucy Treloar", "Practice Development Lead", P.NURSE, "Education and Workforce"),
]

# Who missed the delivered modules (indexes into PARTICIPANTS); everyone else was present.
MISSED = {
    1: {9: Attendance.Status.APOLOGIES, 24: Attendance.Status.APOLOGIES},
    2: {
        4: Attendance.Status.APOLOGIES,
        17: Attendance.Status.APOLOGIES,
        27: Attendance.Status.APOLOGIES,
        26: Attendance.Status.ABSENT,
    },
    3: {13: Attendance.Status.APOLOGIES, 6: Attendance.Status.ABSENT, 22: Attendance.Status.ABSENT},
}
DELIVERED_MODULES = (1, 2, 3)

# DEMO-ONLY credentials, published in the README: never load the demo into a real system.
FACILITATOR_LOGIN = ("facilitator", "demo-facilitator-2026")
FACILITATOR2_LOGIN = ("facilitator2", "demo-facilitator2-2026")
OTHER_FACILITATOR_LOGIN = ("other-facilitator", "demo-other-facilitator-2026")
PARTICIPANT_LOGIN = ("participant", "demo-participant-2026")
ADMIN_LOGIN = ("admin", "demo-admin-2026")
PARTICIPANT_WITH_LOGIN = "Jodie Hamlyn"

# username, password, who it is
DEMO_LOGINS = [
    (*ADMIN_LOGIN, "superuser: Django admin at /admin/"),
    (*FACILITATOR_LOGIN, f"{FACILITATORS[0][0]}, facilitator of {COHORT}"),
    (*FACILITATOR2_LOGIN, f"{FACILITATORS[1][0]}, facilitator of {COHORT}"),
    (*OTHER_FACILITATOR_LOGIN, f"{SECOND_FACILITATOR[0]}, facilitator of {SECOND_COHORT} only"),
    (*PARTICIPANT_LOGIN, f"{PARTICIPANT_WITH_LOGIN}, participant in {COHORT}"),
]


@dataclass
class DemoData:
    provider: Organisation
    commissioner: Organisation
    second_commissioner: Organisation
    programme: Programme
    cohort: Cohort
    second_cohort: Cohort
    facilitators: list[Membership]
    """The running cohort's two facilitator memberships; ``.person.user`` can log in."""
    participants: list[Membership]
    """The running cohort's 30 participant memberships, in the order of ``PARTICIPANTS``."""
    second_facilitator: Membership
    second_participants: list[Membership]
    users: dict[str, "User"] = field(default_factory=dict)
    """Demo accounts by username: admin, facilitator, facilitator2, other-facilitator, participant."""


def _write(stdout, message):
    if stdout is not None:
        stdout.write(message)


def _email(full_name, domain):
    name = full_name.removeprefix("Dr ").lower().replace("'", "")
    first, *rest = name.split()
    return f"{first}.{'-'.join(rest)}@{domain}"


def _person(row, organisation, domain):
    full_name, job_title, profession, team = row
    person, _ = Person.objects.get_or_create(
        email=_email(full_name, domain),
        defaults={
            "full_name": full_name,
            "job_title": job_title,
            "profession": profession,
            "team": team,
            "organisation": organisation,
        },
    )
    return person


def _user(login, *, person=None, superuser=False):
    username, password = login
    user = User.objects.filter(username=username).first()
    if user is None:
        # The person's own account (made when they joined the cohort) becomes the demo log-in.
        user = person.user if person is not None and person.user is not None else User(username=username)
        user.username = username
    if person is not None:
        first, _, last = person.full_name.removeprefix("Dr ").partition(" ")
        user.first_name, user.last_name, user.email = first, last, person.email
    else:
        user.email = f"{username}@{PROVIDER_DOMAIN}"
    user.is_staff = user.is_superuser = superuser
    user.is_active = True
    if not user.check_password(password):
        user.set_password(password)
    user.save()
    if person is not None and person.user_id != user.pk:
        person.user = user
        person.save(update_fields=["user", "updated_at"])
    return user


def _start_for_running_cohort(today):
    """Fourteen weeks before the last weekday before today, so that module 4 (week 14) has just
    taken place and waits for a facilitator to mark it delivered, which opens its survey."""
    module_4_day = today - datetime.timedelta(days=1)
    while module_4_day.weekday() >= 5:
        module_4_day -= datetime.timedelta(days=1)
    return module_4_day - datetime.timedelta(weeks=14)


def _start_for_planned_cohort(today):
    """A Thursday three to four weeks from today, after the Christmas break."""
    target = today + datetime.timedelta(days=24)
    start = target + datetime.timedelta(days=(3 - target.weekday()) % 7)
    while _in_christmas_break(start):
        start += datetime.timedelta(weeks=1)
    return start


def _programme(provider):
    programme, _ = Programme.objects.get_or_create(
        provider=provider, name=PROGRAMME, defaults={"description": PROGRAMME_DESCRIPTION}
    )
    for number, title, topics, hours, weeks, celebration in OUTLINES:
        ModuleOutline.objects.get_or_create(
            programme=programme,
            number=number,
            defaults={
                "title": title,
                "topics": topics,
                "duration_hours": hours,
                "weeks_after_start": weeks,
                "is_celebration": celebration,
            },
        )
    return programme


def _cohort(*, programme, commissioner, name, start_date, status, facilitators, venues):
    cohort = Cohort.objects.filter(commissioner=commissioner, name=name).first()
    if cohort is not None:
        return cohort, False
    cohort = cohort_create_from_programme(
        programme=programme,
        commissioner=commissioner,
        name=name,
        start_date=start_date,
        facilitators=facilitators,
        status=status,
    )
    for module in cohort.modules.all():
        module.venue = venues[module.number]
        shift = datetime.timedelta(0)
        # Only modules still to come move out of the Christmas break; the past is as it was.
        while module.starts_at > timezone.now() and _in_christmas_break(
            timezone.localtime(module.starts_at + shift).date()
        ):
            shift += datetime.timedelta(weeks=1)
        module.starts_at += shift
        module.ends_at += shift
        module.save(update_fields=["venue", "starts_at", "ends_at", "updated_at"])
    cohort.start_date, cohort.end_date = (
        timezone.localtime(cohort.modules.get(number=number).starts_at).date() for number in (1, 6)
    )
    cohort.save(update_fields=["start_date", "end_date", "updated_at"])
    return cohort, True


def _in_christmas_break(day):
    """Nobody runs a face-to-face module between 20 December and 3 January."""
    return (day.month == 12 and day.day >= 20) or (day.month == 1 and day.day <= 3)


def _deliver_modules(cohort, participants):
    now = timezone.now()
    for module in cohort.modules.filter(number__in=DELIVERED_MODULES, ends_at__lt=now):
        if module.state != Module.State.DELIVERED:
            # Set on the fields (not module_mark_delivered, which stamps "now") so that the demo
            # shows each module marked delivered at the end of its day.
            module.state = Module.State.DELIVERED
            module.delivered_at = module.ends_at
            module.save(update_fields=["state", "delivered_at", "updated_at"])
        missed = MISSED.get(module.number, {})
        # Only people without a record yet, so that registers edited in the demo are kept.
        recorded = set(module.attendances.values_list("membership_id", flat=True))
        attendance_record(
            module=module,
            statuses={
                membership.pk: missed.get(index, Attendance.Status.PRESENT)
                for index, membership in enumerate(participants)
                if membership.pk not in recorded
            },
        )


@transaction.atomic
def populate(*, stdout=None) -> DemoData:
    """Create (or find) the whole demo and return it for other apps' demo modules."""
    today = timezone.localdate()
    provider, _ = Organisation.objects.get_or_create(name=PROVIDER, defaults={"kind": Organisation.Kind.PROVIDER})
    commissioner, _ = Organisation.objects.get_or_create(
        name=COMMISSIONER, defaults={"kind": Organisation.Kind.COMMISSIONER}
    )
    second_commissioner, _ = Organisation.objects.get_or_create(
        name=SECOND_COMMISSIONER, defaults={"kind": Organisation.Kind.COMMISSIONER}
    )
    programme = _programme(provider)

    facilitator_people = [_person(row, provider, PROVIDER_DOMAIN) for row in FACILITATORS]
    second_facilitator_person = _person(SECOND_FACILITATOR, provider, PROVIDER_DOMAIN)
    participant_people = [_person(row, commissioner, COMMISSIONER_DOMAIN) for row in PARTICIPANTS]
    second_participant_people = [
        _person(row, second_commissioner, SECOND_COMMISSIONER_DOMAIN) for row in SECOND_PARTICIPANTS
    ]

    cohort, created = _cohort(
        programme=programme,
        commissioner=commissioner,
        name=COHORT,
        start_date=_start_for_running_cohort(today),
        status=Cohort.Status.RUNNING,
        facilitators=facilitator_people,
        venues=VENUES,
    )
    _write(stdout, f"{'Created' if created else 'Found'} {cohort} (running, {programme}).")
    second_cohort, created = _cohort(
        programme=programme,
        commissioner=second_commissioner,
        name=SECOND_COHORT,
        start_date=_start_for_planned_cohort(today),
        status=Cohort.Status.PLANNED,
        facilitators=[second_facilitator_person],
        venues=SECOND_VENUES,
    )
    _write(stdout, f"{'Created' if created else 'Found'} {second_cohort} (planned).")

    facilitators = [
        membership_add(cohort=cohort, person=person, role=Membership.Role.FACILITATOR) for person in facilitator_people
    ]
    second_facilitator = membership_add(
        cohort=second_cohort, person=second_facilitator_person, role=Membership.Role.FACILITATOR
    )
    participants = [membership_add(cohort=cohort, person=person) for person in participant_people]
    second_participants = [membership_add(cohort=second_cohort, person=person) for person in second_participant_people]
    _deliver_modules(cohort, participants)

    participant_person = next(p for p in participant_people if p.full_name == PARTICIPANT_WITH_LOGIN)
    users = {
        ADMIN_LOGIN[0]: _user(ADMIN_LOGIN, superuser=True),
        FACILITATOR_LOGIN[0]: _user(FACILITATOR_LOGIN, person=facilitator_people[0]),
        FACILITATOR2_LOGIN[0]: _user(FACILITATOR2_LOGIN, person=facilitator_people[1]),
        OTHER_FACILITATOR_LOGIN[0]: _user(OTHER_FACILITATOR_LOGIN, person=second_facilitator_person),
        PARTICIPANT_LOGIN[0]: _user(PARTICIPANT_LOGIN, person=participant_person),
    }
    _write(stdout, f"{len(participants)} participants and {len(facilitators)} facilitators in {cohort}.")
    _write(stdout, f"{len(second_participants)} participants and 1 facilitator in {second_cohort}.")
    return DemoData(
        provider=provider,
        commissioner=commissioner,
        second_commissioner=second_commissioner,
        programme=programme,
        cohort=cohort,
        second_cohort=second_cohort,
        facilitators=facilitators,
        participants=participants,
        second_facilitator=second_facilitator,
        second_participants=second_participants,
        users=users,
    )


def is_stale() -> bool:
    """Whether the demo's running cohort was dated on an earlier day than today (its module 4 is
    then no longer "just taken place"), so that loading it again should re-date it."""
    cohort = Cohort.objects.filter(commissioner__name=COMMISSIONER, name=COHORT).first()
    return cohort is not None and cohort.start_date != _start_for_running_cohort(timezone.localdate())


class DemoResetError(Exception):
    """Data outside the demo still refers to demo data, so the demo cannot be wiped."""


@transaction.atomic
def reset(*, stdout=None) -> None:
    """Delete everything ``populate()`` creates (other apps' demo rows go with their cohorts)."""
    emails = [_email(row[0], PROVIDER_DOMAIN) for row in [*FACILITATORS, SECOND_FACILITATOR]]
    emails += [_email(row[0], COMMISSIONER_DOMAIN) for row in PARTICIPANTS]
    emails += [_email(row[0], SECOND_COMMISSIONER_DOMAIN) for row in SECOND_PARTICIPANTS]
    usernames = [login[0] for login in DEMO_LOGINS]
    try:
        # The finished cohort first: its memberships hold on to the demo facilitator.
        reset_finished(commissioner_name=COMMISSIONER)
        Cohort.objects.filter(
            commissioner__name__in=[COMMISSIONER, SECOND_COMMISSIONER], name__in=[COHORT, SECOND_COHORT]
        ).delete()
        # The accounts made for the demo's people go with them (before them: the link is on Person).
        User.objects.filter(Q(username__in=usernames) | Q(person__email__in=emails)).delete()
        Person.objects.filter(email__in=emails).delete()
        Programme.objects.filter(provider__name=PROVIDER, name=PROGRAMME).delete()
        Organisation.objects.filter(name__in=[PROVIDER, COMMISSIONER, SECOND_COMMISSIONER]).delete()
    except (ProtectedError, RestrictedError) as error:
        blockers = getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", ())
        names = sorted({f"{obj._meta.verbose_name} “{obj}”" for obj in blockers})
        raise DemoResetError(
            "Records outside the demo still use demo data, so nothing was deleted: " + "; ".join(names[:10])
        ) from error
    _write(stdout, "Removed the demo data.")
