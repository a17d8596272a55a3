"""The answering pages' statements, compiled once per process (``common.compiled``): an invitation
with its survey, read back from one row."""

from common.compiled import CompiledQuery, attnames, instance, instances_from_row
from surveys.models import Invitation, Survey

__all__ = ["CompiledQuery", "attnames", "instance", "invitation_columns", "invitation_from_row"]


def invitation_columns() -> list[str]:
    """An invitation's columns and then its survey's, for ``values_list`` on Invitation; read back
    by ``invitation_from_row``."""
    return [*attnames(Invitation), *(f"survey__{name}" for name in attnames(Survey))]


def invitation_from_row(row: tuple) -> tuple[Invitation, tuple]:
    """The invitation, with its survey, from a row that starts with ``invitation_columns()``; and
    the rest of the row."""
    (invitation, survey), rest = instances_from_row(row, Invitation, Survey)
    invitation.survey = survey
    return invitation, rest
