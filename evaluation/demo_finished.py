"""Demo of a finished cohort's evaluation: Tamar Vale Cohort 0 ran last year, all six modules are
delivered, and its 24 participants answered the self-assessment before (pre) and after (post, with
"then" ratings looking back), the end-of-programme evaluation and the follow-up. Everything is
invented; the ratings show a typical response shift (looking back, people place themselves lower
than they did at the start), with a few ties and declines.

Written in bulk (the surveys are closed, so no invitation mail is due); every model constraint is
honoured. ``populate_finished(*, demo)`` is idempotent: it returns at once when the cohort exists.
"""

from __future__ import annotations

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cohorts.models import Cohort, Membership, Person
from cohorts.services import membership_add
from modules.models import Module
from modules.services import cohort_create_from_programme
from surveys.demo import closed_survey_create, responses_create
from surveys.models import Answer, Choice, Invitation, Question, QuestionSet, Survey

from . import dimensions
from .models import PracticeMoment, QuoteSelection

NAME = "Tamar Vale Cohort 0"
DOMAIN = "tamarvale.example"
SEED = 1207
C = Answer.QuoteConsent
P = Person.Profession
PARTICIPANTS = [
    ("Aisha Rahman", "Ward Manager", P.NURSE),
    ("Ben Carter", "Charge Nurse", P.NURSE),
    ("Chloe Evans", "Team Leader, Community Mental Health", P.NURSE),
    ("Daniel Osei", "Clinical Lead Occupational Therapist", P.OCCUPATIONAL_THERAPY),
    ("Emma Walsh", "Senior Physiotherapist", P.ALLIED_HEALTH),
    ("Farhan Ali", "Pharmacy Team Manager", P.MANAGEMENT),
    ("Grace Lewis", "Deputy Ward Manager", P.NURSE),
    ("Harry Moore", "Consultant Psychiatrist", P.MEDICINE),
    ("Isla Brown", "Clinical Psychologist", P.PSYCHOLOGY),
    ("Jack Thompson", "Crisis Team Manager", P.NURSE),
    ("Katie Hughes", "Speech and Language Therapist Lead", P.ALLIED_HEALTH),
    ("Liam Patel", "Specialty Doctor", P.MEDICINE),
    ("Megan Price", "Admin Team Leader", P.MANAGEMENT),
    ("Nathan Green", "Senior Nurse, Inpatients", P.NURSE),
    ("Olivia King", "Dietetic Lead", P.ALLIED_HEALTH),
    ("Priya Nair", "Matron", P.NURSE),
    ("Ryan Foster", "Estates Supervisor", P.OTHER),
    ("Sophie Turner", "Home Treatment Team Lead", P.NURSE),
    ("Tom Baker", "Senior Occupational Therapist", P.OCCUPATIONAL_THERAPY),
    ("Uma Shah", "Associate Specialist", P.MEDICINE),
    ("Victoria Hall", "Practice Development Nurse", P.NURSE),
    ("William Scott", "Team Manager, Learning Disabilities", P.NURSE),
    ("Yasmin Khan", "Psychology Service Lead", P.PSYCHOLOGY),
    ("Zoe Morgan", "Community Team Leader", P.NURSE),
]
# How much, looking back, participants think they overrated themselves at the start (then < pre),
# and how much they gained (post − then), per dimension: the response shift is largest where the
# programme taught a new vocabulary (coaching, AI, wicked problems, team dynamics).
SHIFT = {"prog-coaching-grow": 0.7, "prog-appreciative-inquiry": 0.7, "prog-wicked-problems": 0.6}
SHIFT |= {"prog-team-dynamics": 0.5, "hlm-engaging-the-team": 0.5, "hlm-developing-capability": 0.4}
GAIN = {"prog-coaching-grow": 1.6, "prog-appreciative-inquiry": 1.5, "prog-leading-change": 1.2}
GAIN |= {"hlm-holding-to-account": 0.3, "hlm-evaluating-information": 0.4}

