"""Statements made on every request, written by the ORM once per process.

Django compiles a queryset's SQL each time it is evaluated. For the reads every step of a
participant's answering journey makes (the invitation behind a link, the submit's row lock) and the
cohort access check every cohort page makes (cohorts.middleware), compiling cost the worker more CPU
than PostgreSQL spent planning and running them (bench/README.md, "One submit journey"). So each is
a queryset built once with placeholder values; its SQL is kept per database connection alias and run
with the request's values through Django's cursor (logged and counted like any query). The SQL is
still the ORM's, so it follows the models' tables and columns.

``update_and_insert_values`` does the same for a write: an UPDATE of one row and an INSERT of
another in one statement (a sent invitation marked and its mail logged).

A statement is compiled the first time it runs (a ``select_for_update`` only compiles inside a
transaction), and its rows get the converters the queryset's own would.
"""

import datetime
import enum
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router, transaction
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Model, QuerySet, signals
from django.db.models.base import ModelState
from django.db.models.sql import InsertQuery, UpdateQuery

try:
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, ServerBindingCursor
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format
except ImportError:  # no psycopg 3 installed
    ServerBindingCursor = None


class CompiledStatement:
    """What every statement compiled once per process shares: ``_compile(connection)`` gives (SQL,
    slots, converters) the first time, each slot ``(placeholder name, None)`` or ``(None, a value kept
    with the statement)``; ``_statement(values)`` gives the connection, the SQL, the parameters with
    ``values`` in place of the placeholders, and the converters."""

    using = "default"
    _compiled = None

    def _compile(self, connection) -> tuple[str, list[tuple[str | None, Any]], Any]:
        raise NotImplementedError

    def _statement(self, values: dict) -> tuple[Any, str, list, Any]:
        connection = connections[self.using]
        if self._compiled is None:
            self._compiled = self._compile(connection)
        sql, slots, converters = self._compiled
        return connection, sql, [values[name] if name else kept for name, kept in slots], converters


class CompiledQuery(CompiledStatement):
    """``build(**placeholders)`` returns the queryset (a ``values_list``); ``fetchone(**values)``
    (or ``fetchall``) runs its SQL with ``values`` in place of the placeholders and returns the row
    (rows) as the queryset would (Django's converters applied). The placeholders must be distinct values that appear
    nowhere else in the queryset's parameters; its other parameters (a status the queryset filters
    on) are part of the statement and kept with it."""

    def __init__(
        self, build: Callable[..., QuerySet], *, using: str = "default", prepare: bool = False, **placeholders: Any
    ):
        self.build = build
        self.using = using
        self.prepare = prepare
        self.placeholders = placeholders
        self._compiled: tuple[str, list[tuple[str | None, Any]], dict] | None = None

    def _compile(self, connection) -> tuple[str, list[tuple[str | None, Any]], dict]:
        compiler = self.build(**self.placeholders).query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        converters = compiler.get_converters([expression for expression, _sql, _alias in compiler.select])
        by_value = {value: name for name, value in self.placeholders.items()}
        # Each parameter: (the placeholder's name, None) or (None, a value kept with the statement).
        slots = [
            (by_value[value], None) if _hashable(value) and value in by_value else (None, value) for value in params
        ]
        if len(by_value) != len(self.placeholders) or {name for name, _ in slots if name} != set(self.placeholders):
            name = getattr(self.build, "__name__", repr(self.build))
            raise ImproperlyConfigured(f"{name}: parameters {params!r} do not hold every placeholder")
        return sql, slots, converters

    def fetchone(self, **values: Any) -> tuple | None:
        rows = self._run(values, all_rows=False)
        return rows[0] if rows else None

    def fetchall(self, **values: Any) -> list[tuple]:
        return self._run(values, all_rows=True)

    def iterator(self, chunk_size: int | None = None, **values: Any) -> Iterator[tuple]:
        """The rows one by one, read when the iteration starts. With ``chunk_size``, through a
        server-side cursor where the database has them (Django's ``chunked_cursor``, as a queryset's
        ``iterator(chunk_size)``), ``chunk_size`` rows a round trip, so memory stays flat however many
        rows there are; without, all at once (one round trip), for a result known to be small."""
        connection, sql, params, converters = self._statement(values)
        cursor = connection.chunked_cursor() if chunk_size else connection.cursor()
        try:
            cursor.execute(sql, params)
            while rows := (cursor.fetchmany(chunk_size) if chunk_size else cursor.fetchall()):
                for row in rows:
                    yield self._convert(row, converters, connection) if converters else tuple(row)
                if not chunk_size:
                    break
        finally:
            cursor.close()

    def _run(self, values: dict, *, all_rows: bool) -> list[tuple]:
        connection, sql, params, converters = self._statement(values)
        with prepared_cursor(connection) if self.prepare else connection.cursor() as cursor:
            cursor.execute(sql, params)
            if all_rows:
                rows = cursor.fetchall()
            else:
                row = cursor.fetchone()
                rows = [] if row is None else [row]
        if not converters:
            return [tuple(row) for row in rows]
        return [self._convert(row, converters, connection) for row in rows]

    @staticmethod
    def _convert(row, converters, connection) -> tuple:
        row = list(row)
        for position, (functions, expression) in converters.items():
            for function in functions:
                row[position] = function(row[position], expression, connection)
        return tuple(row)


