"""Demo data of the projects app: five action-learning sets with improvement projects.

``populate(*, demo)`` runs after demo.scenario.populate (it gets its DemoData). Everything is
invented. Running it again changes nothing. Weekly data start twelve weeks before the cohort
does (the baseline) and end last week; the first change is tested three weeks into the
programme, so by module 4 the first measure of every project shows a shift.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cohorts.models import Membership

from . import services
from .models import (
    ActionLearningSet,
    DataPoint,
    ImprovementProject,
    Measure,
    Presentation,
    ProgressScore,
    ProjectPDSACycle,
    SetAction,
    SetMeeting,
    SetMembership,
)

BASELINE_WEEKS = 12

# Each measure: name, kind, unit, better, definition, baseline level, spread, change after the
# first PDSA cycle (in units; 0 = no change), decimals.
PROJECTS = [
    {
        "set": "Set A",
        "title": "Seen sooner: first contact after referral to the community team",
        "area": ImprovementProject.Area.CARE_PATHWAY,
        "status": ImprovementProject.Status.TESTING,
        "problem": (
            "People referred to Northfield Community Mental Health Team wait weeks for a first contact. "
            "Referrals arrive by letter, e-mail and phone, are triaged at a weekly meeting, and nobody owns "
            "the wait. GPs ring to chase; some people reach crisis while they wait."
        ),
        "aim": (
            "Cut the median wait from referral to first contact from 18 to 7 working days by the end of the programme."
        ),
        "stakeholders": "People referred and their families; GPs; duty workers; team administrators; the crisis team.",
        "outline": (
            "- Every referral is seen by a clinician within two days\n"
            "  - One route in for referrals\n"
            "    - Single referral inbox checked twice a day\n"
            "  - Daily triage instead of weekly\n"
            "    - 15-minute triage huddle at 09:15\n"
            "- People are contacted before their first appointment\n"
            "  - Contact is planned, not left to chance\n"
            "    - Welcome phone call within 48 hours of triage\n"
        ),
        "measures": [
            (
                "Working days from referral to first contact (median of the week)",
                "outcome",
                "working days",
                "down",
                "Median, over referrals first contacted that week, of working days from receipt to first contact.",
                18,
                2.0,
                -8,
                0,
            ),
            (
                "Referrals triaged within 2 working days",
                "process",
                "%",
                "up",
                "Referrals triaged within two working days of receipt, as a % of referrals received that week.",
                35,
                6.0,
                40,
                0,
            ),
            (
                "Duty worker hours spent on triage",
                "balancing",
                "hours per week",
                "down",
                "Hours logged to triage by duty workers, from the rota.",
                22,
                2.5,
                1,
                1,
            ),
        ],
        "cycles": [
            (
                "Daily triage huddle, two weeks",
                "15-minute triage huddle at 09:15",
                3,
                "adopt",
                "Triage every morning for two weeks; the duty worker chairs.",
                "Most referrals will be triaged the next working day.",
                "Huddle held on 9 of 10 days; one missed for a team meeting.",
                "Referrals triaged within 2 days rose from about a third to over two thirds; waits began to fall.",
            ),
            (
                "Welcome call by an administrator",
                "Welcome phone call within 48 hours of triage",
                6,
                "adapt",
                "Administrators call everyone triaged as routine within 48 hours, using a short script.",
                "Fewer people will not attend their first appointment.",
                "Calls made to 41 of 47 people; six had no working number.",
                "Fewer missed first appointments; script too long, cut to five questions.",
            ),
        ],
    },
    {
        "set": "Set B",
        "title": "Safer handovers on Harbour View Ward",
        "area": ImprovementProject.Area.PATIENT_SAFETY,
        "status": ImprovementProject.Status.IMPLEMENTING,
        "problem": (
            "Shift handovers on the acute ward run long and vary from nurse to nurse. Risks such as "
            "leave status and observation levels get lost, and incidents are linked to poor handover."
        ),
        "aim": (
            "90% of shift handovers use the SBAR handover sheet, and handover-related "
            "incidents halve, within six months."
        ),
        "stakeholders": "Patients; ward nurses and healthcare assistants; bank staff; ward doctors; the matron.",
        "outline": (
            "- Everyone hands over the same way\n"
            "  - A shared handover tool\n"
            "    - SBAR sheet printed for every shift\n"
            "    - Bank staff briefed on the sheet at the start of the shift\n"
            "- Risks are handed over every time\n"
            "  - Risks come first\n"
            "    - Risk and observation levels as the first line of the sheet\n"
        ),
        "measures": [
            (
                "Handovers using the SBAR sheet",
                "process",
                "%",
                "up",
                "Audited handovers (two a day) using the SBAR sheet fully, % of audited handovers that week.",
                30,
                7.0,
                50,
                0,
            ),
            (
                "Incidents linked to handover",
                "outcome",
                "incidents per week",
                "down",
                "Incidents on the ward reporting system coded as 'communication – handover'.",
                3,
                1.2,
                -1.5,
                0,
            ),
        ],
        "cycles": [
            (
                "SBAR sheet on the night-to-day handover",
                "SBAR sheet printed for every shift",
                3,
                "adapt",
                "Use the SBAR sheet for the night-to-day handover for one week.",
                "Handover will be shorter and nobody will miss observation levels.",
                "Used on 6 of 7 mornings; nurses asked for a bigger risk box.",
                "SBAR use rose quickly; risk box enlarged for the next test.",
            ),
            (
                "Risks first, every shift",
                "Risk and observation levels as the first line of the sheet",
                7,
                "adopt",
                "Put risk and observation levels on the first line; use the sheet at all three handovers.",
                "Handover incidents will fall within a month.",
                "Sheet used at most handovers; bank staff needed a short briefing.",
                "Incidents fell; the ward has adopted the sheet.",
            ),
        ],
    },
    {
        "set": "Set C",
        "title": "Less restraint on the acute admission ward",
        "area": ImprovementProject.Area.PATIENT_SAFETY,
        "status": ImprovementProject.Status.TESTING,
        "problem": (
            "Restraint is used more often on the admission ward than elsewhere in the trust, mostly in the "
            "evening. Patients and staff describe these as frightening and often avoidable."
        ),
        "aim": (
            "Reduce the use of restraint on Moorland Ward by 30% by the celebration "
            "event, with no rise in assaults on staff."
        ),
        "stakeholders": (
            "Patients and carers; ward staff; the positive behaviour support lead; the patient safety team."
        ),
        "outline": (
            "- Early signs of distress are noticed\n"
            "  - Staff know each patient's triggers\n"
            "    - Safety huddle at every shift change\n"
            "- Calm alternatives are at hand\n"
            "  - Somewhere quiet to go\n"
            "    - Sensory room open in the evenings\n"
        ),
        "measures": [
            (
                "Restraint incidents",
                "outcome",
                "incidents per week",
                "down",
                "Restraint episodes recorded on the incident system for Moorland Ward.",
                9,
                1.8,
                -3.5,
                0,
            ),
            (
                "Shifts starting with a safety huddle",
                "process",
                "%",
                "up",
                "Shifts whose handover record shows a safety huddle, % of all shifts that week.",
                20,
                6.0,
                55,
                0,
            ),
            (
                "Assaults on staff",
                "balancing",
                "incidents per week",
                "down",
                "Incidents coded as physical assault on staff.",
                2,
                0.9,
                0,
                0,
            ),
        ],
        "cycles": [
            (
                "Evening safety huddle",
                "Safety huddle at every shift change",
                4,
                "adopt",
                "A five-minute huddle at the start of the late shift naming who may become distressed.",
                "Fewer restraints in the evening.",
                "Huddles held on most late shifts; took seven minutes on average.",
                "Evening restraints fell; huddles extended to every shift.",
            ),
            (
                "Sensory room open until 22:00",
                "Sensory room open in the evenings",
                8,
                "",
                "Keep the sensory room open in the evenings with a named member of staff.",
                "Patients will use it when agitated instead of escalating.",
                "Room used on 11 evenings in two weeks.",
                "",
            ),
        ],
    },
    {
        "set": "Set D",
        "title": "Patients know their care plan",
        "area": ImprovementProject.Area.PATIENT_EXPERIENCE,
        "status": ImprovementProject.Status.TESTING,
        "problem": (
            "In the community survey fewer than half of patients say they have a copy of their care plan or "
            "helped to write it. Plans are written after ward rounds, in clinical language."
        ),
        "aim": (
            "By the end of the programme, 75% of patients asked say they have a copy of "
            "their care plan in words they understand."
        ),
        "stakeholders": "Patients and carers; care coordinators; peer support workers; the patient experience team.",
        "outline": (
            "- Plans are written with patients\n"
            "  - Time in ward round for the plan\n"
            "    - Write the plan with the patient in the meeting\n"
            "- Plans are easy to read\n"
            "  - Plain words\n"
            "    - One-page plan in the patient's own words\n"
        ),
        "measures": [
            (
                "Patients who say they have a copy of their care plan",
                "outcome",
                "%",
                "up",
                "Weekly 'two-question' survey by peer support workers; % answering yes.",
                45,
                7.0,
                22,
                0,
            ),
            (
                "Plans written with the patient in the meeting",
                "process",
                "%",
                "up",
                "Care plans started in the review meeting, from the meeting log.",
                15,
                5.0,
                35,
                0,
            ),
        ],
        "cycles": [
            (
                "One-page plan on Northfield caseloads",
                "One-page plan in the patient's own words",
                4,
                "adapt",
                "Two care coordinators use the one-page plan with all reviews for two weeks.",
                "Patients will take the plan away from the meeting.",
                "Used in 14 reviews; two patients preferred the full plan.",
                "More patients said they had a copy; template shortened.",
            ),
        ],
    },
    {
        "set": "Set E",
        "title": "A smooth step down from the crisis team to the GP",
        "area": ImprovementProject.Area.CARE_PATHWAY,
        "status": ImprovementProject.Status.TESTING,
        "problem": (
            "When the crisis team discharges people to their GP, the discharge letter often arrives days "
            "later. GPs do not know what was agreed, and some people are referred back within weeks."
        ),
        "aim": (
            "Send 90% of discharge letters to the GP within one working day, and reduce "
            "re-referrals within 28 days, by May."
        ),
        "stakeholders": (
            "People discharged and their families; GPs and practice staff; crisis team clinicians; administrators."
        ),
        "outline": (
            "- The GP knows the plan on the day of discharge\n"
            "  - Letters written at the last visit\n"
            "    - Discharge letter template on the tablet\n"
            "- People know who to call\n"
            "  - A named contact after discharge\n"
            "    - Follow-up call at 72 hours\n"
        ),
        "measures": [
            (
                "Discharge letters sent within 1 working day",
                "process",
                "%",
                "up",
                "Letters sent to the GP within one working day of discharge, % of discharges that week.",
                40,
                8.0,
                42,
                0,
            ),
            (
                "Re-referrals within 28 days",
                "outcome",
                "people per week",
                "down",
                "People re-referred to the crisis team within 28 days of discharge.",
                4,
                1.3,
                -1,
                0,
            ),
        ],
        "cycles": [
            (
                "Letter template on the tablet",
                "Discharge letter template on the tablet",
                3,
                "adopt",
                "Clinicians complete the letter on the tablet at the last visit.",
                "Most letters will go the same day.",
                "Used for 30 of 36 discharges; Wi-Fi problems in two areas.",
                "Letters within one working day more than doubled.",
            ),
            (
                "72-hour follow-up call",
                "Follow-up call at 72 hours",
                8,
                "",
                "A crisis team worker calls everyone discharged after three days.",
                "Fewer people will be re-referred.",
                "",
                "",
            ),
        ],
    },
]

MEETING_NOTES = [
    "Shared the problem in our own words; agreed a first aim and who else we need to talk to.",
    "Reviewed the first PDSA: what surprised us, what the data show. Practised a GROW conversation about stuck points.",
]
ACTIONS = [
    ("Collect twelve weeks of baseline data", -4, True),
    ("Talk to the team about the first test", 2, True),
    ("Draft the module 6 presentation", 20, False),
]
REFLECTIONS = (
    "Working as a set across professions helped us see the problem from the patient's side. Testing small, "
    "one ward or one caseload at a time, made change feel possible; the run chart convinced colleagues more "
    "than any meeting did. We learnt to hold the aim steady and let the change ideas change."
)


def _weeks(start, end):
    day = start
    while day <= end:
        yield day
        day += datetime.timedelta(weeks=1)


def _series(name, dates, change_at, level, spread, change, decimals, *, percent):
    """Weekly values around ``level``; after ``change_at`` the level moves by ``change``."""
    rng = random.Random(name)  # noqa: S311 - demo data, deterministic: the same demo on every run
    values = []
    for day in dates:
        mean = level + (change if day >= change_at else 0)
        value = max(0.0, rng.gauss(mean, spread))
        if percent:
            value = min(value, 100.0)
        values.append(Decimal(str(round(value, decimals))))
    return values


@transaction.atomic
def populate(*, demo, stdout=None) -> list[ImprovementProject]:
    cohort = demo.cohort
    today = timezone.localdate()
    start = cohort.start_date
    last_monday = today - datetime.timedelta(days=today.weekday() + 7)
    first_monday = start - datetime.timedelta(days=start.weekday()) - datetime.timedelta(weeks=BASELINE_WEEKS)
    dates = list(_weeks(first_monday, last_monday))
    facilitators = list(demo.facilitators)
    projects = []
    for index, record in enumerate(PROJECTS):
        action_learning_set, _ = ActionLearningSet.objects.get_or_create(
            cohort=cohort,
            name=record["set"],
            defaults={"set_facilitator": facilitators[index % len(facilitators)] if facilitators else None},
        )
        members = demo.participants[index::5]
        in_a_set = set(SetMembership.objects.filter(cohort=cohort).values_list("membership_id", flat=True))
        SetMembership.objects.bulk_create(
            [
                SetMembership(cohort=cohort, action_learning_set=action_learning_set, membership=m)
                for m in members
                if m.pk not in in_a_set and m.status == Membership.Status.ACTIVE
            ]
        )
        if not action_learning_set.reflections:
            action_learning_set.reflections = REFLECTIONS
            action_learning_set.save(update_fields=["reflections", "updated_at"])
        project = _project(action_learning_set, record, dates, start, today, members)
        _meetings(action_learning_set, members, start, today)
        projects.append(project)
    _schedule(cohort, projects)
    if stdout is not None:
        stdout.write(f"Projects demo: {len(projects)} sets with projects in {cohort}.")
    return projects


def _project(action_learning_set, record, dates, start, today, members):
    project, _created = ImprovementProject.objects.get_or_create(
        action_learning_set=action_learning_set,
        title=record["title"],
        defaults={key: record[key] for key in ("area", "status", "problem", "aim", "stakeholders")},
    )
    if not project.driver_nodes.exists():
        services.driver_diagram_replace(project=project, outline=record["outline"])
    change_at = start + datetime.timedelta(weeks=record["cycles"][0][2])
    measures = []
    for order, (name, kind, unit, better, definition, level, spread, change, decimals) in enumerate(record["measures"]):
        measure, _ = Measure.objects.get_or_create(
            project=project,
            name=name,
            defaults={
                "kind": kind,
                "unit": unit,
                "better": better,
                "definition": definition,
                "baseline_points": BASELINE_WEEKS,
                "order": order,
            },
        )
        values = _series(name, dates, change_at, level, spread, change, decimals, percent=unit == "%")
        known = set(measure.data_points.values_list("date", flat=True))
        DataPoint.objects.bulk_create(
            [DataPoint(measure=measure, date=d, value=v) for d, v in zip(dates, values, strict=True) if d not in known]
        )
        measures.append(measure)
    ideas = {node.text: node for node in project.driver_nodes.filter(kind="change_idea")}
    for title, idea, week, act, plan, prediction, do, study in record["cycles"]:
        begins = start + datetime.timedelta(weeks=week)
        if begins > today:
            continue
        ends = begins + datetime.timedelta(weeks=2)
        cycle, made = ProjectPDSACycle.objects.get_or_create(
            project=project,
            title=title,
            defaults={
                "change_idea": ideas.get(idea),
                "plan": plan,
                "prediction": prediction,
                "do": do if ends <= today else "",
                "study": study if ends <= today else "",
                "act": act if ends <= today else "",
                "start_date": begins,
                "end_date": ends if ends <= today else None,
            },
        )
        if made:
            cycle.measures.set(measures[:2])
    if not project.progress_scores.exists():
        recorder = members[0] if members else None
        for weeks, score, note in (
            (0, "1.0", "Set formed"),
            (3, "2.0", "First test under way"),
            (9, "3.0", "Data show improvement"),
        ):
            when = start + datetime.timedelta(weeks=weeks)
            if when > today:
                continue
            ProgressScore.objects.create(
                project=project,
                score=Decimal(score),
                note=note,
                recorded_by=recorder,
                recorded_at=timezone.make_aware(datetime.datetime.combine(when, datetime.time(16, 0))),
            )
            project.progress_score = Decimal(score)
        project.save(update_fields=["progress_score", "updated_at"])
    return project


def _meetings(action_learning_set, members, start, today):
    for number, notes in enumerate(MEETING_NOTES):
        day = start + datetime.timedelta(weeks=2 + 5 * number, days=2)
        if day > today:
            continue
        meeting, made = SetMeeting.objects.get_or_create(
            action_learning_set=action_learning_set, date=day, defaults={"notes": notes}
        )
        if made:
            meeting.attendees.set([m for i, m in enumerate(members) if (i + number) % 5])
    for number, (text, weeks, done) in enumerate(ACTIONS):
        due = start + datetime.timedelta(weeks=weeks)
        SetAction.objects.get_or_create(
            action_learning_set=action_learning_set,
            description=text,
            defaults={"owner": members[number % len(members)] if members else None, "due_date": due, "done": done},
        )


def _schedule(cohort, projects):
    slot = datetime.datetime.combine(datetime.date(2000, 1, 1), datetime.time(10, 0))
    for order, project in enumerate(projects, start=1):
        if order == 3:
            slot += datetime.timedelta(minutes=20)  # coffee
        ends = slot + datetime.timedelta(minutes=25)
        Presentation.objects.get_or_create(
            cohort=cohort,
            order=order,
            defaults={
                "action_learning_set": project.action_learning_set,
                "project": project,
                "title": project.title,
                "starts_at": slot.time(),
                "ends_at": ends.time(),
            },
        )
        slot = ends + datetime.timedelta(minutes=5)
