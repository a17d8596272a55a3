"""CSV and XLSX exports of a survey with 10,000 and 100,000 responses: time, peak memory, and the
floor, PostgreSQL's own ``COPY (SELECT ...) TO STDOUT`` for the same rows (issue 14: CSV within 3x it).

Run: .venv/bin/python bench/bench_export.py [--responses 10000 100000] [--repeat 3] [--rebuild]

The surveys live in their own database, lc_bench_export (created, migrated and filled on the first
run: closed pseudonymous surveys of the default question set, 8 answers per response), so that the
scale data of the other benchmarks keeps its counts. Each export is downloaded over HTTP from gunicorn
(production settings, bench/stack.py) with ONE worker, so that the worker's memory is the export's:
its peak resident size (VmHWM) before and after each download is printed. Python's own peak during
the same export, in this process under tracemalloc, is printed too. The floor is a SELECT giving the
same columns (pseudonym, one value per question, choices joined by "; ", formula prefixes neutralised)
in the same order, streamed by ``COPY ... TO STDOUT`` to this process; its rows are compared with the
app's CSV, so the two times are for the same output.
"""

import argparse
import csv
import io
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack

EXPORT_DATABASE = "postgres://postgres@127.0.0.1:5432/lc_bench_export"
AIM = 3.0  # issue 14: CSV of 100,000 responses within 3x COPY


def ensure_database(url: str, rebuild: bool) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def floor_sql(survey, questions) -> str:
    """One CSV row per response, as exports.rows() makes it, computed by PostgreSQL alone."""
    columns = []
    for question in questions:
        columns.append(f"max(value) FILTER (WHERE question_id = {int(question.pk)})")
    neutral = "CASE WHEN v ~ '^[=+@\\t\\r-]' THEN '''' || v ELSE v END"
    # Only integer ids are formatted into the SQL.
    return f"""
        WITH value AS (
            SELECT a.response_id, a.question_id,
                   COALESCE(string_agg(c.label, '; ' ORDER BY c."order", c.id), a.number::text, a.text) AS v
            FROM surveys_answer a
            JOIN surveys_response r ON r.id = a.response_id AND r.survey_id = {int(survey.pk)}
            LEFT JOIN surveys_answer_choices ac ON ac.answer_id = a.id
            LEFT JOIN surveys_choice c ON c.id = ac.choice_id
            GROUP BY a.id
        ), neutral AS (
            SELECT response_id, question_id, {neutral} AS value FROM value
        )
        SELECT left(r.pseudonym, 12), {", ".join(columns)}
        FROM surveys_response r LEFT JOIN neutral ON neutral.response_id = r.id
        WHERE r.survey_id = {int(survey.pk)}
        GROUP BY r.id ORDER BY r.pseudonym, r.id
    """  # noqa: S608


def copy_floor(survey, questions):
    """(seconds, bytes, CSV text) of COPY (SELECT ...) TO STDOUT, read to the end by this process."""
    from django.db import connection

    sql = f"COPY ({floor_sql(survey, questions)}) TO STDOUT WITH (FORMAT csv)"
    started = time.perf_counter()
    chunks = []
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for data in copy:
            chunks.append(bytes(data))
    elapsed = time.perf_counter() - started
    body = b"".join(chunks)
    return elapsed, len(body), body.decode()


def python_peak(function) -> float:
    """Peak Python allocation (MB) while ``function`` runs, under tracemalloc."""
    tracemalloc.start()
    function()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="downloads of each export; the median is printed")
    parser.add_argument("--rebuild", action="store_true", help="drop and fill lc_bench_export again")
    parser.add_argument("--database-url", default=EXPORT_DATABASE)
    args = parser.parse_args()

    ensure_database(args.database_url, args.rebuild)
    stack.setup(args.database_url)
    from django.core.management import call_command

    from bench.client import get, proxy_headers
    from bench.export_data import export_survey
    from bench.pages import session_for
    from surveys import exports

    call_command("migrate", verbosity=0)
    surveys, headers = {}, {}
    for n in args.responses:
        started = time.perf_counter()
        surveys[n], facilitator, built = export_survey(n)
        headers[n] = {**proxy_headers("127.0.0.2"), "Cookie": f"sessionid={session_for(facilitator)}"}
        if built:
            print(f"Built a survey with {n:,} responses (8 answers each) in {time.perf_counter() - started:.1f} s")
    print(f"{stack.load_average()} at start")

    # Imports and first-use caches (openpyxl's modules, translations) would count as the first
    # export's memory: warm them on a one-row workbook before anything is measured.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    workbook.create_sheet().append(["warm"])
    workbook.save(io.BytesIO())
    results = []
    with stack.Gunicorn(workers=1, database_url=args.database_url) as server:
        worker = server.workers[0]
        for n, survey in surveys.items():
            questions = list(survey.question_set.questions.order_by("order", "id"))
            base = f"/cohorts/{survey.module.cohort_id}/surveys/{survey.module.number}/export."
            for fmt in ("csv", "xlsx"):
                times, hwm = [], []
                for _ in range(args.repeat):
                    before = stack.memory_kb(worker)
                    reply = get(server.port, base + fmt, headers=headers[n])
                    assert reply.status == 200, (fmt, reply.status)
                    times.append(reply.seconds)
                    after = stack.memory_kb(worker)
                    hwm.append((before["VmHWM"], after["VmHWM"], after["VmRSS"]))
                body = reply.body
                if fmt == "csv":
                    app_rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
                    make = exports.csv_response
                else:
                    app_rows = None
                    make = exports.xlsx_response

                def stream(make=make, survey=survey):
                    response = make(survey)
                    for _chunk in response.streaming_content:
                        pass
                    response.close()

                peak = python_peak(stream)
                seconds = statistics.median(times)
                results.append((n, fmt, seconds, min(times), len(body), hwm, peak))
                print(
                    f"{fmt.upper():<4} {n:>7,} responses over HTTP: median {seconds:6.2f} s (best {min(times):.2f}, "
                    f"{args.repeat} downloads), {len(body) / 1e6:6.2f} MB; worker peak RSS "
                    f"{hwm[0][0] / 1024:.0f} -> {hwm[-1][1] / 1024:.0f} MB; Python peak {peak:.1f} MB"
                )
                if fmt == "csv":
                    floors = []
                    for _ in range(args.repeat):
                        floor_seconds, floor_bytes, floor_text = copy_floor(survey, questions)
                        floors.append(floor_seconds)
                    floor_rows = list(csv.reader(io.StringIO(floor_text)))
                    same = floor_rows == app_rows
                    floor = statistics.median(floors)
                    results.append((n, "copy", floor, min(floors), floor_bytes, None, None))
                    print(
                        f"COPY {n:>7,} responses, the floor:  median {floor:6.2f} s (best {min(floors):.2f}), "
                        f"{floor_bytes / 1e6:6.2f} MB; same rows as the app's CSV: {'yes' if same else 'NO'}"
                        f" ({len(floor_rows):,} rows)"
                    )
                    ratio = seconds / floor
                    verdict = "met" if ratio <= AIM else f"missed by {ratio / AIM:.1f}x"
                    print(f"     CSV / COPY = {ratio:.1f} (aim: at most {AIM:g}; {verdict})")
    print(f"{stack.load_average()} at end; finished {time.strftime('%Y-%m-%d %H:%M %Z')}")


if __name__ == "__main__":
    main()
