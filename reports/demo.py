"""Demo: the finished cohort's published impact report.

``evaluation.demo_finished`` gives Tamar Vale Cohort 0 its evaluation (self-assessments, Kirkpatrick
evaluation, follow-up, practice log, consented quotes) but not the history a report also tells: who
came to each module, the module surveys and what the facilitators changed after them, and the
action-learning sets' improvement projects. This step writes that history where it is missing
(in bulk, with every model constraint honoured; the surveys closed long ago, so no mail is due),
then the facilitators' key impacts and narrative, and publishes the report. Everything is invented.
Idempotent: once the cohort has a report it returns at once.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cohorts.models import Cohort, Membership
from evaluation import demo_finished
from modules.models import ActItem, Attendance, Module, PDSACycle
from projects.models import ActionLearningSet, DataPoint, ImprovementProject, Measure, ProjectPDSACycle, SetMembership
from surveys.demo import closed_survey_create, responses_create
from surveys.models import Answer, Invitation, Survey
from surveys.services import question_set_default

from . import selectors, services
from .models import ImpactReport

SEED = 1313

# Indexes (in demo_finished.PARTICIPANTS) of those who missed each module: everyone else was there.
MISSED = {1: [9], 2: [4, 17, 21], 3: [4, 12], 4: [4, 17, 20], 5: [12, 22], 6: [4]}
# Share of those present who answered each module's survey, and the mean "useful" rating aimed at.
RESPONSE_RATES = {1: 0.87, 2: 0.81, 3: 0.86, 4: 0.8, 5: 0.82}
USEFUL = {1: [3, 4, 4, 4, 5], 2: [3, 3, 4, 4, 5], 3: [4, 4, 4, 5, 5], 4: [4, 4, 5, 5, 5], 5: [4, 4, 5, 5, 5]}
CONFIDENT = {1: [3, 3, 4, 4, 4], 2: [3, 3, 4, 4, 5], 3: [3, 4, 4, 4, 5], 4: [4, 4, 4, 5, 5], 5: [4, 4, 5, 5, 5]}
RECOMMEND = {1: [6, 7, 8, 8, 9, 9, 10], 2: [6, 7, 7, 8, 9, 9, 10], 3: [7, 8, 9, 9, 10, 10, 8]}
RECOMMEND |= {4: [7, 8, 9, 9, 10, 10, 9], 5: [8, 9, 9, 10, 10, 10, 9]}

PDSA = {
    1: (
        "Useful, but the afternoon on team dynamics ran over and several people said it felt rushed. The pairs "
        "work was the part most often called useful.",
        ["Finish the afternoon session at 16:00 and move the theory recap to a one-page handout"],
    ),
    2: (
        "Wicked problems landed less well than we predicted: too much lecture, too few real cases. Confidence to "
        "apply it was the lowest of the programme so far.",
        [
            "Ask each participant to bring one 'wicked' problem from their own service to module 3",
            "Halve the slides; spend the time on case work in mixed-profession groups",
        ],
    ),
    3: (
        "Appreciative Inquiry worked: both scores rose after bringing real cases. Two people asked for more time "
        "to practise the questions.",
        ["Add a 30-minute practice round in trios to the GROW module"],
    ),
    4: (
        "The GROW practice rounds were the highlight; confidence to use GROW with staff was the highest yet.",
        ["Send each set a one-page GROW prompt card to use between modules"],
    ),
    5: (
        "Reflective and well received. Participants asked for time with their sets to rehearse the module 6 "
        "presentations.",
        ["Give each set 45 minutes of rehearsal time at the start of module 6"],
    ),
}

PROJECTS = [
    {
        "set": "Set 1: Harbour and Moorview",
        "title": "Calmer handovers: a ten-minute safety huddle on two inpatient wards",
        "area": ImprovementProject.Area.PATIENT_SAFETY,
        "status": ImprovementProject.Status.SUSTAINING,
        "score": Decimal("4.0"),
        "aim": "Halve incident reports linked to shift handover on Harbour View and Moorview wards, from a median of "
        "6 a month to 3, within six months.",
        "measure": ("Handover-related incident reports (per fortnight)", "reports", Measure.Direction.DOWN),
        "series": (6.0, 1.5, -3.5),
        "cycles": [
            ("Huddle at the morning handover, one ward", "adapt"),
            ("Huddle at every handover, both wards", "adopt"),
        ],
        "members": [0, 1, 6, 13, 15],
    },
    {
        "set": "Set 2: Community and crisis",
        "title": "Seen within a week: first contact in the Home Treatment Team",
        "area": ImprovementProject.Area.CARE_PATHWAY,
        "status": ImprovementProject.Status.IMPLEMENTING,
        "score": Decimal("3.5"),
        "aim": "Raise the share of people contacted within 7 days of referral from about half to 80% by the end "
        "of the programme.",
        "measure": ("Referrals contacted within 7 days", "%", Measure.Direction.UP),
        "series": (52.0, 6.0, 24.0),
        "cycles": [("Daily triage slot at 09:15", "adopt"), ("Welcome call from an administrator", "adapt")],
        "members": [2, 9, 17, 21, 23],
    },
    {
        "set": "Set 3: Therapies together",
        "title": "Kinder rotas: fewer last-minute shift swaps in the therapies team",
        "area": ImprovementProject.Area.STAFF_EXPERIENCE,
        "status": ImprovementProject.Status.TESTING,
        "score": Decimal("2.5"),
        "aim": "Reduce short-notice shift swaps in adult therapies from about 9 to 4 a month by the follow-up.",
        "measure": ("Short-notice shift swaps (per fortnight)", "swaps", Measure.Direction.DOWN),
        "series": (4.5, 1.3, -0.4),
        "cycles": [("Rota published six weeks ahead", "adapt")],
        "members": [3, 4, 10, 14, 18],
    },
]
SET_REFLECTIONS = {
    "Set 1: Harbour and Moorview": "We learnt that a small test on one ward convinces more people than a plan for "
    "the whole hospital. Asking the night staff first changed the design of the huddle.",
    "Set 2: Community and crisis": "Leading across two teams meant letting go of who owned the problem. The run "
    "chart did the persuading for us at the directorate meeting.",
}

KEY_IMPACTS = [
    (
        "Direct application of coaching and team-development methods with staff: {loggers} participants logged "
        "{moments} practice moments at work, most often GROW coaching conversations and Appreciative Inquiry.",
        "kirkpatrick",
    ),
    (
        "Three improvement projects in action-learning sets, on patient safety, a care pathway and staff "
        "experience; the handover huddle is now routine on two wards.",
        "projects",
    ),
    (
        "Participants rated their own leadership higher after the programme in {clear} of {dimensions} "
        "dimensions, compared with where they placed themselves looking back at the start.",
        "self-assessment",
    ),
]

LIMITATIONS = """The self-assessment figures are participants' ratings of themselves, not observations by their \
teams or managers, and there was no comparison group: other things changed in participants' services over the same \
eleven months. {pre} participants answered the self-assessment before the programme and {post} after it; those who \
did not answer may differ from those who did.

