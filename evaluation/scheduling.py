"""When the evaluation surveys open (evaluation owns the schedule; surveys does the inviting).

* SELF_PRE opens on the cohort's start date and closes when module 1 starts (at most 14 days on);
* SELF_POST and EVALUATION open together when module 6 is marked delivered (``receivers``): two
  surveys, two invitations sent at once, and the self-assessment's thank-you page leads on to the
  evaluation;
* FOLLOW_UP opens on ``CohortEvaluation.follow_up_on`` (default module 6 + 3 months).

The self-assessments are PSEUDONYMOUS whatever the cohort's settings: the stable pseudonym pairs a
person's pre, then and post ratings without a name. The evaluation and follow-up take the cohort's
(or programme's) default privacy.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cohorts.models import Cohort
from modules.models import Module
from surveys import services as survey_services
from surveys.models import Choice, Question, QuestionSet, Survey

from . import dimensions
from .models import CohortEvaluation
from .selectors import follow_up_default, months_later

logger = logging.getLogger(__name__)

# Dates further back than this are left alone: a "before the programme" survey arriving weeks
# into it would measure nothing, and a late follow-up would puzzle people.
OPEN_DUE_LOOKBACK = datetime.timedelta(days=14)
PRE_OPEN_DAYS_MAX = 14
POST_OPEN_DAYS = 14
FOLLOW_UP_OPEN_DAYS = 14

# Library question sets built from evaluation/dimensions.py: (slug, name, items, asks "then").
QUESTION_SETS = {
    Survey.Kind.SELF_PRE: ("self-assessment-pre", "Leadership self-assessment (before)", "SELF", False),
    Survey.Kind.SELF_POST: ("self-assessment-post", "Leadership self-assessment (after, with then)", "SELF", True),
    Survey.Kind.EVALUATION: ("programme-evaluation", "End-of-programme evaluation", "KIRKPATRICK", False),
    Survey.Kind.FOLLOW_UP: ("programme-follow-up", "Follow-up", "FOLLOW_UP", False),
}
_ITEMS = {
    "SELF": dimensions.SELF_ASSESSMENT_ITEMS,
    "KIRKPATRICK": dimensions.KIRKPATRICK_ITEMS,
    "FOLLOW_UP": dimensions.FOLLOW_UP_ITEMS,
}


def _question_set_build(*, slug: str, name: str, items, asks_then: bool) -> QuestionSet:
    question_set = QuestionSet.objects.create(slug=slug, name=name)
    by_code = {}
    for order, item in enumerate(items, start=1):
        condition = by_code[item.condition[0]] if item.condition else None
        question = Question.objects.create(
            question_set=question_set,
            order=order * 10,
            code=item.code,
            kind=item.kind,
            text=str(item.text),
            help_text=str(item.help_text),
            required=item.required,
            max_choices=item.max_choices,
            condition_question=condition,
            condition_value=str(item.condition[1]) if item.condition else "",
            asks_then=asks_then and item.kind == Question.Kind.LIKERT5,
        )
        by_code[item.code] = question
        Choice.objects.bulk_create(
            [Choice(question=question, order=i, label=str(label)) for i, label in enumerate(item.choices, start=1)]
        )
    return question_set


@transaction.atomic
def evaluation_question_sets_ensure() -> dict[str, QuestionSet]:
    """The current library set of each evaluation survey kind, built from ``dimensions`` if missing.

    Idempotent: an existing set (in any later version staff made) is kept as it is.
    """
    sets = {}
    for kind, (slug, name, bank, asks_then) in QUESTION_SETS.items():
        question_set = QuestionSet.objects.current().filter(slug=slug).first()
        if question_set is None:
            question_set = _question_set_build(slug=slug, name=name, items=_ITEMS[bank], asks_then=asks_then)
        sets[kind] = question_set
    return sets


@transaction.atomic
def cohort_evaluation_get_or_create(*, cohort: Cohort) -> CohortEvaluation:
    """The cohort's evaluation dates, with the follow-up defaulting to module 6's day + 3 months."""
    evaluation, _created = CohortEvaluation.objects.get_or_create(cohort=cohort)
    if evaluation.follow_up_on is None:
        evaluation.follow_up_on = follow_up_default(cohort=cohort)
        if evaluation.follow_up_on is not None:
            evaluation.save(update_fields=["follow_up_on", "updated_at"])
    return evaluation


def evaluation_question_set_for_cohort(*, cohort: Cohort, kind: str) -> QuestionSet:
    """The set a cohort's evaluation survey of ``kind`` asks: the cohort's own copy of the library set
    if its facilitators edited it (copy-on-write), else the library set."""
    return survey_services.question_set_for_cohort_of(
        question_set=evaluation_question_sets_ensure()[kind], cohort=cohort
    )


FOLLOW_UP_LATEST_MONTHS = 24


@transaction.atomic
def cohort_evaluation_follow_up_set(*, cohort: Cohort, follow_up_on: datetime.date) -> CohortEvaluation:
    """Move the day the follow-up survey opens: after module 6, within two years, and only while the
    follow-up has not been opened (its invitations are out once it has)."""
    evaluation = cohort_evaluation_get_or_create(cohort=cohort)
    evaluation = CohortEvaluation.objects.select_for_update().get(pk=evaluation.pk)
    if Survey.objects.filter(cohort=cohort, kind=Survey.Kind.FOLLOW_UP).exists():
        raise ValidationError(
            _("The follow-up survey has already been opened, so its date can no longer change."), code="opened"
        )
    last = Module.objects.filter(cohort=cohort).order_by("-number").first()
    if last is not None:
        last_day = timezone.localdate(last.starts_at)
        if follow_up_on <= last_day:
            raise ValidationError(
                {
                    "follow_up_on": _("Choose a day after module %(number)s (%(day)s).")
                    % {"number": last.number, "day": formats.date_format(last_day, "j F Y")}
                },
                code="before_end",
            )
        if follow_up_on > months_later(last_day, FOLLOW_UP_LATEST_MONTHS):
            raise ValidationError(
                {"follow_up_on": _("Choose a day within two years of module %(number)s.") % {"number": last.number}},
                code="too_late",
            )
    evaluation.follow_up_on = follow_up_on
    evaluation.save(update_fields=["follow_up_on", "updated_at"])
    return evaluation


def _open(*, cohort: Cohort, kind: str, privacy: str, opens_at, closes_at) -> Survey:
    question_set = evaluation_question_set_for_cohort(cohort=cohort, kind=kind)
    survey = survey_services.survey_create_for_cohort(
        cohort=cohort, kind=kind, question_set=question_set, privacy=privacy, opens_at=opens_at, closes_at=closes_at
    )
    return survey_services.survey_open_and_invite(survey=survey, now=opens_at)


def _pre_closes_at(cohort: Cohort, opens_at: datetime.datetime) -> datetime.datetime:
    latest = opens_at + datetime.timedelta(days=PRE_OPEN_DAYS_MAX)
    first = Module.objects.filter(cohort=cohort, number=1).first()
    if first is not None and opens_at < first.starts_at < latest:
        return first.starts_at
    return latest


@transaction.atomic
def evaluation_post_surveys_open(*, cohort: Cohort, now: datetime.datetime | None = None) -> list[Survey]:
    """Open the post self-assessment and the end-of-programme evaluation (idempotent)."""
    now = now or timezone.now()
    cohort_evaluation_get_or_create(cohort=cohort)
    _question_set, default_privacy = survey_services.survey_defaults_for_cohort(cohort=cohort)
    closes_at = now + datetime.timedelta(days=POST_OPEN_DAYS)
    return [
        _open(
            cohort=cohort,
            kind=Survey.Kind.SELF_POST,
            privacy=Survey.Privacy.PSEUDONYMOUS,
            opens_at=now,
            closes_at=closes_at,
        ),
        _open(cohort=cohort, kind=Survey.Kind.EVALUATION, privacy=default_privacy, opens_at=now, closes_at=closes_at),
    ]


def evaluation_surveys_open_due(*, now: datetime.datetime | None = None) -> list[int]:
    """The periodic job: open each cohort's SELF_PRE from its start date and its FOLLOW_UP from its
    follow-up date (each within ``OPEN_DUE_LOOKBACK``). Returns the ids of the surveys opened.
    Idempotent: a survey of that kind that exists already (open, closed or draft) is not made again."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    opened = []
    pre_due = (
        Cohort.objects.filter(start_date__lte=today, start_date__gte=today - OPEN_DUE_LOOKBACK)
        .exclude(status=Cohort.Status.FINISHED)
        .exclude(surveys__kind=Survey.Kind.SELF_PRE)
    )
    for cohort in pre_due:
        with transaction.atomic():
            survey = _open(
                cohort=cohort,
                kind=Survey.Kind.SELF_PRE,
                privacy=Survey.Privacy.PSEUDONYMOUS,
                opens_at=now,
                closes_at=_pre_closes_at(cohort, now),
            )
        opened.append(survey.pk)
        logger.info("cohort %s started: self-assessment before the programme opened", cohort.pk)
    follow_up_due = CohortEvaluation.objects.filter(
        follow_up_on__lte=today, follow_up_on__gte=today - OPEN_DUE_LOOKBACK
    ).exclude(cohort__surveys__kind=Survey.Kind.FOLLOW_UP)
    for evaluation in follow_up_due.select_related("cohort"):
        with transaction.atomic():
            _question_set, privacy = survey_services.survey_defaults_for_cohort(cohort=evaluation.cohort)
            survey = _open(
                cohort=evaluation.cohort,
                kind=Survey.Kind.FOLLOW_UP,
                privacy=privacy,
                opens_at=now,
                closes_at=now + datetime.timedelta(days=FOLLOW_UP_OPEN_DAYS),
            )
        opened.append(survey.pk)
        logger.info("cohort %s: follow-up survey opened", evaluation.cohort_id)
    return opened
