"""A digest of every row a draft report is drawn from, made by PostgreSQL in one statement.

Building a draft report reads some twenty tables (``reports.reads``) and turns their rows into the
report's dict: most of the page's time, and all of a cached download's. The same rows give the same
report (for the same day and language: ``reports.selectors.report_page`` keys it by those too), so
the dict, and the files drawn from it, can be kept under a digest of the rows themselves. Each row
counts by its id and the version of it that is read: ``xmin``, the transaction that wrote it, and
``ctid``, where it was written. PostgreSQL writes a new version in a new place on every UPDATE (a
second update in the same transaction included), so an insert, an update or a delete of any row the
report is drawn from changes the digest, whether it came from a service, a queryset ``update()``, a
bulk write or by hand. Nothing has to be told about a change and nothing is ever invalidated: changed
rows are another key.

The digest is read before the report is built (each in its own snapshot), so what is kept under a
digest is never older than the rows the digest was made from.

The rows are those of every table the build reads, for the cohort: its report and key impacts,
modules, PDSA cycles and Act items, memberships, people and attendance, practice moments, surveys with
their question sets, questions and choices, invitations, responses and answers (and the choices of the
evaluation's and follow-up's answers: the only answers' choices the build counts), chosen quotes, sets,
projects, measures, data points and project cycles. reports/tests/test_sources.py checks that every
table the build's statements name is among them. Elsewhere than on PostgreSQL there is no digest and
the report is built on every request.
"""

from __future__ import annotations

import functools

from django.db import connection

from cohorts.models import Cohort, Membership, Organisation, Person, Programme
from evaluation.models import PracticeMoment, QuoteSelection
from modules.models import ActItem, Attendance, Module, PDSACycle
from projects.models import ActionLearningSet, DataPoint, ImprovementProject, Measure, ProjectPDSACycle
from surveys.models import Answer, Choice, Invitation, Question, QuestionSet, Response, Survey

from .models import ImpactReport, KeyImpact
from .reads import LEVEL_KINDS


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


# Every statement below is made of the models' table and column names only; the cohort's id is a parameter.


def _rows(model, condition: str, carry: tuple[str, ...] = ()) -> str:
    """The rows of ``model`` that meet ``condition``, with the columns of the ``carry`` fields (the
    pointers other rows are found by)."""
    # Which version of each row: xmin, the transaction that wrote it, and ctid, where it was written.
    # Every UPDATE writes a new version in a new place (its own transaction's next ones too).
    columns = "".join(f", {_column(model, field)}" for field in carry)
    return f"SELECT id, xmin, ctid{columns} FROM {_table(model)} WHERE {condition}"  # noqa: S608


def _children(model, field: str, parents: str, carry: tuple[str, ...] = ()) -> str:
    """The rows of ``model`` whose ``field`` points to a row of ``parents``."""
    # = ANY(ARRAY(...)): one index scan for all the parents' ids (a quarter faster than IN here).
    return _rows(model, f"{_column(model, field)} = ANY(ARRAY(SELECT id FROM {parents}))", carry)  # noqa: S608


def _pointed(model, pointers: list[tuple[str, object, str]], carry: tuple[str, ...] = ()) -> str:
    """The rows of ``model`` that a row of each (``parents``, their model, ``field``) points to."""
    selects = " UNION ".join(
        f"SELECT {_column(parent, field)} FROM {parents}"  # noqa: S608
        for parents, parent, field in pointers
    )
    return _rows(model, f"id = ANY(ARRAY({selects}))", carry)


def _level_answers() -> str:
    """The answers (of the ``answer`` row set) to a survey of a kind whose answers' choices the build
    counts: the evaluation and follow-up (``reports.reads.LEVEL_KINDS``). A module survey's answers
    are many and their choices are never read; a survey's kind is in its own row, so a survey that
    changes kind changes the digest anyway."""
    kinds = ", ".join(f"'{kind}'" for kind in LEVEL_KINDS)  # the models' own values, not input
    return (
        f"(SELECT a.id FROM answer a JOIN response r ON r.id = a.{_column(Answer, 'response')}"  # noqa: S608
        f" JOIN survey s ON s.id = r.{_column(Response, 'survey')} WHERE s.{_column(Survey, 'kind')} IN ({kinds}))"
        " AS level_answer"
    )