The "then" ratings were given at the end, looking back. Comparing with them allows for response shift (people judge \
their earlier selves more strictly once they know more about leadership) but relies on memory. Each dimension is \
tested on its own at the 5% level, with no adjustment for the number of tests.

The practice log and the follow-up are voluntary: {followup} participants answered the follow-up three months after \
the end. The project measures are the sets' own data, collected by busy teams alongside their work. A run chart's \
signal shows that a measure changed, not that the project alone changed it."""

RECOMMENDATIONS = """Keep the programme face to face and in mixed-profession groups: the group work was what \
participants valued most, in the module surveys and at the end.

Keep the PDSA rhythm between modules. Changes made after module 2 (real cases instead of lectures on wicked \
problems) were followed by higher usefulness and confidence scores in module 3.

Give action-learning sets protected time between modules 3 and 5, and ask each sponsor to meet their set once: the \
projects that reached implementation had a manager who attended a set meeting.

Repeat the follow-up at twelve months for this cohort, and invite each participant's line manager to add a short \
observation, so that the next report does not rest on self-ratings alone."""


def _finished_cohort(demo) -> Cohort | None:
    return Cohort.objects.filter(commissioner=demo.commissioner, name=demo_finished.NAME).first()


def _attendance(cohort: Cohort, members: list[Membership], modules: list[Module]) -> None:
    if Attendance.objects.filter(module__cohort=cohort).exists():
        return
    Attendance.objects.bulk_create(
        Attendance(
            module=module,
            membership=member,
            status=(Attendance.Status.APOLOGIES if index % 2 else Attendance.Status.ABSENT)
            if index in MISSED[module.number]
            else Attendance.Status.PRESENT,
        )
        for module in modules
        for index, member in enumerate(members)
    )