def prepared_cursor(connection):
    """A cursor whose statements PostgreSQL plans once per connection (a prepared statement, psycopg's
    ``prepare=True``), logged and counted like any; elsewhere, or with ``PREPARED_STATEMENTS`` off,
    the usual cursor.

    Django binds parameters on the client, so PostgreSQL plans every statement it receives: for the
    invitation behind a survey link (a row and five values around it) that took five times as long as
    running it (bench/README.md). A statement made on every answering request is worth planning
    once. Only for statements whose parameters PostgreSQL can type on its own (compared with a
    column), as server-side binding needs. Behind a pooler in transaction mode, prepared statements
    need PgBouncer 1.21 or later with ``max_prepared_statements`` set; else turn the setting off."""
    if connection.vendor != "postgresql" or not getattr(settings, "PREPARED_STATEMENTS", False):
        return connection.cursor()
    connection.validate_thread_sharing()
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        # Django turns psycopg's preparing off (its cursors bind on the client, and never prepare);
        # a threshold no statement reaches lets only the statements these cursors ask for be prepared.
        connection.connection.prepare_threshold = _ONLY_WHEN_ASKED
    cursor = _PreparingCursor(connection.connection)
    # As Django's own cursors: times read in the connection's time zone (postgresql/base.py).
    if connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone != connection.timezone:
        register_tzloader(connection.timezone, cursor)
    return _PreparedDebugWrapper(cursor, connection) if connection.queries_logged else connection.make_cursor(cursor)


_ONLY_WHEN_ASKED = 2**62


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Django's logging cursor, for a prepared statement: Django reads the statement a cursor sent
    back from the cursor, but a prepared one is sent by name; so the statement is logged as Django
    logs it with server-side binding, composed from the SQL and its parameters."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)


class _PreparingCursor(ServerBindingCursor if ServerBindingCursor else object):
    """Django's server-side binding cursor, every statement prepared (psycopg keeps them per connection)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


@functools.cache
def attnames(model: type[Model]) -> tuple[str, ...]:
    """The model's columns, in the order ``Model.from_db`` takes them."""
    return tuple(field.attname for field in model._meta.concrete_fields)


def row_columns(row: Iterable[tuple[type[Model], str]]) -> list[str]:
    """The ``values_list`` names of a row of several models' columns: each ``(model, prefix)`` gives
    ``prefix`` + each of the model's ``attnames`` (``""`` for the queryset's own model,
    ``"survey__"`` for a related one). ``instances_from_row`` reads such a row back."""
    return [prefix + name for model, prefix in row for name in attnames(model)]


def instance(model: type[Model], using: str = "default", **values: Any) -> Model:
    """A model instance as loaded from the database, from some or all of its columns by attname
    (the others deferred: reading one runs a query, as with ``.only()``)."""
    names = [name for name in attnames(model) if name in values]
    return loaded(model, using, names, [values[name] for name in names])


def instances_from_row(row: tuple, *models: type[Model], using: str = "default") -> tuple[list[Model], tuple]:
    """An instance of each of ``models`` from a row holding every column (``attnames``) of each in
    turn, as a ``values_list`` of them gives it; and the rest of the row."""
    objects, start = [], 0
    for model in models:
        names = attnames(model)
        end = start + len(names)
        if end > len(row):
            raise ValueError(f"the row ends before {model.__name__}'s columns do")
        objects.append(loaded(model, using, names, row[start:end]))
        start = end
    return objects, tuple(row[start:])


@functools.cache
def _made_as_django_makes_it(model: type[Model]) -> bool:
    """Whether the model keeps Django's ``__init__`` and ``from_db``."""
    return model.__init__ is Model.__init__ and model.from_db.__func__ is Model.from_db.__func__


