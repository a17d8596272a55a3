"""Retention: personal data is kept for a set time after the cohort it belongs to ends.

``settings.RETENTION_FREE_TEXT_MONTHS`` after a cohort's end date, its surveys' free-text answers
and its participants' practice reflections are emptied; ``RETENTION_CONTACT_DETAILS_MONTHS`` after
the last cohort someone took part in ended, their contact details are anonymised (as an erasure
does, without the free text: cohorts.erasure). Counts, scores and NPS stay. Cohorts without an end
date are kept until one is set. Run daily by ``privacy.tasks.retention_enforce``; idempotent.

What it did is logged and written to the audit trail as counts only: one entry per cohort whose
text expired, one per person anonymised.
"""

import datetime
import logging
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cohorts.erasure import people_contact_details_expire
from cohorts.models import Cohort
from common.audit import Event, audit_event
from evaluation.erasure import reflections_expire
from surveys.erasure import answers_text_expire

logger = logging.getLogger(__name__)


@dataclass
class RetentionResult:
    texts_removed: int = 0
    reflections_removed: int = 0
    people_anonymised: int = 0
    cohorts: list[int] = field(default_factory=list)


def retention_cutoff(*, months: int, now: datetime.datetime) -> datetime.date:
    """Cohorts that ended before this day have passed their retention period."""
    return timezone.localdate(now) - relativedelta(months=months)


def retention_enforce(*, now: datetime.datetime | None = None) -> RetentionResult:
    now = now or timezone.now()
    result = RetentionResult()
    text_cutoff = retention_cutoff(months=settings.RETENTION_FREE_TEXT_MONTHS, now=now)
    for cohort in Cohort.objects.filter(end_date__lt=text_cutoff).order_by("pk"):
        with transaction.atomic():
            texts = answers_text_expire(cohort_ids=[cohort.pk])
            reflections = reflections_expire(cohort_ids=[cohort.pk])
            if texts or reflections:
                audit_event(
                    obj=cohort,
                    event=Event.RETENTION,
                    data={"survey_texts_removed": texts, "reflections_removed": reflections},
                )
                result.cohorts.append(cohort.pk)
        result.texts_removed += texts
        result.reflections_removed += reflections
    contact_cutoff = retention_cutoff(months=settings.RETENTION_CONTACT_DETAILS_MONTHS, now=now)
    result.people_anonymised = people_contact_details_expire(ended_before=contact_cutoff, now=now)
    logger.info(
        "retention: %s survey texts and %s reflections removed in cohorts %s; %s people's contact details anonymised",
        result.texts_removed,
        result.reflections_removed,
        result.cohorts,
        result.people_anonymised,
    )
    return result
