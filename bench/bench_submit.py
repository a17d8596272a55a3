"""Survey submits under load: 50 simulated participants at once for 60 s, each doing the whole
journey a browser does, next to a bare one-INSERT view on the same stack under the same load
(issue 14: at least half the bare view's throughput, no errors, nothing lost or duplicated).

Run (after ``manage.py bench_load``, see bench/README.md):
    .venv/bin/python bench/bench_submit.py [--users 50] [--duration 60]

The app's journey, per participant, as a browser makes it: open the link ``/s/<token>/`` (the form,
200, and the token cookie), POST the 8 answers to ``/s/answer/`` (the thank-you page, 200). Each
journey is another participant: a link issued by ``surveys.services.invitation_issue_token`` for an
unanswered invitation of an open (pseudonymous) survey in the scale data, and its own client address
(``X-Forwarded-For``, as the TLS proxy writes it). The bare journey: GET a small form, POST it (one
INSERT into ``bench_benchrow``, a short page): the same two requests, without the app's work.

The two kinds take turns (``--rounds`` slices of ``--duration``/rounds seconds each, bare first), so
that a machine whose speed drifts during the run weighs on both alike; the ratio of each round is
printed too. After each round the rows are counted: every acknowledged submit must have exactly one
response with 8 answers, and every acknowledged bare POST one row. Then the round is undone
(responses, links and bench rows deleted, invitations unmarked), so that the next round, and the next
run, start from the same data: the scale data holds about 6,000 unanswered invitations to open
surveys, fewer than a minute of journeys.
"""

import argparse
import asyncio
import dataclasses
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack

STATE = stack.VAR / "bench-submit-state.json"
ANSWERS = [
    ("q_usefulness", "4"),
    ("q_confidence", "5"),
    ("q_pace", "About right"),
    ("q_most_useful", "Small-group work"),
    ("q_most_useful", "Time to reflect"),
    ("q_went_well", "Time away from the ward to think about how our team works together."),
    ("q_improve", "More time for the action-learning set, please."),
    ("q_recommend", "9"),
    ("q_anything_else", "Thank you."),
]
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
ANSWER_COUNT = len({name for name, _value in ANSWERS})  # 8 questions answered
BROWSER = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 14) bench_submit",
    "Accept": "text/html,application/xhtml+xml",
    "Accept-Language": "en-GB,en;q=0.9",
}


def client_address(n: int) -> str:
    """A different loopback address per journey: each participant counts against rate limits alone."""
    return f"127.{1 + n // 65025 % 254}.{n // 255 % 255}.{1 + n % 254}"


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1)]


class Failure(Exception):
    pass


def _expect(reply, status, what):
    if reply.status != status:
        raise Failure(f"{what}: {reply.status}")


async def app_journey(port, token, n):
    from bench.client import arequest, proxy_headers

    base = {**proxy_headers(client_address(n)), **BROWSER}
    form = await arequest(port, "GET", f"/s/{token}/", headers={**base, "Sec-Fetch-Site": "none"})
    _expect(form, 200, "link")
    if b'name="q_usefulness"' not in form.body:
        raise Failure("link: no questions")
    # As a browser does: the form's hidden CSRF token and the cookies the link set (the survey token,
    # the CSRF cookie), and a real Origin (the link page's Referrer-Policy is strict-origin).
    csrf = CSRF_FIELD.search(form.body)
    if csrf is None:
        raise Failure("link: no CSRF token")
    cookie = {"Cookie": "; ".join(f"{k}={v}" for k, v in form.cookies.items())}
    body = urlencode([("csrfmiddlewaretoken", csrf.group(1).decode()), *ANSWERS]).encode()
    post_headers = {
        **base,
        **cookie,
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"https://{base['Host']}",
        "Sec-Fetch-Site": "same-origin",
    }
    posted = await arequest(port, "POST", "/s/answer/", headers=post_headers, body=body)
    _expect(posted, 200, "submit")
    if b"your answers are saved" not in posted.body:
        raise Failure("submit: no thank-you page")
    return [form.seconds, posted.seconds]


async def bare_journey(port, _token, n):
    from bench.client import arequest, proxy_headers

    base = {**proxy_headers(client_address(n)), **BROWSER}
    form = await arequest(port, "GET", "/bench/bare-form/", headers=base)
    _expect(form, 200, "form")
    body = urlencode({"answer": "About right"}).encode()
    posted = await arequest(
        port,
        "POST",
        "/bench/bare-form/",
        headers={**base, "Content-Type": "application/x-www-form-urlencoded"},
        body=body,
    )
    _expect(posted, 200, "submit")
    return [form.seconds, posted.seconds]