def _sources() -> list[tuple[str, object, str]]:
    """(name of the row set, model, the statement selecting its rows), parents before children."""
    answer_choices = Answer.choices.through
    cycle_measures = ProjectPDSACycle.measures.through
    return [
        ("cohort", Cohort, _rows(Cohort, "id = %(cohort)s", carry=("programme", "commissioner"))),
        ("programme", Programme, _pointed(Programme, [("cohort", Cohort, "programme")], carry=("provider",))),
        (
            "organisation",
            Organisation,
            _pointed(Organisation, [("programme", Programme, "provider"), ("cohort", Cohort, "commissioner")]),
        ),
        ("report", ImpactReport, _children(ImpactReport, "cohort", "cohort")),
        ("key_impact", KeyImpact, _children(KeyImpact, "report", "report")),
        ("quote", QuoteSelection, _children(QuoteSelection, "cohort", "cohort")),
        ("module", Module, _children(Module, "cohort", "cohort")),
        ("module_cycle", PDSACycle, _children(PDSACycle, "module", "module")),
        ("act_item", ActItem, _children(ActItem, "cycle", "module_cycle")),
        ("membership", Membership, _children(Membership, "cohort", "cohort", carry=("person",))),
        ("person", Person, _pointed(Person, [("membership", Membership, "person")])),
        ("attendance", Attendance, _children(Attendance, "module", "module")),
        ("moment", PracticeMoment, _children(PracticeMoment, "membership", "membership")),
        ("survey", Survey, _children(Survey, "cohort", "cohort", carry=("question_set", "kind"))),
        ("question_set", QuestionSet, _pointed(QuestionSet, [("survey", Survey, "question_set")])),
        ("question", Question, _children(Question, "question_set", "question_set")),
        ("choice", Choice, _children(Choice, "question", "question")),
        ("invitation", Invitation, _children(Invitation, "survey", "survey")),
        ("response", Response, _children(Response, "survey", "survey", carry=("survey",))),
        ("answer", Answer, _children(Answer, "response", "response", carry=("response",))),
        # Only the evaluation and follow-up answers' choices: the build reads no other (reads._choice_counts).
        ("answer_choice", answer_choices, _children(answer_choices, "answer", _level_answers())),
        ("set", ActionLearningSet, _children(ActionLearningSet, "cohort", "cohort")),
        ("project", ImprovementProject, _children(ImprovementProject, "action_learning_set", "set")),
        ("measure", Measure, _children(Measure, "project", "project")),
        ("point", DataPoint, _children(DataPoint, "measure", "measure")),
        ("project_cycle", ProjectPDSACycle, _children(ProjectPDSACycle, "project", "project")),
        ("cycle_measure", cycle_measures, _children(cycle_measures, "projectpdsacycle", "project_cycle")),
    ]


def source_tables() -> set[str]:
    return {model._meta.db_table for _name, model, _ids in _sources()}


@functools.cache
def _digest_statement() -> str:
    """One statement: the ids and versions of the cohort's rows of each table (each table read once),
    counted and summed per table, then one SHA-256 of the counts and sums in table order."""
    sources = _sources()
    sets = ",\n".join(f"{name} AS MATERIALIZED ({ids})" for name, _model, ids in sources)
    # Each row's version hashed to 64 bits and summed: no sort, no long string (15% faster than an ordered
    # string_agg here). The ctid is hashed as it is (hashtidextended, PostgreSQL 14+), seeded with a hash
    # of the xmin seeded with the id: half the time of hashing a text made of the three, the statement's
    # slowest part on a big cohort. Ids, xmins and ctids are PostgreSQL's, so a change escapes only by a
    # 64-bit collision.
    versions = "coalesce(sum(hashtidextended(t.ctid, hashint8extended(t.xmin::text::bigint, t.id))), 0)"
    parts = ",\n".join(
        f"(SELECT '{name}:' || count(*) || ':' || {versions} FROM {name} t)"  # noqa: S608
        for name, _model, _ids in sources
    )
    return f"WITH {sets}\nSELECT encode(sha256(convert_to(concat_ws('|',\n{parts}), 'UTF8')), 'hex')"


def report_sources_digest(*, cohort_id: int) -> str | None:
    """A digest of every row the cohort's report is drawn from; None where the database cannot make one."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_digest_statement(), {"cohort": cohort_id})
        return cursor.fetchone()[0]
