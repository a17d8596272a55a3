"""Writes of the practice log and the monthly nudge by e-mail.

The nudge's e-mail goes through common's outbox (``common.outbox``: claimed, sent, retried and
logged in ``common.SentEmail`` like a sign-in link):

* ``practice_nudges_queue_due`` (every hour from Celery beat) writes one ``PracticeNudge`` row per
  participant due one, in the nudge window at the start of each month, and puts its e-mail in the
  outbox. The row's ``UniqueConstraint(membership, month)`` makes a second run, or a second worker,
  a no-op.
* When the e-mail is sent, ``practice_nudge_build`` checks that the participant is still due (they
  may have logged or switched nudges off meanwhile), and ``practice_nudge_outcome_record`` copies
  the outcome (sent, failed, cancelled, queued for a retry) onto the nudge.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Membership
from common.mail import mail_message, mail_render
from common.models import OutboxMail
from common.outbox import (
    OutboxMessage,
    outbox_builder,
    outbox_enqueue,
    outbox_outcome_listener,
    outbox_publish,
    outbox_send,
)
from surveys import services as survey_services
from surveys.models import Answer

from . import selectors
from .models import PracticeMoment, PracticeNudge, PracticeNudgePreference

# -- the practice log ------------------------------------------------------------------------


def _check_participant(*, cohort_id: int, membership: Membership | None) -> None:
    if membership is None or membership.cohort_id != cohort_id:
        raise ValidationError(_("You are not a participant of this cohort."), code="wrong_cohort")
    if not membership.is_active or membership.role != Membership.Role.PARTICIPANT:
        raise ValidationError(_("Only active participants keep a practice log."), code="not_participant")


def _check_owner(*, moment: PracticeMoment, membership: Membership | None) -> None:
    # The views only ever find a participant's own moments; this guards every other caller.
    if membership is None or moment.membership_id != membership.pk:
        raise PermissionDenied


@transaction.atomic
def practice_moment_create(
    *,
    cohort: Cohort,
    membership: Membership | None,
    date: datetime.date,
    method: str,
    with_whom: str,
    reflection: str = "",
    shared_with_set: bool = False,
    quote_consent: str = Answer.QuoteConsent.NONE,
) -> PracticeMoment:
    _check_participant(cohort_id=cohort.pk, membership=membership)
    moment = PracticeMoment(
        membership=membership,
        date=date,
        method=method,
        with_whom=with_whom,
        reflection=reflection.strip(),
        shared_with_set=shared_with_set,
    )
    moment.quote_consent = _quote_consent(moment, quote_consent)
    moment.full_clean()
    moment.save()
    return moment


@transaction.atomic
def practice_moment_update(
    *,
    moment: PracticeMoment,
    membership: Membership | None,
    date: datetime.date,
    method: str,
    with_whom: str,
    reflection: str,
    shared_with_set: bool,
    quote_consent: str = Answer.QuoteConsent.NONE,
) -> PracticeMoment:
    _check_owner(moment=moment, membership=membership)
    _check_participant(cohort_id=moment.membership.cohort_id, membership=membership)
    moment.date, moment.method, moment.with_whom = date, method, with_whom
    moment.reflection, moment.shared_with_set = reflection.strip(), shared_with_set
    moment.quote_consent = _quote_consent(moment, quote_consent)
    moment.full_clean()
    moment.save()
    if moment.quote_consent == Answer.QuoteConsent.NONE:
        # Unshared, emptied or consent withdrawn: out of every draft of the report.
        moment.quote_selections.all().delete()
    return moment


def _quote_consent(moment: PracticeMoment, consent: str) -> str:
    """Only a reflection shared with the set can be quoted; otherwise the consent is "no"."""
    if not moment.shared_with_set or not moment.reflection:
        return Answer.QuoteConsent.NONE
    return consent


@transaction.atomic
def practice_moment_delete(*, moment: PracticeMoment, membership: Membership | None) -> None:
    _check_owner(moment=moment, membership=membership)
    moment.delete()


@transaction.atomic
def practice_nudges_set(*, membership: Membership, on: bool) -> PracticeNudgePreference:
    """Switch the monthly nudge on or off for one membership."""
    preference, _created = PracticeNudgePreference.objects.update_or_create(
        membership=membership, defaults={"nudges_on": on}
    )
    return preference


# -- the monthly nudge -----------------------------------------------------------------------

KIND_NUDGE = "evaluation.practice_nudge"
# Nudges go out in the first seven days of the month, on a weekday from 10:00 (no mail on a
# Saturday morning). Beat runs the job every hour, so a beat or worker outage on the first day
# only delays them; the unique row keeps it to one a month.
NUDGE_FROM_HOUR = 10
NUDGE_LAST_DAY = 7


def nudge_window_is_open(now: datetime.datetime) -> bool:
    local = timezone.localtime(now)
    return local.day <= NUDGE_LAST_DAY and local.weekday() < 5 and local.hour >= NUDGE_FROM_HOUR


def _left_behind_after() -> datetime.timedelta:
    """A queued nudge untouched for longer than the longest backoff has lost its task (or its retry)."""
    return datetime.timedelta(seconds=max(settings.MAIL_RETRY_COUNTDOWNS)) + survey_services.QUEUED_GRACE


def practice_nudge_mails(nudge_ids) -> QuerySet[OutboxMail]:
    """These nudges' outgoing e-mails (common.outbox rows)."""
    return OutboxMail.objects.filter(
        kind=KIND_NUDGE, content_type=ContentType.objects.get_for_model(PracticeNudge), object_id__in=nudge_ids
    )


