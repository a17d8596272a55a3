"""Median and p95 of every facilitator and participant page on the scale data, next to a bare
signed-in view on the same stack (issue 14: every page within 5x the bare view's median).

Run (after ``manage.py bench_load``, see bench/README.md):
    .venv/bin/python bench/bench_pages.py [--rounds 20] [--only NAME]

gunicorn with 4 sync workers and production settings (bench/stack.py) serves the big cohort of the
scale data; one user at a time, one request at a time. Each round requests the bare view and then
every page once, so a change in the machine's load falls on the bare view and the pages alike. The
pages are found by walking the URLconf (bench/pages.py); query counts and sizes come from one more
request per page in this process (Django's test client, same settings and database).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack

AIM = 5.0  # issue 14: every page within 5x the bare signed-in view's median


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=4, help="untimed rounds first (each worker loads templates)")
    parser.add_argument("--only", default="", help="only pages whose URL name contains this")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    stack.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.client import get, proxy_headers
    from bench.pages import BigCohort, discover, session_for

    big = BigCohort.find()
    pages, skipped = discover(big)
    pages = [p for p in pages if args.only in p.name]
    users = {"facilitator": big.facilitator.person.user, "participant": big.participant.person.user}
    cookies = {role: f"sessionid={session_for(user)}" for role, user in users.items()}
    headers = {role: {**proxy_headers("127.0.0.2"), "Cookie": cookie} for role, cookie in cookies.items()}
    print(f"Big cohort: {big.cohort.name} (id {big.cohort.pk}), {big.cohort.memberships.count()} memberships")
    print(f"{len(pages)} page requests found in the URLconf; {stack.load_average()} at start")

    timings = {page: [] for page in pages}
    bare_timings, statuses, sizes = [], {}, {}
    with stack.Gunicorn(workers=args.workers) as server:
        for round_number in range(args.warmup + args.rounds):
            timed = round_number >= args.warmup
            reply = get(server.port, "/bench/bare/", headers=headers["facilitator"])
            assert reply.status == 200, reply.status
            assert b"Signed in as" in reply.body
            if timed:
                bare_timings.append(reply.seconds)
            for page in pages:
                if statuses.get(page, 200) != 200:
                    continue
                reply = get(server.port, page.url, headers=headers[page.role])
                statuses[page], sizes[page] = reply.status, len(reply.body)
                if timed:
                    timings[page].append(reply.seconds)
    load_after = stack.load_average()

    clients = {}
    for role, user in users.items():
        clients[role] = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
        clients[role].force_login(user)
    queries = {}
    for page in pages:
        if statuses[page] == 200:
            with CaptureQueriesContext(connection) as captured:
                clients[page.role].get(page.url)
            queries[page] = len(captured)

    bare = statistics.median(bare_timings)
    print(f"\nBare signed-in view: median {bare * 1000:.1f} ms, p95 {p95(bare_timings) * 1000:.1f} ms")
    print(f"{args.rounds} timed requests per page after {args.warmup} untimed rounds; {load_after} at end\n")
    print("| Page | Role | Median | p95 | x bare | Queries | KB |")
    print("|---|---|---|---|---|---|---|")
    over, measured = [], []
    for page in pages:
        if statuses[page] != 200:
            continue
        median = statistics.median(timings[page])
        ratio = median / bare
        measured.append((ratio, page, median))
        if ratio > AIM:
            over.append((ratio, page, median))
        print(
            f"| {page.name} | {page.role} | {median * 1000:.0f} ms | {p95(timings[page]) * 1000:.0f} ms | "
            f"{ratio:.1f} | {queries[page]} | {sizes[page] / 1024:.0f} |"
        )
    others = [(page, status) for page, status in statuses.items() if status != 200]
    if others:
        print("\nNot a page for that role (status of the first request, not timed):")
        for page, status in others:
            print(f"  {page.name} as {page.role}: {status}")
    for item in skipped:
        print(f"  skipped {item.name}: {item.reason}")
    worst = max(measured, key=lambda item: item[0])
    print(
        f"\n{len(measured)} pages measured; slowest: {worst[1].name} ({worst[1].role}) {worst[2] * 1000:.0f} ms, "
        f"{worst[0]:.1f}x the bare view"
    )
    print(f"aim (within {AIM:g}x the bare view): {len(measured) - len(over)} of {len(measured)} pages meet it")
    for ratio, page, median in sorted(over, key=lambda item: item[0], reverse=True):
        print(f"  over: {page.name} ({page.role}) {median * 1000:.0f} ms = {ratio:.1f}x, {ratio / AIM:.1f}x the aim")
    print(f"finished {time.strftime('%Y-%m-%d %H:%M %Z')}")


if __name__ == "__main__":
    main()