async def drive(journey, port, tokens, *, users, duration, first_n):
    """``users`` participants doing journeys back to back until ``duration`` has passed."""
    results, errors, acknowledged, attempted = [], Counter(), [], []
    pool = iter(tokens)
    counter = iter(range(first_n, first_n + 10_000_000))
    started = time.perf_counter()
    deadline = started + duration
    exhausted = False

    async def user():
        nonlocal exhausted
        while time.perf_counter() < deadline:
            token = next(pool, None)
            if token is None:
                exhausted = True
                return
            attempted.append(token)
            begun = time.perf_counter()
            try:
                steps = await asyncio.wait_for(journey(port, token, next(counter)), 120)
            except Failure as failure:
                errors[str(failure)] += 1
                continue
            except (TimeoutError, OSError, ConnectionError) as error:
                errors[type(error).__name__] += 1
                continue
            results.append((time.perf_counter() - begun, steps))
            acknowledged.append(token)

    await asyncio.gather(*(user() for _ in range(users)))
    return results, errors, acknowledged, attempted, time.perf_counter() - started, exhausted


@dataclasses.dataclass
class Phase:
    """What one kind of journey did while it ran (one slice, or the slices of a run added up)."""

    results: list = dataclasses.field(default_factory=list)  # (seconds, [seconds per request])
    errors: Counter = dataclasses.field(default_factory=Counter)
    acknowledged: list = dataclasses.field(default_factory=list)
    attempted: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0
    database_cpu: float = 0.0
    client_cpu: float = 0.0
    exhausted: bool = False

    def __add__(self, other: "Phase") -> "Phase":
        return Phase(
            self.results + other.results,
            self.errors + other.errors,
            self.acknowledged + other.acknowledged,
            self.attempted + other.attempted,
            self.seconds + other.seconds,
            self.server_cpu + other.server_cpu,
            self.database_cpu + other.database_cpu,
            self.client_cpu + other.client_cpu,
            self.exhausted or other.exhausted,
        )

    def figures(self) -> dict:
        latencies = [total for total, _steps in self.results]
        n = len(latencies)
        return {
            "journeys": n,
            "seconds": self.seconds,
            "per_second": n / self.seconds if self.seconds else 0.0,
            "p50_ms": statistics.median(latencies) * 1000 if n else None,
            "p95_ms": p95(latencies) * 1000 if n else None,
            "errors": sum(self.errors.values()),
            "server_cpu_ms": self.server_cpu * 1000 / max(n, 1),
            "client_cpu_ms": self.client_cpu * 1000 / max(n, 1),
            "database_cpu_ms": self.database_cpu * 1000 / max(n, 1),
            "exhausted": self.exhausted,
        }


def run_phase(label, journey, server, tokens, users, duration, first_n) -> Phase:
    print(f"\n{label}: {users} users for {duration:g} s; {stack.load_average()}")
    cpu_before, client_before = stack.cpu_seconds(server.workers), time.process_time()
    database_before = postgres_cpu_seconds()
    results, errors, acknowledged, attempted, elapsed, exhausted = asyncio.run(
        drive(journey, server.port, tokens, users=users, duration=duration, first_n=first_n)
    )
    phase = Phase(
        results,
        errors,
        acknowledged,
        attempted,
        elapsed,
        stack.cpu_seconds(server.workers) - cpu_before,
        postgres_cpu_seconds() - database_before,
        time.process_time() - client_before,
        exhausted,
    )
    report(phase)
    return phase


def report(phase: Phase) -> dict:
    figures = phase.figures()
    print(
        f"  {figures['journeys']} journeys in {phase.seconds:.1f} s = {figures['per_second']:.1f}/s; "
        f"journey p50 {figures['p50_ms'] or 0:.0f} ms, p95 {figures['p95_ms'] or 0:.0f} ms; "
        f"errors {figures['errors']} {dict(phase.errors) or ''}"
    )
    if phase.results:
        steps = list(zip(*(s for _t, s in phase.results), strict=True))
        print("  per request p50: " + ", ".join(f"{statistics.median(s) * 1000:.0f} ms" for s in steps))
    print(
        f"  gunicorn workers' CPU {figures['server_cpu_ms']:.1f} ms per journey; PostgreSQL's "
        f"{figures['database_cpu_ms']:.1f} ms; this client's {figures['client_cpu_ms']:.1f} ms"
    )
    if phase.exhausted:
        print("  WARNING: the links ran out before the time was up: raise --tokens (throughput is still per second)")
    return figures


