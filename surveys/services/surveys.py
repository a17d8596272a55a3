"""Creating, opening, configuring and closing surveys (module surveys and the cohort's other
kinds: self-assessments, evaluation, follow-up); invitation links."""

import datetime
import functools

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import IntegerField, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Membership, Person
from common.audit import Event, audit_event
from modules.models import Module
from surveys.compiled import CompiledQuery, instance, invitation_columns, invitation_from_row, links_insert_sql
from surveys.models import (
    CohortSurveySettings,
    Invitation,
    InvitationLink,
    QuestionSet,
    Survey,
)
from surveys.querysets import survey_invitees
from surveys.tokens import token_hash, token_new

from .question_sets import question_set_for_cohort, survey_settings_for_cohort


def survey_defaults_for_cohort(*, cohort: Cohort, settings=None) -> tuple[QuestionSet, str]:
    """(question set, privacy) for the cohort's next survey: the cohort's override, else the programme's.
    ``settings``: ``survey_settings_for_cohort``, if the caller has read them."""
    settings = settings or survey_settings_for_cohort(cohort=cohort)
    override, programme = settings
    privacy = (override and override.privacy) or (programme and programme.privacy) or Survey.Privacy.PSEUDONYMOUS
    return question_set_for_cohort(cohort=cohort, settings=settings), privacy


@transaction.atomic
def cohort_survey_settings_update(*, cohort: Cohort, question_set: QuestionSet | None, privacy: str) -> None:
    if privacy and privacy not in Survey.Privacy.values:
        raise ValidationError({"privacy": _("Choose a privacy mode.")})
    CohortSurveySettings.objects.update_or_create(
        cohort=cohort, defaults={"question_set": question_set, "privacy": privacy}
    )


def survey_get_or_create_draft(*, module: Module) -> Survey:
    """The module's survey, created as a draft from the cohort's defaults if it has none."""
    if not module.has_survey:
        raise ValidationError(_("Module %(number)s has no survey.") % {"number": module.number})
    survey = Survey.objects.filter(module=module).first()
    if survey is not None:
        return survey
    question_set, privacy = survey_defaults_for_cohort(cohort=module.cohort)
    try:
        with transaction.atomic():
            return Survey.objects.create(
                kind=Survey.Kind.MODULE,
                module=module,
                cohort=module.cohort,
                question_set=question_set,
                privacy=privacy,
            )
    except IntegrityError:
        # Someone else created it between our read and our insert.
        return Survey.objects.get(module=module)


@transaction.atomic
def survey_create_for_cohort(
    *,
    cohort: Cohort,
    kind: str,
    question_set: QuestionSet,
    privacy: str,
    opens_at: datetime.datetime | None = None,
    closes_at: datetime.datetime | None = None,
) -> Survey:
    """The cohort's draft survey of a kind that follows no module (one per cohort and kind).

    Idempotent: an existing survey of that kind is returned unchanged, whatever its state.
    """
    if kind == Survey.Kind.MODULE or kind not in Survey.Kind.values:
        raise ValueError(f"survey_create_for_cohort makes the non-module kinds, not {kind!r}")
    if privacy not in Survey.Privacy.values:
        raise ValidationError({"privacy": _("Choose a privacy mode.")})
    existing = Survey.objects.filter(cohort=cohort, kind=kind).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Survey.objects.create(
                kind=kind,
                cohort=cohort,
                question_set=question_set,
                privacy=privacy,
                opens_at=opens_at,
                closes_at=closes_at,
            )
    except IntegrityError:
        return Survey.objects.get(cohort=cohort, kind=kind)


def _invitees(*, survey: Survey):
    return survey_invitees(cohort=survey.cohort, module_id=survey.module_id)


@transaction.atomic
def survey_open_for_module(*, module: Module, now: datetime.datetime | None = None) -> Survey:
    """Open the module's survey and record one invitation per invited participant.

    Idempotent: calling it again opens nothing twice and only adds invitations for participants
    who were not invited yet. Safe inside an outer transaction (it only adds a savepoint).
    """
    module = Module.objects.select_related("cohort").get(pk=module.pk)
    survey = survey_get_or_create_draft(module=module)
    return survey_open(survey=survey, now=now)


