"""The answering pages' statements, compiled once per process (``common.compiled``): an invitation
with its survey, read back from one row; and the submit's writes on PostgreSQL (a response, then its
answers, their choices and the invitation marked answered), written once per shape of rows."""

import functools

from django.db import connections
from django.db.models import Model

from common.compiled import CompiledQuery, attnames, instance, instances_from_row
from surveys.models import Answer, Invitation, InvitationLink, Response, Survey

__all__ = [
    "ANSWER_FIELDS",
    "RESPONSE_FIELDS",
    "CompiledQuery",
    "answers_insert_sql",
    "attnames",
    "instance",
    "invitation_columns",
    "invitation_from_row",
    "links_insert_sql",
    "prepared",
    "response_insert_sql",
]


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


def _names(model: type[Model], fields: tuple[str, ...], connection) -> str:
    return ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in fields)


def _rows(width: int, count: int) -> str:
    row = f"({', '.join(['%s'] * width)})"
    return ", ".join([row] * count)


@functools.cache
def _fields(model: type[Model], names: tuple[str, ...]) -> tuple:
    return tuple(model._meta.get_field(name) for name in names)


def prepared(model: type[Model], fields: tuple[str, ...], values: tuple, connection) -> list:
    """``values`` of ``fields`` as their fields prepare them for the database (what the ORM sends)."""
    return [
        field.get_db_prep_save(value, connection) for field, value in zip(_fields(model, fields), values, strict=True)
    ]


RESPONSE_FIELDS = ("survey_id", "membership_id", "pseudonym", "edit_key", "profession", "submitted_at", "updated_at")
ANSWER_FIELDS = ("response_id", "question_id", "number", "text", "then_number", "quote_consent")

# The statements below are written from the models' table and column names (quoted); every value
# is a parameter.


@functools.cache
def response_insert_sql(alias: str) -> str:
    """PostgreSQL: a response's INSERT that does nothing where a unique key already holds the
    respondent, and returns the new id (no row: there was one). One statement where a savepoint
    around a plain INSERT takes three."""
    connection = connections[alias]
    table = connection.ops.quote_name(Response._meta.db_table)
    columns = _names(Response, RESPONSE_FIELDS, connection)
    values = _rows(len(RESPONSE_FIELDS), 1)
    pk = connection.ops.quote_name(Response._meta.pk.column)
    return f"INSERT INTO {table} ({columns}) VALUES {values} ON CONFLICT DO NOTHING RETURNING {pk}"  # noqa: S608


@functools.cache
def answers_insert_sql(alias: str, answers: int, chosen: int, mark_answered: bool) -> str:
    """PostgreSQL: a new response's ``answers`` rows (``ANSWER_FIELDS``), the ``chosen`` choices of
    their questions (question id, choice id pairs, joined to the new answers by question: one answer
    per question and response) and, if ``mark_answered``, the invitation's ``responded_at``, in one
    statement. Parameters: the answers' values, then the time and the invitation's id if
    ``mark_answered``, then the pairs. Compiled once per shape."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    answer_table, answer_pk = quote(Answer._meta.db_table), quote(Answer._meta.pk.column)
    question = quote(Answer._meta.get_field("question").column)
    steps = []
    if answers:
        columns, values = _names(Answer, ANSWER_FIELDS, connection), _rows(len(ANSWER_FIELDS), answers)
        steps.append(
            f"answer AS (INSERT INTO {answer_table} ({columns}) VALUES {values} RETURNING {answer_pk}, {question})"  # noqa: S608
        )
    if mark_answered:
        table, pk = quote(Invitation._meta.db_table), quote(Invitation._meta.pk.column)
        responded_at = quote(Invitation._meta.get_field("responded_at").column)
        steps.append(f"invitation AS (UPDATE {table} SET {responded_at} = %s WHERE {pk} = %s)")  # noqa: S608
    if not steps:
        raise ValueError("nothing to write")
    if chosen and not answers:
        raise ValueError("choices without answers")
    main = "SELECT 1"
    if chosen:
        through = Answer.choices.through
        table, columns = quote(through._meta.db_table), _names(through, ("answer", "choice"), connection)
        pairs = ", ".join(["(%s::bigint, %s::bigint)"] * chosen)
        main = (
            f"INSERT INTO {table} ({columns}) SELECT answer.{answer_pk}, chosen.choice_id FROM answer "  # noqa: S608
            f"JOIN (VALUES {pairs}) AS chosen (question_id, choice_id) ON chosen.question_id = answer.{question}"
        )
    return f"WITH {', '.join(steps)} {main}"


@functools.cache
def links_insert_sql(alias: str) -> str:
    """PostgreSQL: links for many invitations in one INSERT (``InvitationLink``); parameters: the
    issue time, the invitations' ids (an array) and the tokens' hashes (an array, in the same order).
    Written once per process, where ``bulk_create`` compiled a statement for every batch."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = quote(InvitationLink._meta.db_table)
    columns = _names(InvitationLink, ("invitation_id", "token_hash", "issued_at"), connection)
    return f"INSERT INTO {table} ({columns}) SELECT i, h, %s FROM unnest(%s::bigint[], %s::varchar[]) AS t (i, h)"  # noqa: S608
