"""The answering pages' statements, compiled once per process (``common.compiled``): an invitation
with its survey, read back from one row."""

from common.compiled import CompiledQuery, attnames, instance
from surveys.models import Invitation, Survey

__all__ = ["CompiledQuery", "attnames", "instance", "invitation_columns", "invitation_from_row"]


def invitation_columns() -> list[str]:
    """An invitation's columns and then its survey's, for ``values_list`` on Invitation; read back
    by ``invitation_from_row``."""
    return [*attnames(Invitation), *(f"survey__{name}" for name in attnames(Survey))]


def invitation_from_row(row: tuple) -> tuple[Invitation, tuple]:
    """The invitation, with its survey, from a row that starts with ``invitation_columns()``; and
    the rest of the row."""
    invitation_names, survey_names = attnames(Invitation), attnames(Survey)
    split = len(invitation_names)
    end = split + len(survey_names)
    invitation = instance(Invitation, **dict(zip(invitation_names, row[:split], strict=True)))
    invitation.survey = instance(Survey, **dict(zip(survey_names, row[split:end], strict=True)))
    return invitation, row[end:]
