"""Several reads of a page in one statement, written by the ORM once per process.

In the single-user benchmark (issue 14) a page's time is its Python CPU plus each statement's round
trip (about 0.3-0.5 ms through Django's cursor and psycopg) and PostgreSQL's planning and execution.
The results page made six small grouped reads after its survey, each a round trip. ``Together`` puts
such reads in one statement: each read's own SQL (the ORM's, compiled once per process with
placeholders as ``common.compiled.CompiledQuery`` does) becomes a scalar subquery that gathers its
rows as a JSON array of arrays, in the read's own order, and the statement returns one JSON array of
them. Each read's rows come back as the tuples its queryset's ``values_list`` would give, for reads
of integers, strings and NULLs only (JSON has no dates or decimals): a read of another kind of column
is refused when compiled. The rows get the converters the queryset's own would.
"""

import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from common.compiled import CompiledStatement

# How each database gathers a read's rows (in the order its subquery gives them) into a JSON array.
_GATHER = {
    "postgresql": ("COALESCE(json_agg(json_build_array({columns})), '[]'::json)", "json_build_array({parts})"),
    "sqlite": ("json_group_array(json_array({columns}))", "json_array({parts})"),
}


# The columns a read may have: what JSON gives back as the queryset's own values would be.
_JSON_KINDS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "ForeignKey",
    "OneToOneField",
    "CharField",
    "TextField",
    "SlugField",
    "EmailField",
}


class Together(CompiledStatement):
    """``Together(placeholders, name=build, ...)``: each ``build(**placeholders)`` returns a
    ``values_list`` queryset; ``fetch(**values)`` runs all of them in one statement with ``values`` in
    place of the placeholders and returns ``{name: [row tuple, ...]}``. The placeholders must be
    distinct values that appear nowhere else in the querysets' parameters (as for ``CompiledQuery``);
    a read may use only some of them."""

    def __init__(self, placeholders: dict[str, Any], *, using: str = "default", **builds: Callable[..., QuerySet]):
        self.placeholders = placeholders
        self.builds = builds
        self.using = using
        self._compiled: tuple[str, list[tuple[str | None, Any]], list[dict]] | None = None

    def _compile(self, connection) -> tuple[str, list[tuple[str | None, Any]], list[dict]]:
        gather_rows, gather_parts = _GATHER[connection.vendor]
        by_value = {value: name for name, value in self.placeholders.items()}
        if len(by_value) != len(self.placeholders):
            raise ImproperlyConfigured("Together: the placeholders must be distinct values")
        parts, slots, converters = [], [], []
        for name, build in self.builds.items():
            queryset = build(**{key: value for key, value in self.placeholders.items() if _takes(build, key)})
            compiler = queryset.query.get_compiler(connection=connection)
            sql, params = compiler.as_sql(with_col_aliases=True)
            expressions = [expression for expression, _sql, _alias in compiler.select]
            kinds = {expression.output_field.get_internal_type() for expression in expressions}
            if kinds - _JSON_KINDS:
                raise ImproperlyConfigured(f"Together: {name} reads {sorted(kinds - _JSON_KINDS)}; read it apart")
            converters.append(compiler.get_converters(expressions))
            aliases = [alias for _expression, _sql, alias in compiler.select]
            if None in aliases or len(set(aliases)) != len(aliases):
                raise ImproperlyConfigured(f"Together: {name}'s columns have no distinct aliases: {aliases!r}")
            columns = ", ".join(f"gathered.{connection.ops.quote_name(alias)}" for alias in aliases)
            parts.append(f"(SELECT {gather_rows.format(columns=columns)} FROM ({sql}) gathered)")  # noqa: S608 (the ORM's SQL)
            slots.extend(
                (by_value[value], None) if _is_placeholder(value, by_value) else (None, value) for value in params
            )
        unused = set(self.placeholders) - {slot for slot, _kept in slots if slot}
        if unused:
            raise ImproperlyConfigured(f"Together: no read holds the placeholders {sorted(unused)}")
        return f"SELECT {gather_parts.format(parts=', '.join(parts))}", slots, converters

    def fetch(self, **values: Any) -> dict[str, list[tuple]]:
        connection, sql, params, converters = self._statement(values)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            (gathered,) = cursor.fetchone()
        if isinstance(gathered, str):  # SQLite's JSON is text; psycopg decodes PostgreSQL's json
            gathered = json.loads(gathered)
        reads = {}
        for name, rows, functions in zip(self.builds, gathered, converters, strict=True):
            if isinstance(rows, str):  # SQLite gives a subquery's JSON as text
                rows = json.loads(rows)
            reads[name] = (
                [_converted(row, functions, connection) for row in rows] if functions else list(map(tuple, rows))
            )
        return reads


def _converted(row: list, converters: dict, connection) -> tuple:
    """A row with the converters its queryset would apply (``CompiledQuery._convert``)."""
    for position, (functions, expression) in converters.items():
        for function in functions:
            row[position] = function(row[position], expression, connection)
    return tuple(row)


def _takes(build: Callable, name: str) -> bool:
    return name in build.__code__.co_varnames[: build.__code__.co_argcount + build.__code__.co_kwonlyargcount]


def _is_placeholder(value: Any, by_value: dict) -> bool:
    try:
        return value in by_value
    except TypeError:  # an unhashable parameter (a list) is kept with the statement
        return False