def _module_surveys(cohort, members, modules, rng) -> None:
    question_set = question_set_default()
    questions = {q.code: q for q in question_set.questions.prefetch_related("choices")}
    for module in modules:
        if module.number not in Module.SURVEY_NUMBERS or Survey.objects.filter(module=module).exists():
            continue
        opened = module.ends_at
        survey = closed_survey_create(
            cohort=cohort, module=module, kind=Survey.Kind.MODULE, question_set=question_set, opens_at=opened, days=7
        )
        present = [m for i, m in enumerate(members) if i not in MISSED[module.number]]
        responders = rng.sample(present, k=round(len(present) * RESPONSE_RATES[module.number]))
        answered = {m.pk for m in responders}
        when = opened + datetime.timedelta(days=2)
        Invitation.objects.bulk_create(
            Invitation(
                survey=survey,
                membership=m,
                status=Invitation.Status.SENT,
                sent_at=opened,
                responded_at=when if m.pk in answered else None,
            )
            for m in present
        )
        responses = responses_create(survey=survey, memberships=responders, when=when)
        answers, picks = [], []
        for response in responses:
            answers += [
                Answer(response=response, question=questions["usefulness"], number=rng.choice(USEFUL[module.number])),
                Answer(
                    response=response, question=questions["confidence"], number=rng.choice(CONFIDENT[module.number])
                ),
                Answer(response=response, question=questions["recommend"], number=rng.choice(RECOMMEND[module.number])),
            ]
            pace = Answer(response=response, question=questions["pace"])
            answers.append(pace)
            pace_label = "Too fast" if module.number == 1 and rng.random() < 0.3 else "About right"
            picks.append((pace, next(c for c in questions["pace"].choices.all() if c.label == pace_label)))
        Answer.objects.bulk_create(answers)
        Answer.choices.through.objects.bulk_create(
            Answer.choices.through(answer_id=answer.pk, choice_id=choice.pk) for answer, choice in picks
        )


def _pdsa(modules, facilitator_user) -> None:
    for module in modules:
        if module.number not in PDSA or PDSACycle.objects.filter(module=module).exists():
            continue
        reading, changes = PDSA[module.number]
        cycle = PDSACycle.objects.create(
            module=module,
            plan_intent=module.topics or module.title,
            study_reading=reading,
            updated_by=facilitator_user,
        )
        following = next(m for m in modules if m.number == module.number + 1)
        ActItem.objects.bulk_create(
            ActItem(cycle=cycle, text=text, done=True, done_at=following.starts_at, done_by=facilitator_user)
            for text in changes
        )


def _value(level: float, spread: float, change: float, unit: str, rng) -> Decimal:
    """A fortnight's value: counts are whole and never negative, percentages stay within 0-100."""
    value = level + change + rng.uniform(-spread, spread)
    if unit == "%":
        return Decimal(str(round(min(100.0, max(0.0, value)), 1)))
    return Decimal(max(0, round(value)))


