"""Sending invitations reliably: the invitation rows are the outbox (STYLE.md section 3).

``invitations_send`` reads and locks the claimable rows (queued, or a "sending" row older than any
task can live) in one statement (their surveys in a second), fails the queued ones that must not be
sent any more, moves the others to "sending" counting their attempt, commits, sends outside any
transaction over one SMTP connection (``delivery.deliver``), then marks each row sent as soon as the server has
accepted it. A task delivered twice or run by two workers therefore sends each invitation once.
Rows the batch never hands to the server are given back un-counted (``invitation_mail._release``).
"""

import datetime

from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Membership, Person
from common.compiled import CompiledQuery, instances_from_row, row_columns
from modules.models import Module
from surveys.models import Invitation, Survey

from .delivery import SendResult, sending_stale_after
from .invitation_mail import KIND_INVITATION, invitation_mails_deliver
from .surveys import invitation_links_issue


def _claimable(stale_before: datetime.datetime) -> Q:
    """Queued, or "sending" since before ``stale_before`` (its task is certainly dead)."""
    return Q(status=Invitation.Status.QUEUED) | Q(status=Invitation.Status.SENDING, sending_started_at__lt=stale_before)


# After the invitation's columns, read back by _candidates_from_rows.
_CANDIDATE_ROW = ((Invitation, ""), (Membership, "membership__"), (Person, "membership__person__"))
# The survey with its module and cohort, read once for all of a batch's invitations of it.
_SURVEY_ROW = ((Survey, ""), (Module, "module__"), (Cohort, "cohort__"))
# The ids' placeholder is a tuple (hashable); each batch passes its list, which PostgreSQL receives
# as an array, so that one statement serves every batch size.
_IDS = (-7501,)


def _one_of(ids) -> RawSQL:
    """For ``pk__in``: the ids as one array parameter."""
    return RawSQL("SELECT unnest(%s::bigint[])", (ids,))


def _candidates(*, ids: list[int], stale_before: datetime.datetime):
    """The given invitations that are claimable (queued, or "sending" since before ``stale_before``),
    with their membership and person; locked FOR UPDATE OF the invitation, SKIP LOCKED (rows another
    batch holds are its own)."""
    return (
        Invitation.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(_claimable(stale_before), pk__in=_one_of(ids))
        .order_by("pk")
        .values_list(*row_columns(_CANDIDATE_ROW))
    )


def _surveys(*, ids: list[int]):
    return Survey.objects.filter(pk__in=_one_of(ids)).order_by().values_list(*row_columns(_SURVEY_ROW))


# Every batch makes them: compiled once per process (common.compiled).
_CANDIDATES = CompiledQuery(_candidates, ids=_IDS, stale_before=datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC))
_SURVEYS = CompiledQuery(_surveys, ids=_IDS)


def _candidates_from_rows(rows: list[tuple]) -> list[Invitation]:
    """The invitations of ``_CANDIDATES`` rows, with their membership and person, and their survey,
    module and cohort read in a second statement: one instance of each for the whole batch, where a
    join would repeat their 38 columns on every row (a third of the claim's time)."""
    models = [model for model, _prefix in _CANDIDATE_ROW]
    invitations = []
    for row in rows:
        (invitation, membership, person), _rest = instances_from_row(row, *models)
        membership.person = person
        invitation.membership = membership
        invitations.append(invitation)
    if not invitations:
        return invitations
    surveys = {}
    for row in _SURVEYS.fetchall(ids=sorted({invitation.survey_id for invitation in invitations})):
        (survey, module, cohort), _rest = instances_from_row(row, *(model for model, _prefix in _SURVEY_ROW))
        survey.module = module if module.pk is not None else None
        survey.cohort = cohort
        surveys[survey.pk] = survey
    for invitation in invitations:
        invitation.survey = surveys[invitation.survey_id]
    return invitations


def _unsendable_reason(invitation: Invitation, now: datetime.datetime) -> str | None:
    """Why a queued invitation must not be sent any more (withdrawn participant, closed survey), or
    None while it may still be."""
    survey = invitation.survey
    if not invitation.membership.is_active:
        return _("Not sent: the participant has withdrawn.")
    if survey.status == Survey.Status.CLOSED or (survey.closes_at is not None and survey.closes_at <= now):
        return _("Not sent: the survey closed first.")
    return None


