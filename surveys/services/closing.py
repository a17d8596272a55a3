"""Closing surveys on time, and the summary each facilitator gets when one closes."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cohorts.models import Membership
from common.mail import mail_error_text, mail_message, mail_render, sent_email_record
from common.models import SentEmail
from surveys.models import Invitation, Survey
from surveys.selectors import survey_summary_counts

from .delivery import Outgoing, SendResult, deliver
from .inviting import OPEN_DUE_LOOKBACK
from .publishing import QUEUED_GRACE, summary_queue
from .surveys import survey_close

KIND_SUMMARY = "surveys.summary"


def surveys_close_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Close every survey past its closing time and queue the facilitators' summary. Returns survey ids."""
    now = now or timezone.now()
    closed = []
    # Summaries whose task was lost (broker down at closing time, retries exhausted).
    for survey in Survey.objects.filter(
        status=Survey.Status.CLOSED,
        summary_sent_at__isnull=True,
        closed_at__lt=now - QUEUED_GRACE,
        closed_at__gte=now - OPEN_DUE_LOOKBACK,
    ):
        summary_queue(survey=survey)
    for survey in Survey.objects.due_to_close(now):
        with transaction.atomic():
            if not survey_close(survey=survey, now=now):
                continue
            Invitation.objects.filter(survey=survey, status=Invitation.Status.QUEUED).update(
                status=Invitation.Status.FAILED, last_error=_("Not sent: the survey closed first."), updated_at=now
            )
            summary_queue(survey=survey)
        closed.append(survey.pk)
    return closed


def _summary_context(survey: Survey) -> dict:
    counts = survey_summary_counts(survey=survey)
    return {
        "survey": survey,
        "module": survey.module,
        "cohort": survey.cohort,
        "counts": counts,
        "rate": counts.rate,
        "results_link": settings.SITE_URL.rstrip("/") + survey.results_url() if survey.results_url() else "",
        "closed_at": timezone.localtime(survey.closed_at or timezone.now()),
    }


class SummaryMail(Outgoing):
    """One facilitator's summary. Nothing is claimed: the mail log says who already has one."""

    def __init__(self, survey: Survey, person, context: dict):
        self.survey, self.person, self.context = survey, person, context
        self.pk = person.pk

    def message(self):
        with translation.override(settings.LANGUAGE_CODE):
            mail = mail_render(template="surveys/emails/summary", context={**self.context, "person": self.person})
        return mail_message(to=self.person.email, mail=mail, headers={"Auto-Submitted": "auto-generated"})

    def _record(self, message, status, error=""):
        sent_email_record(message=message, kind=KIND_SUMMARY, status=status, target=self.survey, error=error)

    def on_sent(self, message):
        self._record(message, SentEmail.Status.SENT)

    def on_failed(self, message, error):
        self._record(message, SentEmail.Status.FAILED, mail_error_text(error))

    def on_deferred(self, message, error):
        self._record(message, SentEmail.Status.DEFERRED, mail_error_text(error))

    def on_refused_for_now(self, error, result: SendResult):
        # As for invitations, one facilitator's full mailbox does not hold back the others; the
        # task is retried as a whole, and the retry mails only who is still missing.
        result.transient_error = error


def summary_send(*, survey_id: int) -> SendResult:
    """Mail each active facilitator of the cohort one summary of a closed survey.

    Facilitators who already have one (per the mail log) are skipped, so a retry or a second
    delivery of the task does not mail anyone twice.
    """
    result = SendResult()
    survey = Survey.objects.select_related("module", "cohort").filter(pk=survey_id, status=Survey.Status.CLOSED).first()
    if survey is None:
        return result
    already = set(
        SentEmail.objects.filter(
            kind=KIND_SUMMARY,
            status=SentEmail.Status.SENT,
            content_type__app_label="surveys",
            content_type__model="survey",
            object_id=survey.pk,
        ).values_list("to", flat=True)
    )
    facilitators = [
        membership.person
        for membership in Membership.objects.active()
        .facilitators()
        .filter(cohort=survey.cohort_id)
        .select_related("person")
        if membership.person.email not in already
    ]
    if facilitators:
        with translation.override(settings.LANGUAGE_CODE):
            context = _summary_context(survey)
        deliver([SummaryMail(survey, person, context) for person in facilitators], result)
    if result.transient_error is None:
        Survey.objects.filter(pk=survey.pk, summary_sent_at__isnull=True).update(summary_sent_at=timezone.now())
    return result
