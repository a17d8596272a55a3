import datetime

import factory
from django.utils import timezone

from cohorts.tests.factories import CohortFactory
from modules.tests.factories import ModuleFactory
from surveys.models import Answer, Choice, Invitation, Question, QuestionSet, Response, Survey

# Valid answers to the default question set, keyed by question code.
ANSWERS = {"usefulness": "4", "confidence": "3", "pace": "About right", "recommend": "9"}


class QuestionSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuestionSet

    name = factory.Sequence(lambda n: f"Question set {n}")
    slug = factory.Sequence(lambda n: f"question-set-{n}")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    question_set = factory.SubFactory(QuestionSetFactory)
    order = factory.Sequence(lambda n: n * 10)
    code = factory.Sequence(lambda n: f"q{n}")
    kind = Question.Kind.LIKERT5
    text = factory.Sequence(lambda n: f"Question {n}?")


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory, kind=Question.Kind.SINGLE_CHOICE)
    order = factory.Sequence(lambda n: n)
    label = factory.Sequence(lambda n: f"Choice {n}")


class SurveyFactory(factory.django.DjangoModelFactory):
    """An open survey in its window; pass ``question_set`` for one with questions."""

    class Meta:
        model = Survey

    kind = Survey.Kind.MODULE
    module = factory.SubFactory(ModuleFactory)
    cohort = factory.LazyAttribute(lambda s: s.module.cohort if s.module is not None else CohortFactory())
    question_set = factory.SubFactory(QuestionSetFactory)
    privacy = Survey.Privacy.NAMED
    status = Survey.Status.OPEN
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
    closes_at = factory.LazyAttribute(lambda s: s.opens_at + datetime.timedelta(days=7))


class CohortSurveyFactory(SurveyFactory):
    """An open survey that follows no module (a self-assessment, the evaluation, the follow-up)."""

    kind = Survey.Kind.SELF_PRE
    module = None
    cohort = factory.SubFactory(CohortFactory)
    privacy = Survey.Privacy.PSEUDONYMOUS


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    survey = factory.SubFactory(SurveyFactory)
    membership = factory.SubFactory(
        "cohorts.tests.factories.MembershipFactory", cohort=factory.SelfAttribute("..survey.cohort")
    )


def responses_bulk_create(survey, n, *, usefulness=lambda i: 1 + i % 5, recommend=lambda i: i % 11, text="Fine"):
    """``n`` pseudonymous responses with answers, written in bulk (for figures and query counts)."""
    now = timezone.now()
    questions = {q.code: q for q in survey.question_set.questions.prefetch_related("choices")}
    responses = Response.objects.bulk_create(
        [
            Response(survey=survey, pseudonym=f"p{i:062d}", profession="nurse", submitted_at=now, updated_at=now)
            for i in range(n)
        ]
    )
    answers = []
    for i, response in enumerate(responses):
        answers += [
            Answer(response=response, question=questions["usefulness"], number=usefulness(i)),
            Answer(response=response, question=questions["recommend"], number=recommend(i)),
            Answer(response=response, question=questions["pace"]),
            Answer(response=response, question=questions["went_well"], text=text),
        ]
    Answer.objects.bulk_create(answers)
    about_right = questions["pace"].choices.get(label="About right")
    through = Answer.choices.through
    through.objects.bulk_create(
        [through(answer_id=a.pk, choice_id=about_right.pk) for a in answers if a.question_id == questions["pace"].pk]
    )
    return responses