def _projects(cohort, members, start: datetime.date, end: datetime.date, rng) -> None:
    if ActionLearningSet.objects.filter(cohort=cohort).exists():
        return
    today = timezone.localdate()
    dates = []
    day = start - datetime.timedelta(weeks=8)
    while day <= min(today, end + datetime.timedelta(weeks=12)):
        dates.append(day)
        day += datetime.timedelta(weeks=2)
    change_at = start + datetime.timedelta(weeks=14)
    for record in PROJECTS:
        action_learning_set = ActionLearningSet.objects.create(
            cohort=cohort, name=record["set"], reflections=SET_REFLECTIONS.get(record["set"], "")
        )
        SetMembership.objects.bulk_create(
            SetMembership(cohort=cohort, action_learning_set=action_learning_set, membership=members[i])
            for i in record["members"]
        )
        project = ImprovementProject.objects.create(
            action_learning_set=action_learning_set,
            title=record["title"],
            area=record["area"],
            aim=record["aim"],
            status=record["status"],
            progress_score=record["score"],
        )
        name, unit, better = record["measure"]
        measure = Measure.objects.create(project=project, name=name, unit=unit, better=better, baseline_points=10)
        level, spread, change = record["series"]
        DataPoint.objects.bulk_create(
            DataPoint(measure=measure, date=day, value=_value(level, spread, change * (day >= change_at), unit, rng))
            for day in dates
        )
        for index, (title, act) in enumerate(record["cycles"]):
            cycle = ProjectPDSACycle.objects.create(
                project=project,
                title=title,
                start_date=change_at + datetime.timedelta(weeks=4 * index),
                end_date=change_at + datetime.timedelta(weeks=4 * index + 3),
                act=act,
            )
            cycle.measures.add(measure)


def _figures(data: dict) -> dict:
    practice, self_assessment = data["practice"], data["self_assessment"]
    dimensions = self_assessment["dimensions"]
    return {
        "loggers": practice.get("loggers") or "most",
        "moments": practice.get("total") or "many",
        "clear": self_assessment["clear_post_then"],
        "dimensions": len(dimensions),
        "pre": self_assessment["pre_responses"]["display"],
        "post": self_assessment["post_responses"]["display"],
        "followup": data["follow_up"]["responses"]["display"] if data["follow_up"]["exists"] else "few",
    }


@transaction.atomic
def populate(*, demo, stdout=None) -> ImpactReport | None:
    cohort = _finished_cohort(demo)
    if cohort is None:
        return None
    existing = ImpactReport.objects.filter(cohort=cohort).first()
    if existing is not None:
        return existing
    rng = random.Random(SEED)  # noqa: S311 (invented demo data, not a secret)
    modules = list(cohort.modules.order_by("number"))
    # In the order demo_finished added them (its PARTICIPANTS), which MISSED and PROJECTS refer to.
    members = list(Membership.objects.participants().filter(cohort=cohort).select_related("person").order_by("pk"))
    facilitator = Membership.objects.facilitators().filter(cohort=cohort).select_related("person__user").first()
    user = facilitator.person.user if facilitator else None
    _attendance(cohort, members, modules)
    _module_surveys(cohort, members, modules, rng)
    _pdsa(modules, user)
    _projects(cohort, members, cohort.start_date, timezone.localtime(modules[-1].ends_at).date(), rng)

    figures = _figures(selectors.report_data_build(cohort=cohort))
    report = services.report_ensure(cohort=cohort)
    for text, evidence in KEY_IMPACTS:
        services.key_impact_create(cohort=cohort, text=text.format(**figures), evidence=evidence)
    services.report_narrative_update(
        cohort=cohort, limitations=LIMITATIONS.format(**figures), recommendations=RECOMMENDATIONS
    )
    if user is not None:
        report = services.report_publish(report=report, by=user)
    if stdout is not None:
        stdout.write(f"Impact report of {cohort}: {report.get_status_display()}.")
    return report
