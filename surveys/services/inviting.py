"""Opening a survey (a module's, or any of the cohort's other kinds) and inviting its participants;
sending an invitation again.

``survey_open_and_invite`` opens the survey and records the invitations in the caller's transaction;
send tasks are published only after commit (``publishing.invitations_queue``), and a broker failure
is logged and left to ``invitations_sweep``.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cohorts.models import Cohort
from modules.models import Module
from surveys.models import Invitation, Survey

from .delivery import sending_stale_after
from .publishing import invitations_queue
from .surveys import survey_open, survey_open_for_module

logger = logging.getLogger(__name__)

# Modules that ended longer ago than this are left alone: a survey arriving weeks after the day
# would puzzle participants.
OPEN_DUE_LOOKBACK = datetime.timedelta(days=14)


@transaction.atomic
def survey_open_and_invite(
    *, module: Module | None = None, survey: Survey | None = None, now: datetime.datetime | None = None
) -> Survey | None:
    """Open a survey, record one invitation per invited participant, mail them after commit.

    Pass ``module`` (its survey is created from the cohort's defaults if need be) or ``survey``
    (any kind, e.g. from ``survey_create_for_cohort``). Call it inside the transaction that causes
    it (a module marked delivered). Idempotent: calling it again invites only participants who were
    not invited yet (and re-publishes rows still queued). Returns None for a module without a
    survey (module 6).
    """
    if (module is None) == (survey is None):
        raise TypeError("survey_open_and_invite takes a module or a survey")
    if module is not None:
        if not module.has_survey:
            return None
        survey = survey_open_for_module(module=module, now=now)
    else:
        survey = survey_open(survey=survey, now=now)
    if survey.status == Survey.Status.OPEN:
        queued = list(survey.invitations.filter(status=Invitation.Status.QUEUED).values_list("pk", flat=True))
        invitations_queue(invitation_ids=queued)
    return survey


@transaction.atomic
def survey_open_now(*, module: Module, by=None, now: datetime.datetime | None = None) -> Survey:
    """A facilitator's "open the survey now", before the module is marked delivered: refused while
    the module has not started (as marking it delivered is) and once the survey has opened."""
    now = now or timezone.now()
    module = Module.objects.select_for_update().select_related("cohort").get(pk=module.pk)
    if not module.has_survey:
        raise ValidationError(_("Module %(number)s has no survey.") % {"number": module.number}, code="no_survey")
    if module.starts_at > now:
        raise ValidationError(
            _("Module %(number)s starts on %(start)s; its survey can be opened once the module has taken place.")
            % {
                "number": module.number,
                "start": formats.date_format(timezone.localtime(module.starts_at), "DATETIME_FORMAT"),
            },
            code="not_started",
        )
    survey = Survey.objects.filter(module=module).first()
    if survey is not None and survey.status != Survey.Status.DRAFT:
        raise ValidationError(
            _("The survey is already %(status)s; nothing was sent.") % {"status": survey.get_status_display().lower()},
            code="not_draft",
        )
    survey = survey_open_and_invite(module=module, now=now)
    logger.info("survey of module %s opened by hand by %s", module.pk, getattr(by, "pk", None))
    return survey


def surveys_open_for_delivered_modules(*, now: datetime.datetime | None = None) -> list[int]:
    """Open the survey of each module that ended lately and was marked delivered, but whose survey
    never opened (delivered before surveys were set up, or its survey left a draft). Returns the
    ids of the modules handled.

    A survey normally opens when its module is marked delivered; this periodic job catches up.
    """
    now = now or timezone.now()
    recent = Q(ends_at__lte=now, ends_at__gte=now - OPEN_DUE_LOOKBACK)
    modules = (
        Module.objects.with_survey()
        .filter(recent, state=Module.State.DELIVERED)
        .exclude(cohort__status=Cohort.Status.FINISHED)
        .filter(Q(survey__isnull=True) | Q(survey__status=Survey.Status.DRAFT))
        .order_by("ends_at")
    )
    handled = []
    for module in modules:
        survey_open_and_invite(module=module, now=now)
        handled.append(module.pk)
        logger.info("module %s was delivered without an open survey; survey opened", module.pk)
    return handled


@transaction.atomic
def invitation_resend(*, invitation: Invitation, now: datetime.datetime | None = None) -> Invitation:
    """Send an invitation again with a new link (earlier links keep working), after commit."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_related("survey", "membership").get(pk=invitation.pk)
    if invitation.survey.status != Survey.Status.OPEN or invitation.survey.closes_at <= now:
        raise ValidationError(_("The survey is not open, so no invitation can be sent."), code="survey_not_open")
    if not invitation.membership.is_active:
        raise ValidationError(_("This participant has withdrawn from the cohort."), code="withdrawn")
    if invitation.answer_is_final:
        raise ValidationError(
            _("This participant has answered an anonymous survey; a new link would not reach their answers."),
            code="anonymous_responded",
        )
    if (
        invitation.status == Invitation.Status.SENDING
        and invitation.sending_started_at
        and invitation.sending_started_at >= now - sending_stale_after()
    ):
        raise ValidationError(_("This invitation is being sent right now."), code="sending")
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.QUEUED, queued_at=now, last_error="", updated_at=now
    )
    invitations_queue(invitation_ids=[invitation.pk])
    invitation.refresh_from_db()
    return invitation


@transaction.atomic
def invitations_resend_failed(*, survey: Survey, now: datetime.datetime | None = None) -> int:
    """Queue again every failed invitation of an open survey to a participant still taking part."""
    now = now or timezone.now()
    if survey.status != Survey.Status.OPEN or survey.closes_at <= now:
        raise ValidationError(_("The survey is not open, so no invitation can be sent."), code="survey_not_open")
    rows = Invitation.objects.with_active_membership().filter(survey=survey, status=Invitation.Status.FAILED)
    ids = list(rows.values_list("pk", flat=True))
    Invitation.objects.filter(pk__in=ids, status=Invitation.Status.FAILED).update(
        status=Invitation.Status.QUEUED, queued_at=now, last_error="", updated_at=now
    )
    invitations_queue(invitation_ids=ids)
    return len(ids)