EXAMPLES = [
    (
        "I used GROW in supervision with a newly qualified nurse instead of telling her what to do. She "
        "left with her own plan for the night shifts and has kept to it.",
        C.NAME_AND_ROLE,
    ),
    (
        "We started our team meeting with 'what went well this week' (Appreciative Inquiry). Two "
        "healthcare assistants spoke for the first time in months.",
        C.ROLE,
    ),
    (
        "I stopped trying to fix the discharge delays alone and brought pharmacy and the ward into one "
        "room. It is a wicked problem and we now treat it like one.",
        C.ANONYMOUS,
    ),
    (
        "Coaching conversations with my band 6s every fortnight. They bring the problems and the answers "
        "now; I mostly ask questions.",
        C.ROLE,
    ),
    (
        "I map the team's stage on the whiteboard after every change of staff. People laugh, then talk "
        "honestly about what is not working.",
        C.ANONYMOUS,
    ),
]
RESULTS = [
    (
        "Fewer incident reports about handovers since we tested a huddle in three PDSA cycles; staff say "
        "the shift starts calmer.",
        C.ROLE,
    ),
    (
        "Our sickness absence dropped over the winter and two staff told me the wellbeing conversations "
        "were the reason they stayed.",
        C.ANONYMOUS,
    ),
]
FOLLOW_UP = [
    ("Three months on I still use GROW every week, and two of my team now use it with students.", C.ROLE),
    ("The huddle is routine now. Nobody remembers it was a project.", C.ANONYMOUS),
]
REFLECTIONS = [
    (
        "Asked 'what would good look like?' at the start of a hard conversation. It changed the whole "
        "tone: we talked about the patient, not the rota.",
        C.NAME_AND_ROLE,
    ),
    (
        "Tried an appreciative question with the night team after a bad week. They listed six things that "
        "had gone well and asked to do it again.",
        C.ROLE,
    ),
    (
        "Used the action-learning question 'what is stopping you?' with a colleague. She answered her own "
        "problem in ten minutes.",
        C.ANONYMOUS,
    ),
]


def _question_set(slug: str, name: str, items, *, then: bool) -> QuestionSet:
    question_set = QuestionSet.objects.create(slug=slug, name=name)
    for order, item in enumerate(items):
        question = Question.objects.create(
            question_set=question_set,
            order=order * 10,
            code=item.code,
            kind=item.kind,
            text=str(item.text)[:500],
            help_text=str(item.help_text)[:500],
            required=item.required,
            max_choices=item.max_choices,
            asks_then=then and item.kind == Question.Kind.LIKERT5,
        )
        Choice.objects.bulk_create(
            Choice(question=question, order=i, label=str(label)) for i, label in enumerate(item.choices)
        )
    return question_set


def _survey(cohort, kind, question_set, privacy, opens: datetime.datetime) -> Survey:
    return closed_survey_create(
        cohort=cohort, kind=kind, question_set=question_set, privacy=privacy, opens_at=opens, days=14
    )


def _clamp(value: float) -> int:
    return max(1, min(5, round(value)))


def _respond(survey, memberships, when, answers_for, offset=0) -> None:
    """One pseudonymous response per membership, its answers from ``answers_for(i, question)``."""
    Invitation.objects.bulk_create(
        Invitation(survey=survey, membership=m, status=Invitation.Status.SENT, sent_at=when, responded_at=when)
        for m in memberships
    )
    responses = responses_create(survey=survey, memberships=memberships, when=when)
    questions = list(survey.question_set.questions.prefetch_related("choices"))
    answers, picks = [], []
    for i, response in enumerate(responses):
        for question in questions:
            value = answers_for(offset + i, question)
            if value is None:
                continue
            if question.is_choice:
                answer = Answer(response=response, question=question)
                picks.append((answer, value))
            elif question.is_text:
                text, consent = value
                answer = Answer(response=response, question=question, text=text, quote_consent=consent)
            else:
                number, then = value
                answer = Answer(response=response, question=question, number=number, then_number=then)
            answers.append(answer)
    Answer.objects.bulk_create(answers)
    through = Answer.choices.through
    through.objects.bulk_create(
        through(answer_id=answer.pk, choice_id=choice.pk)
        for answer, labels in picks
        for choice in answer.question.choices.all()
        if choice.label in labels
    )


