"""Demo surveys for the running demo cohort's delivered modules 1-3, with realistic answers.

Idempotent: a module whose survey already has responses is left alone. Invitations of these past
surveys are recorded as sent at the opening time, so the mailer has nothing to send for them.
"""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from modules.models import Module

from .models import Invitation, Response, Survey
from .services import invitation_issue_token, response_submit, survey_close, survey_open_for_module
from .tokens import pseudonym_for

RESPONSE_RATES = {1: 0.83, 2: 0.77, 3: 0.73}
# Facilitators acted on module 1's feedback (more time for group work), so scores rise.
LIKERT_WEIGHTS = {
    1: [2, 6, 14, 46, 32],
    2: [1, 4, 11, 44, 40],
    3: [1, 2, 8, 42, 47],
}
RECOMMEND_WEIGHTS = {
    1: [0, 0, 0, 1, 1, 3, 6, 14, 26, 26, 23],
    2: [0, 0, 0, 0, 1, 2, 4, 12, 25, 30, 26],
    3: [0, 0, 0, 0, 0, 1, 3, 10, 24, 31, 31],
}
PACE_WEIGHTS = {1: [4, 56, 40], 2: [6, 70, 24], 3: [5, 80, 15]}

WENT_WELL = [
    "Really valued the time away from the ward to actually think about how my team works.",
    "The session on team dynamics made me realise why our handovers feel so tense.",
    "Hearing how the community teams deal with the same pressures as us on the inpatient side.",
    "Appreciative Inquiry felt a bit odd at first but it completely changed the conversation in our group.",
    "The GROW model is simple enough that I used it in supervision the very next day.",
    "Good mix of theory and practical examples from people who actually work in the NHS.",
    "Our action-learning set gelled quickly – it felt safe to be honest about what isn't working.",
    "The facilitators were brilliant at keeping us to time without rushing anyone.",
    "Thinking about wicked problems helped me stop looking for one quick fix for our waiting list.",
    "Meeting colleagues from other services – I had no idea psychology had the same staffing gaps.",
    "Practical tools I can take back, not just slides.",
    "Coaching in trios was the most useful hour of the day for me.",
    "Mapping our own team's dynamics on the flipchart was uncomfortable but honest.",
    "Being asked what is working, not only what is broken, was a refreshing change.",
    "I finally understood why our 'simple' fixes to the discharge process keep failing.",
    "Practising a GROW conversation with someone from another profession was eye-opening.",
    "The quiet reflection time at the end – I never get that at work.",
    "Real examples from a crisis team made the wicked-problems idea click for me.",
    "Felt listened to; the facilitators picked up on what we said last time.",
    "Learning about my own leadership style without feeling judged.",
]
IMPROVE = [
    "More time for group work please – the afternoon discussion was cut short just as it got going.",
    "Felt rushed after lunch; fewer slides and more time to practise.",
    "The room was too hot and cramped for the small-group work.",
    "It would help to have the pre-reading a week earlier – hard to find time on shift.",
    "Would like more examples from community and crisis teams, not only wards.",
    "Some of the theory on complexity went over my head – a simple handout would help.",
    "Longer breaks; it's a long day when you've come off a night shift.",
    "Please finish on time – I have to collect my children and we ran 20 minutes over.",
    "More time in our action-learning set and less in the big group.",
    "Could we have the slides in advance so I can make notes on them?",
    "Parking at the venue was a nightmare – could we share travel details beforehand?",
    "A bit more on how to use this with staff who are burnt out would help.",
    "Less time on the models, more on what to do on Monday morning.",
    "Mix the tables up more – I sat with my own service most of the day.",
]
PACE_DETAIL = [
    "The afternoon exercise on stakeholder mapping.",
    "The last session – we didn't finish the GROW practice.",
    "Group work after lunch.",
    "Feedback from the sets at the end.",
]
ANYTHING_ELSE = [
    "Thank you – I came back to work with more energy than I've had in months.",
    "Struggled to get cover to attend, which added stress; maybe a letter for managers would help.",
    "Looking forward to the next module.",
    "I'd like to know how others are applying this between modules – maybe a short check-in call?",
]
MOST_USEFUL = [
    "Input from the facilitators",
    "Small-group work",
    "Time in the action-learning set",
    "Time to reflect",
    "Meeting colleagues from other services",
]


