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
    "prepared_column",
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


def prepared_column(model: type[Model], name: str, values, connection) -> list:
    """``values`` of one field, each as the field prepares it for the database: an array's elements."""
    field = _fields(model, (name,))[0]
    return [field.get_db_prep_save(value, connection) for value in values]


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
def answers_insert_sql(alias: str, mark_answered: bool, with_response: bool = False) -> str:
    """PostgreSQL: a new response's answers, the choices of their choice questions and, if
    ``mark_answered``, the invitation's ``responded_at``, in one statement of the same text however
    many answers and choices there are (so psycopg keeps its parsed form, and PostgreSQL sees one
    statement). Parameters: the response's id; an array per other column of ``ANSWER_FIELDS``, an
    element per answer; the time and the invitation's id if ``mark_answered``; then the chosen
    choices as two arrays, their questions' ids and their ids (joined to the new answers by
    question: one answer per question and response).

    ``with_response``: the response itself too, first (``response_insert_sql``'s INSERT, its values
    in place of the response's id): a first answer in one statement. Where a unique key already holds
    the respondent, nothing at all is written and no row comes back; else the new response's id."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    answer_table, answer_pk = quote(Answer._meta.db_table), quote(Answer._meta.pk.column)
    question = quote(Answer._meta.get_field("question").column)
    columns = _names(Answer, ANSWER_FIELDS, connection)
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in _fields(Answer, ANSWER_FIELDS[1:]))
    steps, source, written = [], "%s, given.* FROM", ""
    if with_response:
        steps.append(f"response AS ({response_insert_sql(alias)})")
        source = f"response.{quote(Response._meta.pk.column)}, given.* FROM response,"
        written = " AND EXISTS (SELECT 1 FROM response)"
    steps.append(
        f"answer AS (INSERT INTO {answer_table} ({columns}) SELECT {source} unnest({arrays}) AS given "
        f"RETURNING {answer_pk}, {question})"
    )
    if mark_answered:
        table, pk = quote(Invitation._meta.db_table), quote(Invitation._meta.pk.column)
        responded_at = quote(Invitation._meta.get_field("responded_at").column)
        steps.append(f"invitation AS (UPDATE {table} SET {responded_at} = %s WHERE {pk} = %s{written})")  # noqa: S608
    through = Answer.choices.through
    table, pair = quote(through._meta.db_table), _names(through, ("answer", "choice"), connection)
    choices = (
        f"INSERT INTO {table} ({pair}) SELECT answer.{answer_pk}, chosen.choice_id "  # noqa: S608
        f"FROM answer JOIN unnest(%s::bigint[], %s::bigint[]) AS chosen (question_id, choice_id) "
        f"ON chosen.question_id = answer.{question}"
    )
    if with_response:
        steps.append(f"chosen_choice AS ({choices})")
        return f"WITH {', '.join(steps)} SELECT {quote(Response._meta.pk.column)} FROM response"  # noqa: S608
    return f"WITH {', '.join(steps)} {choices}"


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