def loaded(model: type[Model], using: str, names: Sequence[str], values: Sequence[Any]) -> Model:
    """``model.from_db(using, names, values)``: ``names`` are attnames in the model's field order.

    ``Model.__init__`` walks every field to set each value (and to skip the deferred ones) and sends
    two signals; for a page of a hundred rows of two models that was a tenth of the cohort page's
    CPU. Where that makes nothing more than the columns (Django's own ``__init__`` and ``from_db``,
    no ``pre_init`` or ``post_init`` receiver such as an ImageField's), the same instance is made
    directly: each column set as ``__init__`` sets it, into ``__dict__`` (a concrete field's
    descriptor stores nothing else), and the columns not given left out, so that reading one loads
    it as a deferred field does. Any other model goes through ``from_db``."""
    if (
        not _made_as_django_makes_it(model)
        or signals.pre_init.has_listeners(model)
        or signals.post_init.has_listeners(model)
    ):
        return model.from_db(using, names, values)
    new = model.__new__(model)
    state = new._state = ModelState()
    state.adding = False
    state.db = using
    new.__dict__.update(zip(names, values, strict=True))
    return new


# Immutable values: the same object prepares to the same parameter every time (an enum member, such
# as a model's status, too).
_SAME_EACH_TIME = (str, int, bool, float, datetime.datetime, datetime.date, type(None))
_NOTHING = object()
# Per ``update_and_insert_values`` statement (database, model, columns, inserted model): its SQL and
# each parameter's last value with what it was prepared to.
_UPDATE_AND_INSERT_VALUES: dict[tuple, tuple[str, list[tuple[Any, Any]]]] = {}


@functools.cache
def _inserted_fields(model: type[Model]) -> tuple[tuple, frozenset]:
    fields = tuple(f for f in model._meta.local_concrete_fields if not f.primary_key)
    return fields, frozenset(f.attname for f in fields)


@functools.cache
def _statement_fields(model: type[Model], names: tuple[str, ...], row_model: type[Model]) -> tuple:
    """The field each parameter is prepared by: the updated ones, none for the primary key, the row's."""
    return (*(model._meta.get_field(name) for name in names), None, *_inserted_fields(row_model)[0])


def update_and_insert_values(model: type[Model], pk: int, values: dict, row_model: type[Model], row: dict) -> None:
    """``model.objects.filter(pk=pk).update(**values)`` and an INSERT of a ``row_model`` row, in one
    statement on PostgreSQL (the UPDATE in a WITH) and in one transaction elsewhere; the row's primary
    key is not read back. The row is given as its columns' values (``row``: every local concrete field
    but the primary key, by attname, time stamps included: no ``pre_save`` fills them in), so that a
    caller logging every message of a batch builds no model instance for it.

    The statement is compiled by Django the first time; then only its parameters are worked out, as
    the compiler does.

    Each value is prepared for the database as the compiler prepares it (``get_db_prep_save``), but a
    value that is the very object the same column had last time, and immutable, reuses what it was
    prepared to: a batch's constants (a kind, a status, a content type, an empty error) are prepared
    once. The statement is kept only once the first call's parameters equal the compiler's.
    """
    using = router.db_for_write(model)
    connection = connections[using]
    fields, names = _inserted_fields(row_model)
    if row.keys() != names:
        raise ValueError(f"{row_model.__name__}: give every column but the primary key, not {sorted(row)}")
    if connection.vendor != "postgresql":
        insert = InsertQuery(row_model)
        insert.insert_values(fields, [row_model(**row)], raw=True)
        with transaction.atomic(using=using):
            model.objects.using(using).filter(pk=pk).update(**values)
            insert.get_compiler(using).execute_sql()
        return
    key = (using, model, tuple(values), row_model)
    sql, last = _UPDATE_AND_INSERT_VALUES.get(key, (None, None))
    if last is None:
        last = [(_NOTHING, None)] * (len(values) + 1 + len(fields))
    params = []
    given = (*values.values(), pk, *(row[f.attname] for f in fields))
    for position, (field, value) in enumerate(zip(_statement_fields(*key[1:]), given, strict=True)):
        kept_value, kept = last[position]
        if value is kept_value and (type(value) in _SAME_EACH_TIME or isinstance(value, enum.Enum)):
            params.append(kept)
            continue
        prepared = value if field is None else field.get_db_prep_save(value, connection)
        # One tuple, so that a thread never sees one value with another's preparation.
        last[position] = (value, prepared)
        params.append(prepared)
    if sql is None:
        update = model.objects.using(using).filter(pk=pk).query.chain(UpdateQuery)
        update.add_update_values(values)
        update_sql, update_params = update.get_compiler(using).as_sql()
        insert = InsertQuery(row_model)
        insert.insert_values(fields, [row_model(**row)], raw=True)
        [(insert_sql, insert_params)] = insert.get_compiler(using).as_sql()
        sql = f"WITH updated AS ({update_sql}) {insert_sql}"
        compiled = (*update_params, *insert_params)
        if compiled == tuple(params):
            _UPDATE_AND_INSERT_VALUES[key] = (sql, last)
        params = compiled
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
