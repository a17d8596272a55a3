"""Writes of the practice log and the monthly nudge by e-mail.

The nudge follows the survey mail's outbox pattern (STYLE.md section 3):

* ``practice_nudges_queue_due`` (every hour from Celery beat) writes one ``PracticeNudge`` row per
  participant due one, in the nudge window at the start of each month. The row's
  ``UniqueConstraint(membership, month)`` makes a second run, or a second worker, a no-op. Send
  tasks are published only after commit.
* ``practice_nudges_send`` claims each row with a conditional UPDATE (queued -> sending), checks
  that the participant is still due (they may have logged or switched nudges off meanwhile), sends
  outside any transaction and marks the row sent. Temporary SMTP errors put the row back to queued
  for the task to retry with backoff; permanent ones mark it failed with the server's answer.

Every attempt is logged in ``common.SentEmail``.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from cohorts.models import Cohort, Membership
from common.mail import mail_error_is_transient, mail_error_text, mail_message, mail_render, sent_email_record
from common.models import SentEmail
from common.tasks import task_publish
from surveys import services as survey_services
from surveys.models import Answer

from . import selectors
from .models import PracticeMoment, PracticeNudge, PracticeNudgePreference

logger = logging.getLogger(__name__)

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
# Nudges a send task handles over one SMTP connection: as many as an invitation batch.
SEND_CHUNK_SIZE = survey_services.SEND_CHUNK_SIZE
PRACTICE_NUDGES_SEND_TASK = "evaluation.tasks.practice_nudges_send"
# The survey mail's rules, so that a nudge is retried and taken over exactly like an invitation.
mail_retry_countdown = survey_services.mail_retry_countdown


def nudge_window_is_open(now: datetime.datetime) -> bool:
    local = timezone.localtime(now)
    return local.day <= NUDGE_LAST_DAY and local.weekday() < 5 and local.hour >= NUDGE_FROM_HOUR


def _left_behind_after() -> datetime.timedelta:
    """A queued row untouched for longer than the longest backoff has lost its task (or its retry)."""
    return datetime.timedelta(seconds=max(settings.MAIL_RETRY_COUNTDOWNS)) + survey_services.QUEUED_GRACE


def practice_nudges_publish(*, nudge_ids: list[int]) -> int:
    """Publish one send task per chunk now; on a broker failure log it and stop (the rows stay queued
    and the next hourly run publishes them again). Returns the number of tasks published."""
    ids = sorted(set(nudge_ids))
    published = 0
    for start in range(0, len(ids), SEND_CHUNK_SIZE):
        chunk = ids[start : start + SEND_CHUNK_SIZE]
        try:
            task_publish(PRACTICE_NUDGES_SEND_TASK, args=[chunk])
        except (BrokerError, OSError) as error:
            logger.warning("broker unavailable, practice nudges left queued: %s", error, extra={"ids": chunk})
            break
        published += 1
    return published


@transaction.atomic
def practice_nudges_queue_due(*, now: datetime.datetime | None = None) -> int:
    """Record this month's nudge for everyone due one (in the nudge window) and publish the sends
    after commit, together with any row of this month left behind. Returns the number of new nudges."""
    now = now or timezone.now()
    month = selectors.nudge_month(now)
    created = []
    if nudge_window_is_open(now):
        due = list(selectors.practice_nudge_due(now=now).values_list("pk", flat=True))
        PracticeNudge.objects.bulk_create(
            [PracticeNudge(membership_id=pk, month=month) for pk in due], ignore_conflicts=True
        )
        created = due
    left_behind = Q(status=PracticeNudge.Status.QUEUED, updated_at__lt=now - _left_behind_after()) | Q(
        status=PracticeNudge.Status.SENDING, sending_started_at__lt=now - survey_services.sending_stale_after()
    )
    ids = list(
        PracticeNudge.objects.filter(month=month)
        .filter(left_behind | Q(membership_id__in=created, status=PracticeNudge.Status.QUEUED))
        .values_list("pk", flat=True)
    )
    if ids:
        transaction.on_commit(lambda: practice_nudges_publish(nudge_ids=ids))
    return len(created)


@dataclass
class NudgeSendResult:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    # Set when the batch stopped on a temporary error: the task retries later.
    transient_error: BaseException | None = None

    def outcome(self) -> dict:
        return {
            "sent": len(self.sent),
            "failed": len(self.failed),
            "deferred": len(self.deferred),
            "cancelled": len(self.cancelled),
            "skipped": len(self.skipped),
        }


def _claim(ids: list[int], now: datetime.datetime) -> list[int]:
    """Move each claimable row to "sending"; the UPDATE's row count says whether this call won it
    (a second worker's UPDATE waits for the row lock, then finds the condition false)."""
    claimable = Q(status=PracticeNudge.Status.QUEUED) | Q(
        status=PracticeNudge.Status.SENDING, sending_started_at__lt=now - survey_services.sending_stale_after()
    )
    claim = {
        "status": PracticeNudge.Status.SENDING,
        "sending_started_at": now,
        "attempts": F("attempts") + 1,
        "updated_at": now,
    }
    return [pk for pk in sorted(set(ids)) if PracticeNudge.objects.filter(claimable, pk=pk).update(**claim)]


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


def practice_nudges_send(*, nudge_ids: list[int], now: datetime.datetime | None = None) -> NudgeSendResult:
    """Send those of these nudges still to be sent, over one mail connection.

    Safe to call twice with the same ids, from two workers at once, or after a crash.
    """
    now = now or timezone.now()
    result = NudgeSendResult()
    with transaction.atomic():
        claimed = _claim(nudge_ids, now)
        nudges = list(
            PracticeNudge.objects.filter(pk__in=claimed)
            .select_related("membership__person", "membership__cohort")
            .order_by("pk")
        )
        # Still due: nothing logged and nudges not switched off since the row was written.
        wanted = set(
            selectors.practice_nudge_wanted(now=now)
            .filter(pk__in=[n.membership_id for n in nudges])
            .values_list("pk", flat=True)
        )
        month = selectors.nudge_month(now)
        result.cancelled = [n.pk for n in nudges if n.month != month or n.membership_id not in wanted]
        PracticeNudge.objects.filter(pk__in=result.cancelled).update(
            status=PracticeNudge.Status.CANCELLED, updated_at=now
        )
    result.skipped = sorted(set(nudge_ids) - set(claimed))
    to_send = [n for n in nudges if n.pk not in result.cancelled]
    if to_send:
        _deliver(to_send, result)
    return result


def _deliver(nudges: list[PracticeNudge], result: NudgeSendResult) -> None:
    """Send each claimed nudge and record the outcome row by row. Rows still "sending" when this
    stops early (temporary error, time limit) go back to queued in the ``finally``."""
    remaining = list(nudges)
    connection = get_connection()
    try:
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as error:
            if not mail_error_is_transient(error):
                text = mail_error_text(error)
                logger.error("mail server refused the connection, %d nudges failed: %s", len(remaining), text)
                _set_status(remaining, PracticeNudge.Status.FAILED, error=text)
                result.failed.extend(n.pk for n in remaining)
                remaining = []
            else:
                result.transient_error = error
            return
        while remaining:
            nudge = remaining[0]
            message = practice_nudge_message(nudge)
            try:
                connection.send_messages([message])
            except (smtplib.SMTPException, OSError) as error:
                remaining.pop(0)
                text = mail_error_text(error)
                if mail_error_is_transient(error):
                    logger.info("temporary mail error for practice nudge %s, will retry: %s", nudge.pk, text)
                    _record(nudge, message, SentEmail.Status.DEFERRED, PracticeNudge.Status.QUEUED, error=text)
                    result.deferred.append(nudge.pk)
                    result.transient_error = error
                    return
                logger.warning("practice nudge %s refused permanently: %s", nudge.pk, text)
                _record(nudge, message, SentEmail.Status.FAILED, PracticeNudge.Status.FAILED, error=text)
                result.failed.append(nudge.pk)
                continue
            remaining.pop(0)
            _record(nudge, message, SentEmail.Status.SENT, PracticeNudge.Status.SENT)
            result.sent.append(nudge.pk)
    finally:
        if remaining:
            _set_status(
                remaining,
                PracticeNudge.Status.QUEUED,
                error=mail_error_text(result.transient_error) if result.transient_error else "",
            )
            result.deferred.extend(n.pk for n in remaining)
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            logger.info("closing the mail connection failed", exc_info=True)


def _set_status(nudges: list[PracticeNudge], status: str, *, error: str = "") -> None:
    """Move rows this call still holds ("sending") to ``status``."""
    PracticeNudge.objects.filter(pk__in=[n.pk for n in nudges], status=PracticeNudge.Status.SENDING).update(
        status=status, last_error=error or F("last_error"), updated_at=timezone.now()
    )


def _record(nudge: PracticeNudge, message, mail_status: str, status: str, *, error: str = "") -> None:
    now = timezone.now()
    with transaction.atomic():
        changes = {"status": status, "last_error": error, "updated_at": now}
        if status == PracticeNudge.Status.SENT:
            changes["sent_at"] = now
        PracticeNudge.objects.filter(pk=nudge.pk, status=PracticeNudge.Status.SENDING).update(**changes)
        sent_email_record(message=message, kind=KIND_NUDGE, status=mail_status, target=nudge, error=error)


# The evaluation surveys' schedule lives in its own module (this one holds the practice log).
from .scheduling import cohort_evaluation_get_or_create as cohort_evaluation_get_or_create  # noqa: E402
from .scheduling import evaluation_post_surveys_open as evaluation_post_surveys_open  # noqa: E402
from .scheduling import evaluation_question_sets_ensure as evaluation_question_sets_ensure  # noqa: E402
from .scheduling import evaluation_surveys_open_due as evaluation_surveys_open_due  # noqa: E402
