"""Fast bulk writes for the scale loader: PostgreSQL ``COPY`` where available, ``bulk_create`` elsewhere.

Rows are tuples for the columns the loader names (by attname, ``id`` always included so that the
loader knows every primary key without reading it back). Every other concrete column is filled the
way Django would fill it: ``auto_now``/``auto_now_add`` with the load time, a field's ``default``,
NULL for a nullable field, an empty string for an optional text field; a column with a database
default is left to the database. So a new nullable field, or one with a default, needs no change
here; a new required field without a default stops the load with its name, and the smoke test
(tests/test_bench_smoke.py) says so at once.
"""

import datetime
from collections.abc import Iterable

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import NOT_PROVIDED
from django.utils import timezone

BATCH = 5000


class LoaderError(Exception):
    """The loader does not know how to fill a column (a new required field without a default)."""


def has_field(model, attname: str) -> bool:
    """Whether ``model`` has this column (for a field other branches are adding: see the callers)."""
    return any(f.attname == attname for f in model._meta.concrete_fields)


def _filler(field: models.Field, now: datetime.datetime):
    """(value or callable giving the value) for a column the loader does not name, or None to leave
    it to the database default."""
    if getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
        return None
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return (now,)
    if field.has_default():
        if callable(field.default):
            return (lambda f=field: f.get_db_prep_save(f.get_default(), connection),)
        return (field.get_db_prep_save(field.get_default(), connection),)
    if field.null:
        return (None,)
    if field.blank and field.empty_strings_allowed:
        return ("",)
    raise LoaderError(
        f"{field.model._meta.label}.{field.name} is required and has no default: give it a value in bench/scale.py"
    )


class Writer:
    """Writes rows model by model and remembers how many; ``next_ids`` hands out primary keys."""

    def __init__(self, *, stdout=None):
        self.now = timezone.now()
        self.counts: dict[str, int] = {}
        self.models: list[type[models.Model]] = []
        self._next: dict[str, int] = {}
        self.postgres = connection.vendor == "postgresql"
        self.stdout = stdout

    def next_ids(self, model, n: int) -> range:
        """``n`` fresh primary keys for ``model`` (after any rows it already has)."""
        label = model._meta.label
        if label not in self._next:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
                self._next[label] = (cursor.fetchone()[0] or 0) + 1
        start = self._next[label]
        self._next[label] = start + n
        return range(start, start + n)

    def write(self, model, attnames: Iterable[str], rows: Iterable[tuple]) -> int:
        attnames = list(attnames)
        known = set(attnames)
        extra_fields = [f for f in model._meta.local_concrete_fields if f.attname not in known]
        fillers = [(f, _filler(f, self.now)) for f in extra_fields]
        fillers = [(f, filler[0]) for f, filler in fillers if filler is not None]
        constants = all(not callable(value) for _f, value in fillers)
        written = (
            self._copy(model, attnames, fillers, constants, rows)
            if self.postgres
            else self._bulk(model, attnames, rows)
        )
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + written
        if model not in self.models:
            self.models.append(model)
        return written

    def _copy(self, model, attnames, fillers, constants, rows) -> int:
        quote = connection.ops.quote_name
        by_attname = {f.attname: f for f in model._meta.local_concrete_fields}
        columns = [by_attname[name].column for name in attnames] + [f.column for f, _v in fillers]
        sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        tail = tuple(value for _f, value in fillers)
        written = 0
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                if constants:
                    copy.write_row(row + tail)
                else:
                    copy.write_row(row + tuple(v() if callable(v) else v for v in tail))
                written += 1
        return written

    def _bulk(self, model, attnames, rows) -> int:
        written, batch = 0, []
        for row in rows:
            batch.append(model(**dict(zip(attnames, row, strict=True))))
            if len(batch) >= BATCH:
                model.objects.bulk_create(batch)
                written += len(batch)
                batch = []
        if batch:
            model.objects.bulk_create(batch)
            written += len(batch)
        return written

    def reset_sequences(self) -> None:
        """After explicit ids, the next ids the app hands out must come after ours."""
        statements = connection.ops.sequence_reset_sql(no_style(), self.models)
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def analyze(self) -> None:
        """Fresh planner statistics: a bulk load leaves them stale until autovacuum catches up."""
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