@transaction.atomic
def survey_open(*, survey: Survey, now: datetime.datetime | None = None) -> Survey:
    """Open a draft survey now (keeping an earlier opening time it was given) and record
    one invitation per invited participant. Idempotent, like ``survey_open_for_module``."""
    now = now or timezone.now()
    survey = Survey.objects.select_for_update().select_related("cohort").get(pk=survey.pk)
    if survey.status == Survey.Status.DRAFT:
        survey.status = Survey.Status.OPEN
        if survey.opens_at is None or survey.opens_at > now:
            survey.opens_at = now
        if survey.closes_at is None or survey.closes_at <= survey.opens_at:
            survey.closes_at = survey.opens_at + datetime.timedelta(days=Survey.DEFAULT_OPEN_DAYS)
        survey.save(update_fields=["status", "opens_at", "closes_at", "updated_at"])
    if survey.status == Survey.Status.OPEN:
        invited = set(survey.invitations.values_list("membership_id", flat=True))
        new = [
            Invitation(survey=survey, membership_id=pk, queued_at=now)
            for pk in _invitees(survey=survey).values_list("pk", flat=True)
            if pk not in invited
        ]
        Invitation.objects.bulk_create(new, ignore_conflicts=True)
    return survey


@transaction.atomic
def survey_update(
    *,
    survey: Survey,
    question_set: QuestionSet,
    privacy: str,
    closes_at: datetime.datetime | None,
    reminder_after_days: int,
    max_reminders: int,
) -> Survey:
    """Facilitators' settings. The question set and privacy are fixed once someone has answered."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    errors = {}
    answered = survey.responses.exists()
    if answered and question_set.pk != survey.question_set_id:
        errors["question_set"] = _("People have already answered; the question set can no longer change.")
    if answered and privacy != survey.privacy:
        errors["privacy"] = _("People have already answered; the privacy mode can no longer change.")
    if survey.status == Survey.Status.CLOSED and closes_at != survey.closes_at:
        errors["closes_at"] = _("The survey is closed.")
    elif closes_at is not None and survey.opens_at is not None and closes_at <= survey.opens_at:
        errors["closes_at"] = _("The closing time must be after the opening time.")
    if errors:
        raise ValidationError(errors)
    survey.question_set, survey.privacy, survey.closes_at = question_set, privacy, closes_at
    survey.reminder_after_days, survey.max_reminders = reminder_after_days, max_reminders
    survey.full_clean(exclude=["module"])
    survey.save()
    return survey


@transaction.atomic
def survey_close(*, survey: Survey, now: datetime.datetime | None = None) -> bool:
    """Close an open survey; returns False if it was not open (so a sweep can call it freely)."""
    now = now or timezone.now()
    updated = Survey.objects.filter(pk=survey.pk, status=Survey.Status.OPEN).update(
        status=Survey.Status.CLOSED, closed_at=now, updated_at=now
    )
    if updated:
        survey.refresh_from_db()
        # A queryset update sends no signal, so auditlog would not see the closing.
        audit_event(
            obj=survey,
            event=Event.BULK,
            changes={"status": [Survey.Status.OPEN, Survey.Status.CLOSED], "closed_at": [None, now.isoformat()]},
            repr_=f"Survey {survey.pk} ({survey.get_kind_display()}, cohort {survey.cohort_id})",
        )
    return bool(updated)


def invitation_issue_token(*, invitation: Invitation) -> str:
    """A new link token for the invitation; only its hash is stored. The invitation's earlier links
    keep working until the survey closes.

    For an anonymous survey, a participant who already answered through another link cannot reach
    that response with this one (nothing links them); they see a "thank you" page.
    """
    token = token_new()
    InvitationLink.objects.create(invitation=invitation, token_hash=token_hash(token), issued_at=timezone.now())
    return token


def invitation_links_issue(*, invitations: list[Invitation]) -> dict[int, str]:
    """A new link token for each of these invitations (invitation id -> token), in one INSERT; as
    ``invitation_issue_token`` does for one. On PostgreSQL the INSERT is written once per process
    (``surveys.compiled.links_insert_sql``): every batch of invitations and reminders makes one."""
    now = timezone.now()
    tokens = {invitation.pk: token_new() for invitation in invitations}
    if not tokens:
        return tokens
    if connection.vendor == "postgresql":
        hashes = [token_hash(token) for token in tokens.values()]
        with connection.cursor() as cursor:
            cursor.execute(links_insert_sql(connection.alias), [now, list(tokens), hashes])
        return tokens
    InvitationLink.objects.bulk_create(
        InvitationLink(invitation_id=pk, token_hash=token_hash(token), issued_at=now) for pk, token in tokens.items()
    )
    return tokens


def invitation_link_withdraw(*, token: str) -> None:
    """Delete the link with this token: the message carrying it never reached the participant."""
    invitation_links_withdraw(tokens=[token])


def invitation_links_withdraw(*, tokens: list[str]) -> None:
    """Delete the links with these tokens, in one statement."""
    if tokens:
        InvitationLink.objects.filter(token_hash__in=[token_hash(token) for token in tokens if token]).delete()


def _one(model, outer: str, column: str) -> Subquery:
    """``column`` of the ``model`` row whose primary key is the outer row's ``outer``."""
    return Subquery(model.objects.filter(pk=OuterRef(outer)).order_by().values(column))


