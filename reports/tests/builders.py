"""A finished cohort with every section of the report filled, at any size, written in bulk."""

from __future__ import annotations

import datetime
import decimal
from types import SimpleNamespace

from django.utils import timezone

from cohorts.models import Cohort, Membership
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from evaluation import quote_services
from evaluation.models import PracticeMoment
from modules.models import Attendance
from modules.tests.factories import ActItemFactory, PDSACycleFactory, make_modules
from projects.models import DataPoint
from projects.tests.factories import ActionLearningSetFactory, ImprovementProjectFactory, MeasureFactory
from surveys.models import Answer, Invitation, Question, Response, Survey
from surveys.services import question_set_default
from surveys.tests.factories import (
    ChoiceFactory,
    CohortSurveyFactory,
    QuestionFactory,
    QuestionSetFactory,
    SurveyFactory,
    responses_bulk_create,
)
from surveys.tokens import pseudonym_for

C = Answer.QuoteConsent
SELF_ITEMS = ("hlm-engaging-the-team-1", "hlm-engaging-the-team-2", "prog-coaching-grow-1")
UNCONSENTED = "I would rather nobody quoted this sentence about my ward"
CONSENTED_NAMED = "I now open every supervision with a GROW question and my team answers it themselves"
CONSENTED_ROLE = "Our huddle is calmer and shorter since the programme"
REFLECTION = "Asked the night team what had gone well; they asked to do it again"


def _closed(**kwargs):
    now = timezone.now()
    return {"status": Survey.Status.CLOSED, "closed_at": now, "opens_at": now - datetime.timedelta(days=14), **kwargs}


def _invite(survey, members):
    now = timezone.now()
    Invitation.objects.bulk_create(
        Invitation(survey=survey, membership=m, status=Invitation.Status.SENT, sent_at=now, responded_at=now)
        for m in members
    )


def _respond(survey, members, answers_for):
    now = timezone.now()
    responses = Response.objects.bulk_create(
        Response(survey=survey, pseudonym=pseudonym_for(m.pk), profession="nurse", submitted_at=now, updated_at=now)
        for m in members
    )
    questions = list(survey.question_set.questions.all())
    Answer.objects.bulk_create(
        Answer(response=response, question=q, **answers_for(i, q))
        for i, response in enumerate(responses)
        for q in questions
    )


def _self_assessment(cohort, members):
    pre_set, post_set = QuestionSetFactory(), QuestionSetFactory()
    for order, code in enumerate(SELF_ITEMS):
        QuestionFactory(question_set=pre_set, code=code, order=order, kind=Question.Kind.LIKERT5)
        QuestionFactory(question_set=post_set, code=code, order=order, kind=Question.Kind.LIKERT5, asks_then=True)
    pre = CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.SELF_PRE, question_set=pre_set, **_closed())
    post = CohortSurveyFactory(cohort=cohort, kind=Survey.Kind.SELF_POST, question_set=post_set, **_closed())
    for survey in (pre, post):
        _invite(survey, members)
    # Everyone rises by 1 or 2 after; "then" a point under "pre": a clear change at n >= 6.
    _respond(pre, members, lambda i, q: {"number": 3})
    _respond(post, members, lambda i, q: {"number": 4 + i % 2, "then_number": 2})


def _evaluation(cohort, members, kind, codes):
    question_set = QuestionSetFactory()
    likert = QuestionFactory(question_set=question_set, code=codes[0], order=0, kind=Question.Kind.LIKERT5)
    text = QuestionFactory(question_set=question_set, code=codes[1], order=1, kind=Question.Kind.LONG_TEXT)
    survey = CohortSurveyFactory(cohort=cohort, kind=kind, question_set=question_set, **_closed())
    _invite(survey, members)

    def answers(i, q):
        if q.pk == likert.pk:
            return {"number": 5 if i % 3 else 4}
        if i == 0:
            return {"text": CONSENTED_NAMED, "quote_consent": C.NAME_AND_ROLE}
        if i == 1:
            return {"text": UNCONSENTED, "quote_consent": C.NONE}
        return {"text": f"{CONSENTED_ROLE} ({kind} {i})", "quote_consent": C.ROLE}

    _respond(survey, members, answers)
    return survey, text


