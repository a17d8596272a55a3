"""Demo: the finished cohort's module by module record (attendance and the module surveys 1-5), so that
the programme page compares Tamar Vale Cohort 0 with the running Cohort 1 on the same figures.

Cohort 0's story: the same programme a year earlier, before the facilitators started acting on each
module's survey (PDSA), so its module scores are a little lower and flatter than Cohort 1's, and
attendance dips in the winter modules. Written in bulk like ``demo_finished`` (the surveys are
closed, no mail is due). Idempotent: a module that already has a survey or attendance is left alone.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from cohorts.models import Cohort, Membership
from modules.models import Attendance, Module
from surveys.demo import closed_survey_create
from surveys.models import Invitation, Question, Survey
from surveys.services.question_sets import question_set_default

from . import demo_finished

SEED = 2025
RESPONSE_RATES = {1: 0.79, 2: 0.71, 3: 0.75, 4: 0.67, 5: 0.71}
# Agreement 1-5 weights per module: steady, with no rise after module 1 (nobody acted on the feedback).
LIKERT_WEIGHTS = {
    1: [3, 10, 24, 42, 21],
    2: [3, 11, 24, 41, 21],
    3: [2, 10, 25, 42, 21],
    4: [3, 10, 23, 43, 21],
    5: [2, 9, 24, 43, 22],
}
RECOMMEND_WEIGHTS = [0, 0, 1, 1, 2, 4, 8, 16, 26, 22, 18]
# Share of participants with apologies or absent, per module (modules 3 and 4 fell in winter).
MISSED_SHARE = {1: 0.04, 2: 0.08, 3: 0.17, 4: 0.21, 5: 0.08, 6: 0.04}


def _attendance(rng: random.Random, modules: list[Module], participants: list[Membership]) -> None:
    recorded = set(
        Attendance.objects.filter(module__in=modules).values_list("module_id", flat=True).distinct().order_by()
    )
    rows = []
    for module in modules:
        if module.pk in recorded:
            continue
        missed = set(rng.sample(range(len(participants)), k=round(len(participants) * MISSED_SHARE[module.number])))
        for index, membership in enumerate(participants):
            status = Attendance.Status.PRESENT
            if index in missed:
                status = rng.choice([Attendance.Status.APOLOGIES] * 2 + [Attendance.Status.ABSENT])
            rows.append(Attendance(module=module, membership=membership, status=status))
    Attendance.objects.bulk_create(rows)


def _module_surveys(rng: random.Random, modules: list[Module], participants: list[Membership]) -> None:
    question_set = question_set_default()
    for module in modules:
        if not module.has_survey or Survey.objects.filter(module=module).exists():
            continue
        opens = module.ends_at
        survey = closed_survey_create(
            cohort=module.cohort,
            module=module,
            kind=Survey.Kind.MODULE,
            question_set=question_set,
            opens_at=opens,
            days=Survey.DEFAULT_OPEN_DAYS,
        )
        responders = rng.sample(participants, k=round(len(participants) * RESPONSE_RATES[module.number]))
        weights = LIKERT_WEIGHTS[module.number]

        def answer(_index, question, weights=weights):
            if question.kind == Question.Kind.LIKERT5:
                return (rng.choices(range(1, 6), weights=weights)[0], None)
            if question.kind == Question.Kind.RATING0_10:
                return (rng.choices(range(11), weights=RECOMMEND_WEIGHTS)[0], None)
            return None  # choices and comments are left out of this demo record

        # Everyone is invited; the responders' invitations carry the time they answered.
        demo_finished._respond(survey, responders, opens + datetime.timedelta(days=2), answer)
        Invitation.objects.bulk_create(
            Invitation(survey=survey, membership=m, status=Invitation.Status.SENT, sent_at=opens)
            for m in participants
            if m not in responders
        )


@transaction.atomic
def populate_finished_modules(*, demo, stdout=None) -> Cohort | None:
    cohort = Cohort.objects.filter(commissioner=demo.commissioner, name=demo_finished.NAME).first()
    if cohort is None:
        return None
    rng = random.Random(SEED)  # noqa: S311 (invented demo data, not a secret)
    modules = list(cohort.modules.order_by("number"))
    participants = list(Membership.objects.participants().filter(cohort=cohort).select_related("person").order_by("pk"))
    _attendance(rng, modules, participants)
    _module_surveys(rng, modules, participants)
    if cohort.end_date is None:
        # The programme page shows each cohort's dates: the finished cohort ended on module 6's day.
        cohort.end_date = timezone.localtime(modules[-1].starts_at).date()
        cohort.save(update_fields=["end_date", "updated_at"])
    return cohort