def _sendable(invitation: Invitation, now: datetime.datetime) -> bool:
    """A participant still taking part, a survey open and not past its closing time."""
    survey = invitation.survey
    return (
        invitation.membership.is_active
        and survey.status == Survey.Status.OPEN
        and survey.closes_at is not None
        and survey.closes_at > now
    )


def _claim(ids: list[int], now: datetime.datetime) -> tuple[list[Invitation], list[int]]:
    """Of the given rows that are claimable (queued, or "sending" for longer than any task can live):
    fail the queued ones that must not be sent any more (closed survey, withdrawn participant), and
    move the ones that can be sent to "sending", counting their attempt. Returns the invitations this
    call won, with their survey, module, cohort and person, least tried first (a row whose message
    keeps breaking the connection does not stand in front of the others on every retry), and the ids
    it failed. Call inside a transaction.

    On PostgreSQL the rows are read and locked in one statement compiled once per process (FOR
    UPDATE OF the invitation SKIP LOCKED), so the decisions hold, and their surveys (with module and
    cohort) in a second one, once each; then one UPDATE claims the rows won
    (the rows read are given what it wrote) and one per reason fails the others. Elsewhere (SQLite:
    one writer at a time) each row gets a conditional UPDATE, and its row count says who won it.
    """
    stale_before = now - sending_stale_after()
    locking = connection.features.has_select_for_update_skip_locked
    if locking:
        candidates = _candidates_from_rows(_CANDIDATES.fetchall(ids=sorted(set(ids)), stale_before=stale_before))
    else:
        candidates = list(
            Invitation.objects.filter(_claimable(stale_before), pk__in=sorted(set(ids)))
            .select_related("survey__module", "survey__cohort", "membership__person")
            .order_by("pk")
        )
    failing: dict[str, list[int]] = {}
    for invitation in candidates:
        reason = _unsendable_reason(invitation, now) if invitation.status == Invitation.Status.QUEUED else None
        if reason:
            failing.setdefault(reason, []).append(invitation.pk)
    failed = []
    for reason, pks in failing.items():
        queued = Invitation.objects.filter(status=Invitation.Status.QUEUED)
        if locking:
            queued.filter(pk__in=pks).update(status=Invitation.Status.FAILED, last_error=reason, updated_at=now)
            failed += pks
        else:
            failed += [
                pk
                for pk in pks
                if queued.filter(pk=pk).update(status=Invitation.Status.FAILED, last_error=reason, updated_at=now)
            ]
    # Counted for the whole batch here, rather than one UPDATE before each message; the rows the
    # batch never hands to the server are un-counted when they are given back.
    claim = {
        "status": Invitation.Status.SENDING,
        "sending_started_at": now,
        "attempts": F("attempts") + 1,
        "updated_at": now,
    }
    sendable = [invitation for invitation in candidates if _sendable(invitation, now)]
    if locking:
        Invitation.objects.filter(pk__in=[invitation.pk for invitation in sendable]).update(**claim)
        won = sendable
    else:
        won = [
            invitation
            for invitation in sendable
            if Invitation.objects.filter(_claimable(stale_before), pk=invitation.pk).update(**claim)
        ]
    for invitation in won:
        invitation.status = Invitation.Status.SENDING
        invitation.sending_started_at = invitation.updated_at = now
        invitation.attempts += 1
    return sorted(won, key=lambda invitation: (invitation.attempts, invitation.pk)), failed


def invitations_send(*, invitation_ids: list[int], now: datetime.datetime | None = None) -> SendResult:
    """Send the given invitations that are still to be sent, over one mail connection.

    Safe to call twice with the same ids, from two workers at once, or after a crash.
    """
    now = now or timezone.now()
    result = SendResult()
    with transaction.atomic():
        invitations, failed = _claim(invitation_ids, now)
        result.failed.extend(failed)
        tokens = invitation_links_issue(invitations=invitations)
    claimed = {invitation.pk for invitation in invitations}
    result.skipped = sorted(set(invitation_ids) - claimed - set(result.failed))
    if invitations:
        invitation_mails_deliver(invitations=invitations, tokens=tokens, result=result, kind=KIND_INVITATION)
    return result