def closed_survey_create(
    *, cohort, kind, question_set, opens_at, days, module=None, privacy=Survey.Privacy.PSEUDONYMOUS
) -> Survey:
    """A survey that opened at ``opens_at`` and closed ``days`` later: history written straight to
    the database by the other apps' demos and the benchmarks."""
    closed_at = opens_at + datetime.timedelta(days=days)
    return Survey.objects.create(
        cohort=cohort,
        module=module,
        kind=kind,
        question_set=question_set,
        privacy=privacy,
        status=Survey.Status.CLOSED,
        opens_at=opens_at,
        closes_at=closed_at,
        closed_at=closed_at,
    )


def responses_create(*, survey, memberships, when) -> list[Response]:
    """One pseudonymous response per membership, submitted at ``when`` (their answers are the caller's)."""
    return Response.objects.bulk_create(
        Response(
            survey=survey,
            pseudonym=pseudonym_for(m.pk),
            profession=m.person.profession,
            submitted_at=when,
            updated_at=when,
        )
        for m in memberships
    )


def _likert(rng, number, shift=0):
    weights = LIKERT_WEIGHTS[number]
    return str(min(5, max(1, rng.choices(range(1, 6), weights=weights)[0] + shift)))


def _comment_pools(rng: random.Random, number: int) -> dict[str, list[str]]:
    """Each module's comments, shuffled; every comment is used at most once per module, as real
    free text would be (so some respondents leave a box empty once a pool runs dry)."""
    improve = IMPROVE[:6] if number == 1 else IMPROVE
    pools = {"pace_detail": PACE_DETAIL, "went_well": WENT_WELL, "improve": improve, "anything_else": ANYTHING_ELSE}
    return {key: rng.sample(pool, k=len(pool)) for key, pool in pools.items()}


def _answers(rng: random.Random, number: int, pools: dict[str, list[str]]) -> dict:
    pace = rng.choices(["Too slow", "About right", "Too fast"], weights=PACE_WEIGHTS[number])[0]
    answers = {
        "usefulness": _likert(rng, number),
        "confidence": _likert(rng, number, shift=rng.choice([-1, 0, 0, 0])),
        "pace": pace,
        "recommend": str(rng.choices(range(11), weights=RECOMMEND_WEIGHTS[number])[0]),
        "most_useful": rng.sample(MOST_USEFUL, k=rng.choice([1, 2, 2])),
    }
    chances = {"went_well": 0.8, "improve": 0.6, "anything_else": 0.2}
    if pace == "Too fast":
        chances["pace_detail"] = 0.7
    for key, chance in chances.items():
        if pools[key] and rng.random() < chance:
            answers[key] = pools[key].pop()
    return answers


@transaction.atomic
def populate(*, demo, stdout=None) -> list[Survey]:
    now = timezone.now()
    surveys = []
    modules = Module.objects.filter(cohort=demo.cohort, number__in=[1, 2, 3], state=Module.State.DELIVERED)
    for module in modules.order_by("number"):
        opened = module.delivered_at or module.ends_at
        survey = survey_open_for_module(module=module, now=opened)
        surveys.append(survey)
        if survey.responses.exists():
            continue
        Invitation.objects.filter(survey=survey, status=Invitation.Status.QUEUED).update(
            status=Invitation.Status.SENT, attempts=1, sent_at=opened, sending_started_at=opened
        )
        rng = random.Random(f"lc-demo-{module.number}")  # noqa: S311 - demo data, not security
        invitations = list(survey.invitations.select_related("membership").order_by("membership_id"))
        responders = rng.sample(invitations, k=round(len(invitations) * RESPONSE_RATES[module.number]))
        pools = _comment_pools(rng, module.number)
        for invitation in responders:
            token = invitation_issue_token(invitation=invitation)
            when = min(opened + datetime.timedelta(hours=rng.randint(2, 150)), survey.closes_at, now)
            response_submit(
                invitation=invitation, token=token, raw_answers=_answers(rng, module.number, pools), now=when
            )
        if survey.closes_at <= now:
            survey_close(survey=survey, now=survey.closes_at)
        if stdout is not None:
            stdout.write(f"Survey for module {module.number}: {len(responders)} of {len(invitations)} responded.")
    return surveys
