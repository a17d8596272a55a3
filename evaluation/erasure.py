"""evaluation's part of erasing a person and of retention (cohorts.erasure, privacy.retention).

Practice moments stay (the practice-log counts are unchanged); their reflections go, with any
consent to quote them. Quote selections whose source no longer carries a consent are deleted: that
takes the person's answers out of every draft report too (surveys' receiver has already withdrawn
their answers' consent), and queued monthly nudges to them are cancelled
(with their e-mails in common's outbox, which no longer keep the address).
"""

from django.db.models import Q

from common.models import OutboxMail
from surveys.models import Answer

from .models import PracticeMoment, PracticeNudge, QuoteSelection
from .services import practice_nudge_mails


def quote_selections_without_consent_delete() -> int:
    none = Answer.QuoteConsent.NONE
    deleted, _by_model = QuoteSelection.objects.filter(
        Q(answer__quote_consent=none) | Q(practice_moment__quote_consent=none)
    ).delete()
    return deleted


def person_erase_evaluation_data(sender, *, person, **kwargs) -> dict:
    """cohorts.signals.person_erasing."""
    moments = PracticeMoment.objects.filter(membership__person=person)
    reflections = moments.exclude(reflection="").update(
        reflection="", quote_consent=Answer.QuoteConsent.NONE, shared_with_set=False
    )
    nudges = PracticeNudge.objects.filter(membership__person=person)
    nudges.filter(status__in=[PracticeNudge.Status.QUEUED, PracticeNudge.Status.SENDING]).update(
        status=PracticeNudge.Status.CANCELLED
    )
    # Their e-mails in common's outbox: none still goes, and none keeps the address (the mail log
    # itself is redacted by cohorts.erasure).
    mails = practice_nudge_mails(list(nudges.values_list("pk", flat=True)))
    mails.filter(status=OutboxMail.Status.QUEUED).update(status=OutboxMail.Status.CANCELLED)
    mails.update(to="")
    quotes = quote_selections_without_consent_delete()
    return {"reflections_removed": reflections, "quote_selections_removed": quotes}


def reflections_expire(*, cohort_ids) -> int:
    """Retention: empty the practice reflections of these cohorts' participants."""
    count = (
        PracticeMoment.objects.filter(membership__cohort_id__in=list(cohort_ids))
        .exclude(reflection="")
        .update(reflection="", quote_consent=Answer.QuoteConsent.NONE)
    )
    quote_selections_without_consent_delete()
    return count