def postgres_cpu_seconds() -> float:
    """CPU used so far by PostgreSQL: its server process with the connections that have ended (a
    worker's connection is closed after CONN_MAX_AGE; the server reaps it), and those still open
    (the workers', the WAL writer...), but this script's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()")
        pids = [pid for (pid,) in cursor.fetchall()]
    ticks = os.sysconf("SC_CLK_TCK")
    fields = Path(f"/proc/{pids[0]}/stat").read_text().rsplit(")", 1)[1].split()
    server = Path(f"/proc/{fields[1]}/stat").read_text().rsplit(")", 1)[1].split()
    reaped = sum(int(value) for value in server[11:15]) / ticks  # its own and its ended children's
    return reaped + stack.cpu_seconds(pids)


# Data: links issued before the run, rows counted and removed after it ----------------------------------


def issue_tokens(limit):
    from django.db import transaction
    from django.utils import timezone

    from surveys.models import Invitation, Survey
    from surveys.services import invitation_issue_token

    invitations = list(
        Invitation.objects.filter(
            survey__status=Survey.Status.OPEN,
            survey__privacy=Survey.Privacy.PSEUDONYMOUS,
            survey__closes_at__gt=timezone.now() + timezone.timedelta(minutes=30),
            responded_at__isnull=True,
            status=Invitation.Status.SENT,
            membership__status="active",
        ).order_by("pk")[:limit]
    )
    tokens = {}
    with transaction.atomic():
        for invitation in invitations:
            tokens[invitation_issue_token(invitation=invitation)] = invitation.pk
    return tokens


def count_and_undo(tokens_to_invitation, acknowledged, attempted, bare_acknowledged, bare_rows_before):
    """(lost, duplicated, answers wrong, bare lost, bare duplicated), then the run's rows removed."""
    from django.db import transaction
    from django.db.models import Count

    from bench.models import BenchRow
    from surveys.models import Answer, Invitation, InvitationLink, Response
    from surveys.tokens import pseudonym_for, token_hash

    used = [tokens_to_invitation[t] for t in attempted]
    invitations = {i.pk: i for i in Invitation.objects.filter(pk__in=used)}
    keys = {pk: (i.survey_id, pseudonym_for(i.membership_id)) for pk, i in invitations.items()}
    responses = Response.objects.filter(
        survey_id__in={s for s, _p in keys.values()}, pseudonym__in={p for _s, p in keys.values()}
    )
    found = Counter((r.survey_id, r.pseudonym) for r in responses.only("survey_id", "pseudonym"))
    expected = {keys[tokens_to_invitation[t]] for t in acknowledged}
    lost = sum(1 for key in expected if found[key] == 0)
    duplicated = sum(n - 1 for n in found.values() if n > 1)
    answer_counts = Counter(
        Answer.objects.filter(response__in=responses)
        .values("response_id")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    wrong_answers = sum(n for count, n in answer_counts.items() if count != ANSWER_COUNT)
    marked = Invitation.objects.filter(
        pk__in=[tokens_to_invitation[t] for t in acknowledged], responded_at__isnull=False
    )
    unmarked = len(acknowledged) - marked.count()
    bare_added = BenchRow.objects.count() - bare_rows_before
    bare_lost = max(0, len(bare_acknowledged) - bare_added)
    print(
        f"\nRows afterwards: {len(acknowledged)} submits acknowledged, {sum(found.values())} responses found for the "
        f"{len(attempted)} links used; lost {lost}, duplicated {duplicated}, responses without exactly {ANSWER_COUNT} "
        f"answers {wrong_answers}, acknowledged but invitation not marked answered {unmarked}"
    )
    print(
        f"Bare rows: {len(bare_acknowledged)} POSTs acknowledged, {bare_added} rows added; lost {bare_lost}, "
        f"extra {max(0, bare_added - len(bare_acknowledged))}"
    )
    with transaction.atomic():
        responses.delete()
        Invitation.objects.filter(pk__in=used).update(responded_at=None)
        InvitationLink.objects.filter(token_hash__in=[token_hash(t) for t in tokens_to_invitation]).delete()
        BenchRow.objects.all().delete()
    return lost, duplicated, wrong_answers, bare_lost


def tidy_up():
    """The undone rows' dead versions vacuumed away and the tables' statistics renewed: measured after
    a run, the survey results page took twice its time until autovacuum had caught up."""
    from django.db import connection

    from bench.models import BenchRow
    from surveys.models import Answer, Invitation, InvitationLink, Response

    models = (Response, Answer, Answer.choices.through, Invitation, InvitationLink, BenchRow)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    print(f"Vacuumed and analysed the {len(models)} tables the run wrote to in {time.perf_counter() - started:.1f} s")


def undo_previous_run():
    """A run that was interrupted left its links and responses: remove them first."""
    if not STATE.exists():
        return
    tokens = json.loads(STATE.read_text())
    count_and_undo(tokens, [], list(tokens), [], 0)
    STATE.unlink()
    print("(undid an interrupted earlier run)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--tokens", type=int, default=12_000, help="links issued for each round (one per journey)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=5, help="seconds of untimed journeys of each kind first")
    parser.add_argument(
        "--rounds", type=int, default=3, help="slices each kind's --duration is run in, taking turns with the other"
    )
    args = parser.parse_args()

    stack.setup()
    from bench.models import BenchRow

    stack.VAR.mkdir(exist_ok=True)
    undo_previous_run()
    runs = {"bare": Phase(), "app": Phase()}
    slices = []  # the ratio in each round
    checked = Counter()  # lost, duplicated, wrong answers, bare lost: over every round

    def links(limit):
        """Links for ``limit`` unanswered invitations, written down in case the run is interrupted."""
        started = time.perf_counter()
        tokens = issue_tokens(limit)
        STATE.write_text(json.dumps(tokens))
        print(f"Issued {len(tokens)} links through invitation_issue_token in {time.perf_counter() - started:.1f} s")
        return tokens

    def check_and_undo(tokens, app_phase, bare_phase):
        """The rows the journeys left, counted; then removed, so that the invitations can be answered
        again in the next round (the scale data has about 6,000 unanswered ones on open surveys)."""
        found = count_and_undo(tokens, app_phase.acknowledged, app_phase.attempted, bare_phase.acknowledged, 0)
        checked.update(dict(zip(("lost", "duplicated", "wrong", "bare_lost"), found, strict=True)))
        STATE.unlink(missing_ok=True)

    BenchRow.objects.all().delete()
    with stack.Gunicorn(workers=args.workers) as server:
        print("\nWarm-up (not counted in the figures, counted in the rows):")
        warm_users = min(args.users, 8)
        tokens = links(args.tokens // 20)
        warm_app = warm_bare = Phase()
        try:
            warm_app = run_phase("  app", app_journey, server, list(tokens), warm_users, args.warmup, 0)
            warm_bare = run_phase("  bare", bare_journey, server, iter(int, 1), warm_users, args.warmup, 0)
        finally:
            check_and_undo(tokens, warm_app, warm_bare)
        # Side by side: the two kinds take turns in slices, so that a machine that speeds up or
        # slows down during the run (another tenant, the CPU's clock) weighs on both alike.
        slice_seconds = args.duration / args.rounds
        for turn in range(args.rounds):
            first_n = 100_000 + turn * 20_000
            label = f"round {turn + 1} of {args.rounds}"
            each = (args.users, slice_seconds, first_n)
            tokens = links(args.tokens)
            bare_slice = app_slice = Phase()
            try:
                bare_slice = run_phase(f"Bare one-INSERT view, {label}", bare_journey, server, iter(int, 1), *each)
                app_slice = run_phase(f"This app, the whole journey, {label}", app_journey, server, list(tokens), *each)
            finally:
                check_and_undo(tokens, app_slice, bare_slice)
            runs["bare"] += bare_slice
            runs["app"] += app_slice
            if app_slice.results:
                slices.append(app_slice.figures()["per_second"] / bare_slice.figures()["per_second"])
    lost, duplicated, wrong, bare_lost = (checked[name] for name in ("lost", "duplicated", "wrong", "bare_lost"))
    tidy_up()
    print("\nThe whole run, each kind's slices added up:")
    print("Bare one-INSERT view:")
    bare = report(runs["bare"])
    print("This app, the whole journey:")
    app = report(runs["app"])
    ratio = app["per_second"] / bare["per_second"]
    print("\n| | journeys/s | p50 | p95 | errors | lost | duplicated | CPU per journey: workers, PostgreSQL |")
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| bare one-INSERT view (GET form, POST) | {bare['per_second']:.1f} | {bare['p50_ms']:.0f} ms | "
        f"{bare['p95_ms']:.0f} ms | {bare['errors']} | {bare_lost} | 0 | {bare['server_cpu_ms']:.1f} ms, "
        f"{bare['database_cpu_ms']:.1f} ms |"
    )
    print(
        f"| this app (link with the form, POST with the thank-you page) | {app['per_second']:.1f} | "
        f"{app['p50_ms']:.0f} ms | {app['p95_ms']:.0f} ms | {app['errors']} | {lost} | {duplicated} | "
        f"{app['server_cpu_ms']:.1f} ms, {app['database_cpu_ms']:.1f} ms |"
    )
    print(
        f"\nratio app / bare throughput {ratio:.3f} (aim: at least 0.5; "
        + ("met" if ratio >= 0.5 else f"missed: {0.5 / ratio:.1f}x short")
        + "); in each round: "
        + ", ".join(f"{r:.3f}" for r in slices)
    )
    print(f"responses with the wrong number of answers: {wrong}; {stack.load_average()} at end")
    print(f"finished {time.strftime('%Y-%m-%d %H:%M %Z')}")


if __name__ == "__main__":
    main()