def report_cohort(n: int, *, select_quotes: bool = True) -> SimpleNamespace:
    """A finished cohort of ``n`` participants with module surveys and PDSA records, attendance,
    self-assessment, evaluation and follow-up, practice log, a project with a run chart and quotes."""
    cohort = CohortFactory(status=Cohort.Status.FINISHED, start_date=datetime.date(2026, 1, 5))
    facilitator = MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR, person__user=UserFactory())
    modules = make_modules(cohort, delivered=6)
    members = [
        MembershipFactory(cohort=cohort, person__profession="nurse", person__job_title="Ward Manager")
        for _i in range(n)
    ]
    # Everyone at every module but the last participant, who missed two (so did not complete).
    Attendance.objects.bulk_create(
        Attendance(
            module=module,
            membership=member,
            status=Attendance.Status.ABSENT
            if index == n - 1 and module.number in (2, 3)
            else Attendance.Status.PRESENT,
        )
        for module in modules
        for index, member in enumerate(members)
    )
    default_set = question_set_default()
    for module in modules[:5]:
        survey = SurveyFactory(
            module=module, question_set=default_set, privacy=Survey.Privacy.PSEUDONYMOUS, **_closed()
        )
        _invite(survey, members)
        responses_bulk_create(survey, n, usefulness=lambda i, k=module.number: 3 + (i + k) % 3, text="Fine")
        cycle = PDSACycleFactory(module=module, study_reading=f"Module {module.number} ran long.")
        ActItemFactory(cycle=cycle, text=f"Shorter lunch after module {module.number}")
    _self_assessment(cohort, members)
    evaluation, _text = _evaluation(cohort, members, Survey.Kind.EVALUATION, ("kp-reaction-worthwhile", "kp-x"))
    _evaluation(cohort, members, Survey.Kind.FOLLOW_UP, ("fu-sustained-confident", "fu-x"))
    moments = [
        PracticeMoment(
            membership=member,
            date=cohort.start_date + datetime.timedelta(days=10 + k),
            method=PracticeMoment.Method.GROW if k else PracticeMoment.Method.APPRECIATIVE_INQUIRY,
            with_whom=PracticeMoment.WithWhom.TEAM,
        )
        for member in members
        for k in range(2)
    ]
    moments[0].reflection, moments[0].shared_with_set, moments[0].quote_consent = REFLECTION, True, C.ROLE
    PracticeMoment.objects.bulk_create(moments)
    action_learning_set = ActionLearningSetFactory(cohort=cohort, reflections="We learnt to test small.")
    project = ImprovementProjectFactory(action_learning_set=action_learning_set, progress_score=decimal.Decimal("3.5"))
    measure = MeasureFactory(project=project, name="Days to first contact", better="down", baseline_points=6)
    DataPoint.objects.bulk_create(
        DataPoint(
            measure=measure,
            date=datetime.date(2026, 1, 5) + datetime.timedelta(weeks=w),
            value=decimal.Decimal(18 if w < 6 else 9 + w % 2),
        )
        for w in range(16)
    )
    quotes = []
    if select_quotes:
        named = Answer.objects.get(response__survey=evaluation, text=CONSENTED_NAMED)
        moment = PracticeMoment.objects.get(membership__cohort=cohort, reflection=REFLECTION)
        quotes = [f"answer-{named.pk}", f"moment-{moment.pk}"]
        for key in quotes:
            quote_services.quote_select(cohort=cohort, key=key)
    return SimpleNamespace(
        cohort=cohort,
        facilitator=facilitator,
        members=members,
        modules=modules,
        project=project,
        measure=measure,
        quotes=quotes,
    )


def evaluation_choices_add(world: SimpleNamespace) -> None:
    """A single-choice and a multiple-choice question in the world's evaluation, answered by everyone
    (the second by every other participant, one to three options each)."""
    evaluation = Survey.objects.get(cohort=world.cohort, kind=Survey.Kind.EVALUATION)
    single = QuestionFactory(
        question_set=evaluation.question_set, code="kp-behaviour-choice", order=5, kind=Question.Kind.SINGLE_CHOICE
    )
    multiple = QuestionFactory(
        question_set=evaluation.question_set,
        code="kp-results-choices",
        order=6,
        kind=Question.Kind.MULTIPLE_CHOICE,
        max_choices=3,
    )
    options = {q.pk: [ChoiceFactory(question=q, order=i) for i in range(3)] for q in (single, multiple)}
    for i, response in enumerate(evaluation.responses.order_by("pk")):
        Answer.objects.create(response=response, question=single).choices.set([options[single.pk][i % 3]])
        if i % 2:
            Answer.objects.create(response=response, question=multiple).choices.set(options[multiple.pk][: 1 + i % 3])
