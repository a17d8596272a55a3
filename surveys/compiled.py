"""Statements the answering pages make on every request, written by the ORM once per process.

Django compiles a queryset's SQL each time it is evaluated. For the reads every step of a
participant's journey makes (the invitation behind a link, the submit's row lock), compiling cost
the worker more CPU than PostgreSQL spent planning and running them (bench/README.md, "One submit
journey"). So each is a queryset built once with placeholder values; its SQL is kept per database
connection alias and run with the request's values through Django's cursor (logged and counted like
any query). The SQL is still the ORM's, so it follows the models' tables and columns.

A statement is compiled the first time it runs (a ``select_for_update`` only compiles inside a
transaction), and its rows get the converters the queryset's own would.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Model, QuerySet

from surveys.models import Invitation, Survey


class CompiledQuery:
    """``build(**placeholders)`` returns the queryset (a ``values_list``); ``fetchone(**values)``
    runs its SQL with ``values`` in place of the placeholders and returns the row as the queryset
    would (Django's converters applied). The placeholders must be distinct values that appear
    nowhere else in the queryset's parameters."""

    def __init__(self, build: Callable[..., QuerySet], *, using: str = "default", **placeholders: Any):
        self.build = build
        self.using = using
        self.placeholders = placeholders
        self._compiled: tuple[str, list[str], dict] | None = None

    def _compile(self, connection) -> tuple[str, list[str], dict]:
        compiler = self.build(**self.placeholders).query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        converters = compiler.get_converters([expression for expression, _sql, _alias in compiler.select])
        by_value = {value: name for name, value in self.placeholders.items()}
        if len(by_value) != len(self.placeholders) or any(value not in by_value for value in params):
            raise ImproperlyConfigured(f"{self.build.__name__}: parameters {params!r} are not all placeholders")
        return sql, [by_value[value] for value in params], converters

    def fetchone(self, **values: Any) -> tuple | None:
        connection = connections[self.using]
        if self._compiled is None:
            self._compiled = self._compile(connection)
        sql, names, converters = self._compiled
        with connection.cursor() as cursor:
            cursor.execute(sql, [values[name] for name in names])
            row = cursor.fetchone()
        if row is None or not converters:
            return row
        row = list(row)
        for position, (functions, expression) in converters.items():
            for function in functions:
                row[position] = function(row[position], expression, connection)
        return tuple(row)


@functools.cache
def attnames(model: type[Model]) -> tuple[str, ...]:
    """The model's columns, in the order ``Model.from_db`` takes them."""
    return tuple(field.attname for field in model._meta.concrete_fields)


def instance(model: type[Model], using: str = "default", **values: Any) -> Model:
    """A model instance as loaded from the database, from some or all of its columns by attname
    (the others deferred: reading one runs a query, as with ``.only()``)."""
    names = [name for name in attnames(model) if name in values]
    return model.from_db(using, names, [values[name] for name in names])


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
