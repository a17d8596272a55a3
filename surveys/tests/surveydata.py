"""Known survey results for the PDSA pages, written straight to the surveys tables."""

from django.utils import timezone

from surveys.models import Answer, Invitation, Question, Response
from surveys.tests.factories import QuestionFactory, QuestionSetFactory, SurveyFactory


def survey_with_results(*, module, memberships, usefulness: list[int], recommend: list[int], question_set=None):
    """A named survey of ``module`` answered by the first ``len(usefulness)`` memberships."""
    if question_set is None:
        question_set = QuestionSetFactory()
        QuestionFactory(question_set=question_set, code="usefulness", kind=Question.Kind.LIKERT5)
        QuestionFactory(question_set=question_set, code="recommend", kind=Question.Kind.RATING0_10)
    questions = {q.code: q for q in question_set.questions.all()}
    survey = SurveyFactory(module=module, question_set=question_set)
    now = timezone.now()
    Invitation.objects.bulk_create(
        Invitation(survey=survey, membership=m, responded_at=now if i < len(usefulness) else None)
        for i, m in enumerate(memberships)
    )
    for membership, useful, rec in zip(memberships, usefulness, recommend, strict=False):
        response = Response.objects.create(survey=survey, membership=membership, submitted_at=now, updated_at=now)
        Answer.objects.bulk_create(
            [
                Answer(response=response, question=questions["usefulness"], number=useful),
                Answer(response=response, question=questions["recommend"], number=rec),
            ]
        )
    return survey