# What an answer's save must not run beside (``response_save``): closing the survey, switching its
# question set or privacy (``survey_update``), editing the set in place as if nobody had answered it
# (``question_set_for_editing``). Each of those locks or updates the survey's or the set's row, so
# the save holds both FOR SHARE until it commits: they wait for it, then see the answer. Answers of
# other participants do not wait for each other, as they would with FOR UPDATE (every survey of a
# provider may share one question set row). The ORM has no FOR SHARE, hence the SQL: a scalar
# subquery of the invitation's own read, so that the read and both locks are one statement.
_SURVEY_AND_SET_FOR_SHARE = RawSQL(
    'SELECT 1 FROM "surveys_survey" s JOIN "surveys_questionset" q ON q.id = s.question_set_id '
    'WHERE s.id = "surveys_invitation"."survey_id" FOR SHARE',
    [],
    output_field=IntegerField(),
)


def _invitation_by_token_hash(token_hash: str, *, lock: bool = False):
    # The link by a subquery and the other rows by scalar subqueries on their primary keys: one
    # statement that PostgreSQL plans in a fraction of the time of the same rows joined.
    link = InvitationLink.objects.filter(token_hash=token_hash).order_by().values("invitation_id")[:1]
    invitations = Invitation.objects.filter(pk=Subquery(link)).order_by()
    around = {
        "question_set_stamp": _one(QuestionSet, "survey__question_set_id", "updated_at"),
        "membership_status": _one(Membership, "membership_id", "status"),
        "cohort_name": _one(Cohort, "survey__cohort_id", "name"),
        "module_number": _one(Module, "survey__module_id", "number"),
        "module_title": _one(Module, "survey__module_id", "title"),
    }
    if lock:
        # For a save: the invitation row FOR UPDATE, its survey and question set FOR SHARE, and the
        # participant's profession (which a response keeps unless it is anonymous).
        invitations = invitations.select_for_update(of=("self",))
        membership = Membership.objects.filter(pk=OuterRef("membership_id")).order_by()
        around["person_id"] = Subquery(membership.values("person_id"))
        around["profession"] = Subquery(membership.values("person__profession"))
        if connection.features.has_select_for_update:
            around["shared"] = _SURVEY_AND_SET_FOR_SHARE
    return invitations.annotate(**around).values_list(*invitation_columns(), *around)


# Made on every answering request: prepared (planning them took several times as long as running them).
_INVITATION_BY_TOKEN_HASH = CompiledQuery(_invitation_by_token_hash, prepare=True, token_hash="placeholder")  # noqa: S106 (not a secret)
_INVITATION_FOR_SAVE = CompiledQuery(
    functools.partial(_invitation_by_token_hash, lock=True),
    prepare=True,
    token_hash="placeholder",  # noqa: S106 (not a secret)
)


def invitation_for_token(*, token: str, now: datetime.datetime | None = None, lock: bool = False) -> Invitation | None:
    """The invitation a link belongs to, if its survey accepts answers and its participant takes part.

    Every answering request makes this lookup, so it is one statement compiled once per process
    (``surveys.compiled``). The invitation comes with its survey and, of the rows around it, what
    the answering pages read: the question set's ``updated_at`` (which keys the cached questions),
    the membership's status, the cohort's name and the module's number and title. Those four are
    partial instances (any other field is deferred: reading it runs a query).

    ``lock=True``, inside a transaction, reads it for a save (``response_save(..., locked=True)``):
    the same statement also locks the invitation row FOR UPDATE and its survey and question set
    FOR SHARE until the transaction ends, and brings the participant's person id and profession
    (``invitation.membership.person``)."""
    if not token or len(token) > 200:
        return None
    statement = _INVITATION_FOR_SAVE if lock else _INVITATION_BY_TOKEN_HASH
    row = statement.fetchone(token_hash=token_hash(token))
    if row is None:
        return None
    invitation, (stamp, membership_status, cohort_name, module_number, module_title, *person) = invitation_from_row(row)
    survey = invitation.survey
    if not survey.is_accepting_at(now or timezone.now()):
        return None
    invitation.membership = instance(Membership, id=invitation.membership_id, status=membership_status)
    if not invitation.membership.is_active:
        return None
    if lock:
        person_id, profession = person[:2]
        invitation.membership.person_id = person_id
        invitation.membership.person = instance(Person, id=person_id, profession=profession)
    survey.question_set = instance(QuestionSet, id=survey.question_set_id, updated_at=stamp)
    survey.cohort = instance(Cohort, id=survey.cohort_id, name=cohort_name)
    # (Assigning None to survey.module would clear module_id too; a survey without a module reads
    # survey.module as None without a query.)
    if survey.module_id is not None:
        survey.module = instance(
            Module, id=survey.module_id, cohort_id=survey.cohort_id, number=module_number, title=module_title
        )
        survey.module.cohort = survey.cohort
    return invitation
