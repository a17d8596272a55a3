"""The export benchmark's surveys: one closed pseudonymous survey with N responses, 8 answers each,
in its own cohort, written with ``bench.writer`` (COPY). Made once per database and reused."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cohorts.models import Cohort, Membership, Organisation, Person, Programme
from modules.models import Module
from surveys.models import Answer, Response, Survey
from surveys.services import question_set_default
from surveys.tokens import pseudonym_for

from .scale import ANSWERS_PER_RESPONSE, ELSE, IMPROVE, LIKERT, RECOMMEND, WENT_WELL
from .writer import Writer, has_field


def export_survey(n: int):
    """(survey, its facilitator's user, whether it was built now) for a survey with ``n`` responses."""
    name = f"Export bench {n}"
    cohort = Cohort.objects.filter(name=name).first()
    if cohort is not None:
        survey = Survey.objects.select_related("module", "question_set").get(module__cohort=cohort)
        facilitator = cohort.memberships.get(role=Membership.Role.FACILITATOR).person.user
        return survey, facilitator, False
    with transaction.atomic():
        survey, facilitator = _build(name, n)
    return survey, facilitator, True


def _build(name: str, n: int):
    now = timezone.now()
    provider, _ = Organisation.objects.get_or_create(
        name="Export Bench Academy", defaults={"kind": Organisation.Kind.PROVIDER}
    )
    programme, _ = Programme.objects.get_or_create(provider=provider, name="Export Bench Programme")
    start = timezone.localdate() - datetime.timedelta(weeks=30)
    cohort = Cohort.objects.create(
        programme=programme, commissioner=provider, name=name, start_date=start, status=Cohort.Status.FINISHED
    )
    user = get_user_model().objects.create_user(username=f"export-bench-{n}", password=None)
    person = Person.objects.create(full_name=f"Facilitator {n}", email=f"export-bench-{n}@bench.example", user=user)
    Membership.objects.create(cohort=cohort, person=person, role=Membership.Role.FACILITATOR)
    ends = now - datetime.timedelta(days=30)
    module = Module.objects.create(
        cohort=cohort,
        number=1,
        title="Team dynamics",
        starts_at=ends - datetime.timedelta(hours=7),
        ends_at=ends,
        state=Module.State.DELIVERED,
        delivered_at=ends,
    )
    question_set = question_set_default()
    # Surveys are getting their cohort stored beside the module's (issue 12): give it where it exists.
    survey = Survey.objects.create(
        **({"cohort": cohort} if has_field(Survey, "cohort_id") else {}),
        module=module,
        question_set=question_set,
        privacy=Survey.Privacy.PSEUDONYMOUS,
        status=Survey.Status.CLOSED,
        opens_at=ends,
        closes_at=ends + datetime.timedelta(days=7),
        closed_at=ends + datetime.timedelta(days=7),
    )
    questions = {q.code: q for q in question_set.questions.prefetch_related("choices")}
    q = {code: question.pk for code, question in questions.items()}
    pace = [c.pk for c in questions["pace"].choices.all()]
    useful = [c.pk for c in questions["most_useful"].choices.all()]
    w = Writer()
    response_ids = w.next_ids(Response, n)
    answer_ids = iter(w.next_ids(Answer, n * ANSWERS_PER_RESPONSE))
    responses, answers, links = [], [], []
    for i, pk in enumerate(response_ids):
        stamp = ends + datetime.timedelta(minutes=i % 5000)
        # Pseudonyms are HMACs of membership ids; these stand for 1,000,000 + i.
        responses.append((pk, survey.pk, pseudonym_for(1_000_000 + i), "nurse", stamp, stamp))
        ids = [next(answer_ids) for _ in range(ANSWERS_PER_RESPONSE)]
        answers += [
            (ids[0], pk, q["usefulness"], LIKERT[i % 12], ""),
            (ids[1], pk, q["confidence"], LIKERT[(i * 5) % 12], ""),
            (ids[2], pk, q["pace"], None, ""),
            (ids[3], pk, q["most_useful"], None, ""),
            (ids[4], pk, q["went_well"], None, WENT_WELL[i % 4] + f" ({i})"),
            # A formula-like answer in every tenth row: the export must neutralise it.
            (ids[5], pk, q["improve"], None, '=HYPERLINK("http://x")' if i % 10 == 0 else IMPROVE[(i // 4) % 4]),
            (ids[6], pk, q["recommend"], RECOMMEND[(i * 7) % 12], ""),
            (ids[7], pk, q["anything_else"], None, ELSE[(i // 16) % 4]),
        ]
        links.append((ids[2], pace[i % 3]))
        links.append((ids[3], useful[i % 5]))
        if i % 2:
            links.append((ids[3], useful[(i + 2) % 5]))
    w.write(
        Response,
        ["id", "survey_id", "membership_id", "pseudonym", "edit_key", "profession", "submitted_at", "updated_at"],
        (
            (pk, survey_pk, None, pseudonym, None, profession, s, u)
            for pk, survey_pk, pseudonym, profession, s, u in responses
        ),
    )
    w.write(Answer, ["id", "response_id", "question_id", "number", "text"], answers)
    through = Answer.choices.through
    w.write(
        through,
        ["id", "answer_id", "choice_id"],
        ((pk, *row) for pk, row in zip(w.next_ids(through, len(links)), links, strict=True)),
    )
    w.reset_sequences()
    w.analyze()
    return survey, user
