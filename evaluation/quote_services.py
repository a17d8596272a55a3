"""Writes of consented quotes: facilitators choose and order them; participants withdraw consent.

Selecting refuses any source the facilitators' quotes page would not list (``quote_is_selectable``:
consented, of this cohort, visible under the disclosure rules), so no unconsented text can be
chosen, whatever is posted.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from cohorts.models import Cohort
from common.audit import Event, audit_event
from common.ordering import order_swap_with_neighbour
from surveys.models import Answer

from . import quote_selectors as selectors
from .models import PracticeMoment, QuoteSelection


def _source_filter(key: str) -> dict:
    kind, pk = selectors.source_parse(key)
    return {"answer_id": pk} if kind == selectors.ANSWER else {"practice_moment_id": pk}


@transaction.atomic
def quote_select(*, cohort: Cohort, key: str) -> QuoteSelection:
    """Add a consented quote to the end of the cohort's report selection."""
    # Lock the cohort's selections so that two facilitators adding at once get distinct places.
    Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
    if not selectors.quote_is_selectable(cohort=cohort, key=key):
        raise ValidationError(
            _("This text cannot be chosen: its author has not agreed to be quoted, or it is not this cohort's."),
            code="not_consented",
        )
    existing = QuoteSelection.objects.filter(cohort=cohort, **_source_filter(key)).first()
    if existing is not None:
        return existing
    last = QuoteSelection.objects.filter(cohort=cohort).aggregate(last=Max("order"))["last"]
    return QuoteSelection.objects.create(cohort=cohort, order=(last or 0) + 1, **_source_filter(key))


@transaction.atomic
def quote_deselect(*, cohort: Cohort, key: str) -> None:
    if selectors.source_parse(key) is None:
        raise ValidationError(_("Unknown quote."), code="unknown")
    QuoteSelection.objects.filter(cohort=cohort, **_source_filter(key)).delete()


@transaction.atomic
def quote_move(*, cohort: Cohort, key: str, up: bool) -> None:
    """Swap a selected quote with its neighbour above (``up``) or below."""
    if selectors.source_parse(key) is None:
        raise ValidationError(_("Unknown quote."), code="unknown")
    selections = list(QuoteSelection.objects.select_for_update().filter(cohort=cohort).order_by("order", "pk"))
    filters = _source_filter(key)
    index = next(
        (i for i, s in enumerate(selections) if all(getattr(s, f) == v for f, v in filters.items())),
        None,
    )
    if index is None:
        raise ValidationError(_("This quote is not selected."), code="not_selected")
    order_swap_with_neighbour(selections, index, up=up)


@transaction.atomic
def quote_consent_withdraw(*, user, key: str) -> Answer | PracticeMoment:
    """The participant takes back their consent: the source says "no" and leaves every selection."""
    source = selectors.own_source(user=user, key=key)
    if source is None:
        raise ValidationError(_("There is no quote of yours with this consent to withdraw."), code="not_yours")
    if isinstance(source, Answer):
        _consent_withdrawal_audit(answer=source, user=user)
    source.quote_consent = Answer.QuoteConsent.NONE
    source.save(update_fields=["quote_consent"] + (["updated_at"] if isinstance(source, PracticeMoment) else []))
    source.quote_selections.all().delete()
    return source


def _consent_withdrawal_audit(*, answer: Answer, user) -> None:
    """A practice moment's consent is recorded by auditlog; an answer is not registered (its text
    would go into the entry), so its consent is recorded here, without the text. A pseudonymous
    answer's entry names neither the answer nor who withdrew: that would tie the pseudonym to them."""
    changes = {"quote_consent": [answer.quote_consent, Answer.QuoteConsent.NONE]}
    if answer.response.membership_id is not None:
        audit_event(obj=answer, event=Event.QUOTE_CONSENT, changes=changes, actor=user, repr_=f"Answer {answer.pk}")
    else:
        survey = answer.response.survey
        audit_event(
            obj=survey,
            event=Event.QUOTE_CONSENT,
            changes=changes,
            withhold_actor=True,
            repr_=f"A pseudonymous answer to survey {survey.pk}",
        )