QUESTION_SET_SLUG_PREFIX = "demo-c0-"


def _email(full_name: str) -> str:
    first, last = full_name.lower().split()
    return f"{first}.{last}.c0@{DOMAIN}"


@transaction.atomic
def reset_finished(*, commissioner_name: str) -> None:
    """Delete what ``populate_finished`` creates: the cohort (its surveys, answers, practice log and
    quotes go with it), its participants and its question sets. ``demo.scenario.reset`` calls it first,
    because the cohort's memberships hold on to the demo facilitator."""
    Cohort.objects.filter(commissioner__name=commissioner_name, name=NAME).delete()
    emails = [_email(row[0]) for row in PARTICIPANTS]
    # Their accounts (made when they joined the cohort) go with them.
    get_user_model().objects.filter(person__email__in=emails).delete()
    Person.objects.filter(email__in=emails).delete()
    QuestionSet.objects.filter(slug__startswith=QUESTION_SET_SLUG_PREFIX).delete()


@transaction.atomic
def populate_finished(*, demo) -> Cohort:
    existing = Cohort.objects.filter(commissioner=demo.commissioner, name=NAME).first()
    if existing is not None:
        return existing
    rng = random.Random(SEED)  # noqa: S311 (invented demo data, not a secret)
    today = timezone.localdate()
    cohort = cohort_create_from_programme(
        programme=demo.programme,
        commissioner=demo.commissioner,
        name=NAME,
        start_date=today - datetime.timedelta(days=330),
        facilitators=[demo.facilitators[0].person],
        status=Cohort.Status.FINISHED,
    )
    modules = list(cohort.modules.order_by("number"))
    # Written directly, not through module_mark_delivered: its hook would open (and mail) surveys
    # that ran long ago.
    for module in modules:
        Module.objects.filter(pk=module.pk).update(state=Module.State.DELIVERED, delivered_at=module.ends_at)
    end = modules[-1].ends_at
    membership_add(cohort=cohort, person=demo.facilitators[0].person, role=Membership.Role.FACILITATOR)
    members = []
    for full_name, job_title, profession in PARTICIPANTS:
        person, _created = Person.objects.get_or_create(
            email=_email(full_name),
            defaults={
                "full_name": full_name,
                "job_title": job_title,
                "profession": profession,
                "organisation": demo.commissioner,
            },
        )
        members.append(membership_add(cohort=cohort, person=person))
    members = list(Membership.objects.filter(pk__in=[m.pk for m in members]).select_related("person"))

    # Self-assessment: 22 of 24 answered before, 21 after (one left, one missed each).
    items = dimensions.SELF_ASSESSMENT_ITEMS
    pre_set = _question_set("demo-c0-self-pre", "Leadership self-assessment (before)", items, then=False)
    post_set = _question_set("demo-c0-self-post", "Leadership self-assessment (after)", items, then=True)
    start = timezone.make_aware(datetime.datetime.combine(cohort.start_date, datetime.time(9)))
    pre = _survey(cohort, Survey.Kind.SELF_PRE, pre_set, Survey.Privacy.PSEUDONYMOUS, start)
    post = _survey(cohort, Survey.Kind.SELF_POST, post_set, Survey.Privacy.PSEUDONYMOUS, end)
    base = {(i, item.code): rng.choice([3, 3, 3.4, 3.6, 4, 2.6]) for i in range(len(members)) for item in items}
    shift = {
        (i, item.code): rng.gauss(SHIFT.get(item.dimension, 0.2), 0.4) for i in range(len(members)) for item in items
    }
    gain = {
        (i, item.code): rng.gauss(GAIN.get(item.dimension, 0.8), 0.7) for i in range(len(members)) for item in items
    }

    def pre_answer(i, q):
        return (_clamp(base[i, q.code]), None)

    def post_answer(i, q):
        then = _clamp(base[i, q.code] - shift[i, q.code])
        return (_clamp(then + gain[i, q.code]), then)

    _respond(pre, members[:22], start, pre_answer)
    _respond(post, members[2:23], end, post_answer, offset=2)

    # End-of-programme evaluation (pseudonymous) and the follow-up three months later.
    evaluation_set = _question_set(
        "demo-c0-evaluation", "End-of-programme evaluation", dimensions.KIRKPATRICK_ITEMS, then=False
    )
    follow_set = _question_set("demo-c0-follow-up", "Follow-up", dimensions.FOLLOW_UP_ITEMS, then=False)
    evaluation = _survey(cohort, Survey.Kind.EVALUATION, evaluation_set, Survey.Privacy.PSEUDONYMOUS, end)
    follow_up = _survey(
        cohort, Survey.Kind.FOLLOW_UP, follow_set, Survey.Privacy.PSEUDONYMOUS, end + datetime.timedelta(days=91)
    )
    texts = {"kp-behaviour-example": EXAMPLES, "kp-results-example": RESULTS, "fu-sustained-example": FOLLOW_UP}

    def survey_answer(i, q):
        if q.is_text:
            pool = texts.get(q.code, [])
            return pool[i] if i < len(pool) else None
        if q.is_choice:
            labels = [c.label for c in q.choices.all()]
            if q.code == "fu-project-status":
                return [labels[rng.choice([0, 0, 1, 2, 3])]]
            if q.kind == Question.Kind.SINGLE_CHOICE:
                return [
                    labels[
                        min(
                            len(labels) - 1,
                            rng.choice([1, 2, 2, 3, 3, 4])
                            if "how" in q.code or "use" in q.code
                            else rng.choice([0, 0, 1, 1, 3]),
                        )
                    ]
                ]
            return rng.sample(labels, k=min(q.max_choices or 3, 2 + rng.randrange(2)))
        if q.kind == Question.Kind.RATING0_10:
            return (rng.choice([7, 8, 8, 9, 9, 10, 10, 6]), None)
        return (rng.choice([4, 4, 5, 5, 5, 3]), None)

    _respond(evaluation, members[2:21], end, survey_answer)
    _respond(follow_up, members[3:17], end + datetime.timedelta(days=95), survey_answer)

    # Practice log: shared reflections, some of them consented.
    moments = []
    for i, member in enumerate(members[:18]):
        for k in range(1 + i % 4):
            moments.append(
                PracticeMoment(
                    membership=member,
                    date=cohort.start_date + datetime.timedelta(days=20 + 35 * k + i),
                    method=rng.choice(
                        [PracticeMoment.Method.GROW] * 3
                        + [PracticeMoment.Method.APPRECIATIVE_INQUIRY] * 2
                        + [PracticeMoment.Method.TEAM_DYNAMICS, PracticeMoment.Method.PDSA]
                    ),
                    with_whom=rng.choice([PracticeMoment.WithWhom.TEAM] * 3 + [PracticeMoment.WithWhom.COLLEAGUE]),
                )
            )
    for moment, (text, consent) in zip(moments[::5], REFLECTIONS, strict=False):
        moment.reflection, moment.shared_with_set, moment.quote_consent = text, True, consent
    PracticeMoment.objects.bulk_create(moments)

    # Three quotes chosen for the report.
    chosen = list(
        Answer.objects.filter(response__survey=evaluation, question__code="kp-behaviour-example")
        .exclude(quote_consent=C.NONE)
        .order_by("pk")[:2]
    )
    QuoteSelection.objects.bulk_create(
        [QuoteSelection(cohort=cohort, answer=a, order=n) for n, a in enumerate(chosen, start=1)]
        + [
            QuoteSelection(
                cohort=cohort,
                practice_moment=PracticeMoment.objects.filter(membership__cohort=cohort)
                .exclude(quote_consent=C.NONE)
                .order_by("pk")
                .first(),
                order=3,
            )
        ]
    )
    return cohort
