"""The participant's own surveys ("my programme")."""

import datetime
from dataclasses import dataclass

from modules.models import Module
from surveys.models import Invitation, Survey


@dataclass(frozen=True)
class OpenInvitation:
    invitation: Invitation
    survey: Survey
    module: Module | None  # None for the surveys that follow no module (see ``survey.title``)
    closes_at: datetime.datetime
    responded: bool
    # False when a new link would cut the participant off from an anonymous answer they already gave.
    can_answer: bool


def open_invitations_for_user(*, user) -> list[OpenInvitation]:
    """The user's invitations to surveys accepting answers now, soonest closing first. One query."""
    if not user.is_authenticated:
        return []
    invitations = (
        Invitation.objects.with_active_membership()
        .filter(membership__person__user=user, survey__in=Survey.objects.accepting())
        .select_related("survey__module", "survey__cohort")
        .order_by("survey__closes_at", "survey__module__number", "pk")
    )
    return [
        OpenInvitation(
            invitation=invitation,
            survey=invitation.survey,
            module=invitation.survey.module,
            closes_at=invitation.survey.closes_at,
            responded=invitation.has_responded,
            can_answer=not invitation.answer_is_final,
        )
        for invitation in invitations
    ]


def invitation_leading_on(*, invitation: Invitation) -> Invitation | None:
    """The same participant's invitation to the survey that ``invitation``'s survey leads on to
    (``Survey.LEADS_ON_TO``: the post self-assessment to the evaluation of the same cohort), if that
    survey accepts answers now. At most one query."""
    kind = Survey.LEADS_ON_TO.get(invitation.survey.kind)
    if kind is None:
        return None
    return (
        Invitation.objects.with_active_membership()
        .filter(
            membership_id=invitation.membership_id,
            survey__cohort_id=invitation.survey.cohort_id,
            survey__kind=kind,
            survey__in=Survey.objects.accepting(),
        )
        .select_related("survey__cohort")
        .first()
    )
