"""Where the time goes: pyinstrument over survey submit journeys or over one page, in this process.

Run (after ``manage.py bench_load``):
    .venv/bin/python bench/bench_profile.py submit [--journeys 30]
    .venv/bin/python bench/bench_profile.py page surveys:survey_results [--role facilitator] [--requests 10]

The requests go through Django's whole handler and middleware (test client, bench settings, the scale
data), not through gunicorn, so the profile shows the app's own work. A submit journey is the one
bench_submit.py makes (the link with the form, the POST with the thank-you page) with a freshly
issued link; the run is undone afterwards. Prints the time of each step, pyinstrument's call tree
and its flattest view (self time).

pyinstrument samples wall-clock time, which a busy shared machine inflates; ``--cpu`` profiles with
cProfile on CPU time instead (``time.process_time``) and prints the functions with the most CPU
time, per request or journey, which stays comparable whatever the load.
"""

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack

APPS = ("common/", "cohorts/", "modules/", "surveys/", "projects/", "evaluation/", "reports/", "accounts/")


class CPUProfiler:
    """cProfile on CPU time, started and stopped like pyinstrument's profiler."""

    def __init__(self):
        self.profile = cProfile.Profile(time.process_time)

    def start(self):
        self.profile.enable()

    def stop(self):
        self.profile.disable()

    def report(self, top: int, repeats: int) -> None:
        stats = pstats.Stats(self.profile)
        total = stats.total_tt
        print(f"\nCPU time under cProfile (its own overhead included): {total * 1000 / repeats:.1f} ms each")
        rows = []
        for (filename, line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():
            rows.append((cumtime, tottime, f"{_short(filename)}:{line} {name}"))
        print(f"Top {top} by CPU time including callees (ms per journey or request; self in brackets):")
        for cumtime, tottime, where in sorted(rows, reverse=True)[:top]:
            print(f"  {cumtime * 1000 / repeats:8.2f} ({tottime * 1000 / repeats:6.2f})  {where}")
        own = [row for row in rows if row[2].startswith(APPS)]
        print(f"Top {top} of the project's own functions (same columns):")
        for cumtime, tottime, where in sorted(own, reverse=True)[:top]:
            print(f"  {cumtime * 1000 / repeats:8.2f} ({tottime * 1000 / repeats:6.2f})  {where}")


def _short(filename: str) -> str:
    for marker in ("/site-packages/", str(stack.ROOT) + "/"):
        if marker in filename:
            return ("/site-packages/" if marker == "/site-packages/" else "") + filename.split(marker, 1)[1]
    return filename


def _client():
    from django.test import Client

    return Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="127.0.0.9")


def profile_submit(args, profiler):
    from bench.bench_submit import ANSWERS, client_address, count_and_undo, issue_tokens

    tokens = issue_tokens(args.journeys + 3)
    token_list = list(tokens)
    steps = {"link": [], "submit": []}
    acknowledged = []
    # As a browser sends the answers (bench_submit.py): form-encoded, not the test client's multipart.
    body = urlencode(ANSWERS)
    try:
        # One client (one handler, as in a gunicorn worker: WhiteNoise scans the static files when
        # the middleware is built), its cookies cleared between participants, each from an address
        # of their own (the link's rate limit counts per address).
        client = _client()
        for n, token in enumerate(token_list):
            client.cookies.clear()
            address = client_address(n)
            measured = n >= 3  # the first journeys load templates and code
            if measured:
                profiler.start()
            timings = []
            for label, call in (
                ("link", lambda c=client, t=token, a=address: c.get(f"/s/{t}/", HTTP_X_FORWARDED_FOR=a)),
                (
                    "submit",
                    lambda c=client: c.post(
                        "/s/answer/",
                        body,
                        content_type="application/x-www-form-urlencoded",
                        HTTP_SEC_FETCH_SITE="same-origin",
                    ),
                ),
            ):
                started = time.perf_counter()
                response = call()
                timings.append((label, time.perf_counter() - started, response.status_code))
            if measured:
                profiler.stop()
                for label, seconds, _status in timings:
                    steps[label].append(seconds)
            statuses = [status for _label, _seconds, status in timings]
            assert statuses == [200, 200], statuses
            acknowledged.append(token)
    finally:
        count_and_undo(tokens, acknowledged, token_list, [], 0)
    total = sum(statistics.median(v) for v in steps.values())
    print(f"\n{args.journeys} submit journeys profiled; median per step (in-process, no gunicorn):")
    for label, values in steps.items():
        print(f"  {label:<13} {statistics.median(values) * 1000:6.1f} ms")
    print(f"  {'journey':<13} {total * 1000:6.1f} ms")


def profile_page(args, profiler):
    from bench.pages import BigCohort, discover

    big = BigCohort.find()
    pages, _skipped = discover(big)
    page = next((p for p in pages if p.name == args.name and p.role == args.role), None)
    if page is None:
        raise SystemExit(f"no page {args.name} for {args.role}")
    client = _client()
    client.force_login((big.facilitator if args.role == "facilitator" else big.participant).person.user)
    for _ in range(2):
        assert client.get(page.url).status_code == 200
    times = []
    profiler.start()
    for _ in range(args.requests):
        started = time.perf_counter()
        response = client.get(page.url)
        if response.streaming:  # a download: its rows are made while the body is read
            b"".join(response.streaming_content)
        times.append(time.perf_counter() - started)
    profiler.stop()
    print(f"\n{page.name} as {page.role} ({page.url}): median {statistics.median(times) * 1000:.0f} ms in-process")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    submit = sub.add_parser("submit")
    submit.add_argument("--journeys", type=int, default=30)
    page = sub.add_parser("page")
    page.add_argument("name")
    page.add_argument("--role", default="facilitator")
    page.add_argument("--requests", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.0005, help="sampling interval (s)")
    parser.add_argument("--top", type=int, default=25, help="lines of the flat (self-time) view")
    parser.add_argument("--cpu", action="store_true", help="cProfile on CPU time instead of pyinstrument")
    args = parser.parse_args()

    stack.setup()
    stack.ensure_static()
    print(stack.load_average())
    if args.cpu:
        profiler = CPUProfiler()
        (profile_submit if args.what == "submit" else profile_page)(args, profiler)
        profiler.report(args.top, args.journeys if args.what == "submit" else args.requests)
        return
    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer

    profiler = Profiler(interval=args.interval)
    (profile_submit if args.what == "submit" else profile_page)(args, profiler)
    session = profiler.last_session
    print(
        ConsoleRenderer(unicode=True, color=False, short_mode=True, show_all=False, time="percent_of_total").render(
            session
        )
    )
    flat = ConsoleRenderer(unicode=True, color=False, flat=True, time="seconds").render(session)
    print("Self time, top functions (seconds over all profiled requests):")
    print("\n".join(flat.splitlines()[: args.top + 8]))


if __name__ == "__main__":
    main()