def _nudge_mail_ids(nudge_ids) -> dict[int, int]:
    """Each nudge's outgoing e-mail, by nudge id."""
    return dict(practice_nudge_mails(nudge_ids).values_list("object_id", "pk"))


def _nudge_mail_enqueue(nudge: PracticeNudge) -> None:
    outbox_enqueue(kind=KIND_NUDGE, to=nudge.membership.person.email, target=nudge)


@transaction.atomic
def practice_nudges_queue_due(*, now: datetime.datetime | None = None) -> int:
    """Record this month's nudge for everyone due one (in the nudge window) with its e-mail in the
    outbox, sent after commit; publish again any nudge of this month left behind. Returns the number
    of new nudges."""
    now = now or timezone.now()
    month = selectors.nudge_month(now)
    created = 0
    if nudge_window_is_open(now):
        for membership in selectors.practice_nudge_due(now=now).select_related("person"):
            # get_or_create, not bulk_create: only the run that writes the row queues its e-mail.
            nudge, new = PracticeNudge.objects.get_or_create(membership=membership, month=month)
            if new:
                _nudge_mail_enqueue(nudge)
                created += 1
    left_behind = list(
        PracticeNudge.objects.filter(
            month=month, status=PracticeNudge.Status.QUEUED, updated_at__lt=now - _left_behind_after()
        ).select_related("membership__person")
    )
    mail_ids = _nudge_mail_ids([nudge.pk for nudge in left_behind])
    for nudge in left_behind:
        if nudge.pk not in mail_ids:  # recorded before nudges went through the outbox
            _nudge_mail_enqueue(nudge)
    if mail_ids:
        ids = sorted(mail_ids.values())
        transaction.on_commit(lambda: outbox_publish(ids=ids))
    return created


def _site_url(name: str, cohort_pk: int) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, kwargs={"cohort_pk": cohort_pk})


def practice_nudge_message(nudge: PracticeNudge):
    """The nudge: plain text and HTML, with a link to log a moment and one to switch nudges off."""
    membership = nudge.membership
    nudges_url = _site_url("evaluation:practice_nudges_update", membership.cohort_id)
    context = {
        "person": membership.person,
        "cohort": membership.cohort,
        "log_url": _site_url("evaluation:practice_moment_create", membership.cohort_id),
        "nudges_url": nudges_url,
    }
    with translation.override(settings.LANGUAGE_CODE):
        mail = mail_render(template="evaluation/emails/practice_nudge", context=context)
    return mail_message(
        to=membership.person.email,
        mail=mail,
        headers={
            "Auto-Submitted": "auto-generated",
            "X-LC-Practice-Nudge": str(nudge.pk),
            # Mail programs show "unsubscribe" next to the sender; the page switches nudges off.
            "List-Unsubscribe": f"<{nudges_url}>",
        },
    )


@outbox_builder(KIND_NUDGE)
def practice_nudge_build(row: OutboxMail) -> OutboxMessage | None:
    """Still wanted only if it is this month's, not cancelled (erasure), and the participant is still
    due: nothing logged and nudges not switched off since the row was written."""
    nudge = row.target
    now = row.sending_started_at
    if nudge is None or nudge.status == PracticeNudge.Status.CANCELLED or nudge.month != selectors.nudge_month(now):
        return None
    if not selectors.practice_nudge_wanted(now=now).filter(pk=nudge.membership_id).exists():
        return None
    return OutboxMessage(message=practice_nudge_message(nudge))


@outbox_outcome_listener(KIND_NUDGE)
def practice_nudge_outcome_record(row: OutboxMail, changes: dict) -> None:
    """The nudge shows its e-mail's outcome: the admin's record of nudges, and what the hourly job
    reads to find one left behind."""
    PracticeNudge.objects.filter(pk=row.object_id).update(
        **changes, attempts=row.attempts, sending_started_at=row.sending_started_at
    )


@dataclass
class NudgeSendResult:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def practice_nudges_send(*, nudge_ids: list[int], now: datetime.datetime | None = None) -> NudgeSendResult:
    """Send those of these nudges still to be sent, now and in this process (what the outbox's send
    task does for each). Safe to call twice with the same ids, from two workers at once, or after a
    crash: the outbox claims each e-mail before sending it."""
    mail_ids = _nudge_mail_ids(nudge_ids)
    result = NudgeSendResult()
    for nudge_id in sorted(set(nudge_ids)):
        status = outbox_send(outbox_id=mail_ids[nudge_id], now=now).status if nudge_id in mail_ids else "skipped"
        outcome = "deferred" if status == OutboxMail.Status.QUEUED else status
        getattr(result, outcome).append(nudge_id)
    return result


# The evaluation surveys' schedule lives in its own module (this one holds the practice log).
from .scheduling import cohort_evaluation_get_or_create as cohort_evaluation_get_or_create  # noqa: E402
from .scheduling import evaluation_post_surveys_open as evaluation_post_surveys_open  # noqa: E402
from .scheduling import evaluation_question_sets_ensure as evaluation_question_sets_ensure  # noqa: E402
from .scheduling import evaluation_surveys_open_due as evaluation_surveys_open_due  # noqa: E402
