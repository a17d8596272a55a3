"""Demo data of the practice log: what Tamar Vale Cohort 1's participants logged between modules.

``populate(*, demo)`` runs after demo.scenario.populate (it gets its DemoData) and after
projects.demo.populate if the shared reflections should show on the sets' page (the sets come from
there). About two thirds of the participants logged one to six moments each between module 1 and
module 4, mostly GROW conversations and Appreciative Inquiry with their own team; a few wrote a
reflection, some shared it with their set. Everything is invented. Running it again changes nothing.
Each moment's "logged at" time is on its own date, so the monthly nudge sees who has been quiet.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from cohorts.models import Membership
from modules.models import Module

from .models import PracticeMoment

M = PracticeMoment.Method
W = PracticeMoment.WithWhom

# Drawn with these weights: the programme's core methods come first.
METHODS = [(M.GROW, 40), (M.APPRECIATIVE_INQUIRY, 25), (M.TEAM_DYNAMICS, 12), (M.ACTION_LEARNING, 10), (M.PDSA, 8)]
METHODS.append((M.OTHER, 5))
WITH_WHOM = [(W.TEAM, 65), (W.COLLEAGUE, 25), (W.PATIENT_GROUP, 7), (W.OTHER, 3)]
SHARE_OF_PARTICIPANTS = 2 / 3
SEED = 1212

# (method, with whom, reflection, shared with the set), in the participants' own voice.
REFLECTIONS = [
    (
        M.GROW,
        W.TEAM,
        "Used GROW in a supervision that usually turns into me giving answers. I kept asking about options "
        "and she came up with a better rota idea than mine. Hard to stay quiet, but it worked.",
        True,
    ),
    (
        M.APPRECIATIVE_INQUIRY,
        W.TEAM,
        "Started the team meeting with 'what went well on shift this week?' instead of the incident list. "
        "The mood was completely different and the incidents still got discussed.",
        True,
    ),
    (
        M.GROW,
        W.COLLEAGUE,
        "A peer asked for advice about a difficult family meeting. I tried the reality questions first and "
        "realised I'd normally have jumped straight to solutions.",
        False,
    ),
    (
        M.TEAM_DYNAMICS,
        W.TEAM,
        "Drew the team's stages on the whiteboard after the restructure. People laughed when they recognised "
        "'storming', which took some heat out of it.",
        True,
    ),
    (
        M.PDSA,
        W.TEAM,
        "First PDSA on the handover sheet: tried it on one shift only. Two people forgot it existed, so next "
        "cycle we put it on the clipboard.",
        True,
    ),
    (
        M.ACTION_LEARNING,
        W.COLLEAGUE,
        "Asked 'what would you need to believe for that to work?' and it opened up a much more honest "
        "conversation than I expected.",
        False,
    ),
    (
        M.APPRECIATIVE_INQUIRY,
        W.PATIENT_GROUP,
        "Asked the carers' group what had helped most in their first week with us. Three of them said the "
        "same thing: being phoned back when we said we would.",
        True,
    ),
    (
        M.GROW,
        W.TEAM,
        "Not my best attempt. I ran out of time before 'way forward' and we ended without an action. "
        "Booking a proper half hour next time.",
        False,
    ),
    (
        M.OTHER,
        W.TEAM,
        "Tried the check-in round from module 2 at the start of our business meeting. Quieter members spoke "
        "early for once.",
        False,
    ),
    (
        M.APPRECIATIVE_INQUIRY,
        W.COLLEAGUE,
        "Used the 'best experience' question with a new starter who was struggling. She talked about her "
        "placement team and we worked out what she was missing here.",
        True,
    ),
]


# The participant who can sign in (Jodie Hamlyn, a social work team manager) logs these, so that her
# practice log shows a private reflection, a shared one and a moment without one.
# (weeks after module 1, method, with whom, reflection, shared with the set)
SIGNED_IN_PARTICIPANT_MOMENTS = [
    (
        1,
        M.GROW,
        W.TEAM,
        "Used GROW with a newly qualified social worker who wanted me to tell her what to do about a "
        "safeguarding referral. By the options stage she had her plan. I need to trust the team more.",
        False,
    ),
    (
        5,
        M.APPRECIATIVE_INQUIRY,
        W.TEAM,
        "Opened our duty meeting by asking about a visit that had gone well. Someone described a family "
        "finally letting us in, and the room lifted. Will keep doing this.",
        True,
    ),
    (9, M.PDSA, W.COLLEAGUE, "", False),
]


def _pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _logged_at(rng, day):
    hour, minute = rng.randint(12, 21), rng.choice([0, 10, 20, 30, 40, 50])
    return min(timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute))), timezone.now())


@transaction.atomic
def populate(*, demo, stdout=None) -> list[PracticeMoment]:
    """Practice moments of about two thirds of ``demo.cohort``'s participants, modules 1-4."""
    cohort = demo.cohort
    participants = [m for m in demo.participants if m.status == Membership.Status.ACTIVE]
    if PracticeMoment.objects.filter(membership__cohort=cohort).exists():
        return list(PracticeMoment.objects.filter(membership__cohort=cohort))
    module_days = {
        m.number: timezone.localtime(m.starts_at).date() for m in Module.objects.filter(cohort=cohort, number__lte=4)
    }
    today = timezone.localdate()
    first = module_days.get(1, cohort.start_date)
    # Up to module 4's day (or today, if module 4 is still to come).
    last = min(module_days.get(4, today), today)
    if last < first:
        return []
    rng = random.Random(SEED)  # noqa: S311 - invented demo data, not security
    loggers = rng.sample(participants, round(len(participants) * SHARE_OF_PARTICIPANTS))
    # The participant with the demo log-in (every member has an account; only she has a password).
    login = demo.users.get("participant")
    with_login = next((m for m in participants if login is not None and m.person.user_id == login.pk), None)
    if with_login is not None and with_login not in loggers:
        loggers[-1] = with_login
    span = (last - first).days
    moments, logged_at = [], []

    def log(membership, day, method, with_whom, reflection, shared):
        moments.append(
            PracticeMoment(
                membership=membership,
                date=day,
                method=method,
                with_whom=with_whom,
                reflection=reflection,
                shared_with_set=shared,
            )
        )
        logged_at.append(_logged_at(rng, day))

    reflections = list(REFLECTIONS)
    for index, membership in enumerate(sorted(loggers, key=lambda m: m.pk)):
        if membership == with_login:
            for weeks, method, with_whom, reflection, shared in SIGNED_IN_PARTICIPANT_MOMENTS:
                day = min(first + datetime.timedelta(weeks=weeks), last)
                log(membership, day, method, with_whom, reflection, shared)
            continue
        for _ in range(rng.randint(1, 6)):
            day = first + datetime.timedelta(days=rng.randint(0, span))
            method, with_whom, reflection, shared = _pick(rng, METHODS), _pick(rng, WITH_WHOM), "", False
            # A reflection for every other logger's first moment, until they run out.
            if reflections and index % 2 == 0 and not any(m.membership == membership for m in moments):
                method, with_whom, reflection, shared = reflections.pop(0)
            log(membership, day, method, with_whom, reflection, shared)
    created = PracticeMoment.objects.bulk_create(moments)
    # created_at is set on insert (auto_now_add); the demo dates each moment's logging to its day.
    for moment, when in zip(created, logged_at, strict=True):
        PracticeMoment.objects.filter(pk=moment.pk).update(created_at=when, updated_at=when)
    if stdout is not None:
        stdout.write(f"Practice log demo: {len(created)} moments by {len(loggers)} participants in {cohort}.")
    return created
