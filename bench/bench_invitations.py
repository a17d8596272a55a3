"""Invitations per second through the real pipeline, next to a plain smtplib loop.

Pipeline: open a survey for 1,000 participants (rows recorded, tasks published after commit),
a Celery worker process takes the tasks from Redis, renders each personalised message, issues
its link, sends it over SMTP and records it. Timed from opening the survey to the last message
arriving at a local aiosmtpd server.

Baselines: the same 1,000 messages sent by one smtplib connection in a loop to the same server,
(a) rendered beforehand (pure SMTP cost) and (b) rendered in the loop (what a script without
any outbox, broker or bookkeeping would do). --server-latency-ms makes the server wait before
accepting each message, as a relay that writes its queue to disk or sits across a network does.

Run: .venv/bin/python bench/bench_invitations.py [--participants 1000] [--concurrency 2]
Needs PostgreSQL (a worker in another process must see the data; the database lc_bench_mail is
created afresh, or give --database-url) and Redis (REDIS_URL, default db 15).
"""

import argparse
import os
import smtplib
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--participants", type=int, default=1000)
parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
parser.add_argument(
    "--server-latency-ms",
    type=float,
    default=0.0,
    help="delay before the SMTP server accepts each message (a relay writing its queue to disk; 0 = none)",
)
parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/lc_bench_mail")
parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))
args = parser.parse_args()

os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
os.environ["DATABASE_URL"] = args.database_url
os.environ["CELERY_BROKER_URL"] = args.redis_url
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "False"
os.environ["EMAIL_BACKEND"] = "common.mail.SMTPEmailBackend"  # production's (config/settings/base.py)


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


recreate_database(args.database_url)

from tests.acceptance.smtp import SMTPServer  # noqa: E402

smtp = SMTPServer(latency=args.server_latency_ms / 1000).start()
os.environ["EMAIL_HOST"], os.environ["EMAIL_PORT"] = smtp.host, str(smtp.port)

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from cohorts.models import Cohort, Membership, Organisation, Person, Programme  # noqa: E402
from modules.models import Module  # noqa: E402
from surveys import services  # noqa: E402
from surveys.models import Invitation  # noqa: E402
from surveys.tokens import token_new  # noqa: E402


def build(n: int) -> Module:
    provider = Organisation.objects.create(name="Northfield Leadership Academy", kind="provider")
    commissioner = Organisation.objects.create(name="Riverside Health Partnership", kind="commissioner")
    programme = Programme.objects.create(name="Leading Teams", provider=provider)
    cohort = Cohort.objects.create(
        programme=programme, commissioner=commissioner, name="Benchmark cohort", start_date=timezone.localdate()
    )
    now = timezone.now()
    module = Module.objects.create(
        cohort=cohort,
        number=4,
        title="Leading through change",
        starts_at=now - timezone.timedelta(hours=8),
        ends_at=now - timezone.timedelta(hours=1),
    )
    people = Person.objects.bulk_create(
        Person(full_name=f"Participant {i:04d}", email=f"participant{i:04d}@trust.example") for i in range(n)
    )
    Membership.objects.bulk_create(Membership(cohort=cohort, person=person) for person in people)
    return module


def invitations_for_baseline(module: Module) -> list[Invitation]:
    """The invitations the pipeline will send (made in a transaction that is then rolled back)."""
    with transaction.atomic():
        survey = services.survey_open_for_module(module=module)
        invitations = list(survey.invitations.select_related("survey__module__cohort", "membership__person"))
        transaction.set_rollback(True)
    return invitations


def plain_loop(invitations, *, prerendered: bool) -> float:
    """One smtplib connection sending each personalised message; rendering timed or not."""
    from django.conf import settings

    rendered = []
    if prerendered:
        for invitation in invitations:
            message = services.invitation_message(invitation, token_new())
            rendered.append((message.to[0], message.message().as_bytes(linesep="\r\n")))
    started = time.perf_counter()
    with smtplib.SMTP(smtp.host, smtp.port) as connection:
        if prerendered:
            for to, data in rendered:
                connection.sendmail(settings.DEFAULT_FROM_EMAIL, [to], data)
        else:
            for invitation in invitations:
                message = services.invitation_message(invitation, token_new())
                data = message.message().as_bytes(linesep="\r\n")
                connection.sendmail(settings.DEFAULT_FROM_EMAIL, [message.to[0]], data)
    return time.perf_counter() - started


def start_worker(concurrency: int):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(ROOT / "var" / "bench-worker.log", "wb")  # noqa: SIM115 - lives as long as the worker
    command = [str(Path(sys.executable).with_name("celery")), "-A", "config", "worker", "-l", "warning"]
    command += ["-c", str(concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    # The worker is ready when it answers a ping.
    from config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return worker
    worker.kill()
    raise SystemExit("the worker did not start; see var/bench-worker.log")


def main():
    (ROOT / "var").mkdir(exist_ok=True)
    call_command("migrate", verbosity=0)
    module = build(args.participants)
    n = args.participants
    queue = redis.Redis.from_url(args.redis_url)
    queue.delete("celery", "unacked", "unacked_index")

    invitations = invitations_for_baseline(module)
    plain_seconds = plain_loop(invitations, prerendered=True)
    assert len(smtp.recipients()) == n, "the plain loop lost messages"
    smtp.clear()
    rendering_seconds = plain_loop(invitations, prerendered=False)
    smtp.clear()

    worker = start_worker(args.concurrency)
    try:
        started = time.perf_counter()
        services.survey_open_and_invite(module=module)
        smtp.wait_for(n, timeout=300)
        pipeline_seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(30)
    received = smtp.recipients()
    sent_rows = Invitation.objects.filter(status=Invitation.Status.SENT).count()
    smtp.stop()

    plain_rate, rendering_rate, pipeline_rate = n / plain_seconds, n / rendering_seconds, n / pipeline_seconds
    print(f"participants                                  {n}")
    print(f"worker processes                              {args.concurrency}")
    print(f"SMTP server latency per message               {args.server_latency_ms:g} ms")
    print(f"plain smtplib loop, messages pre-rendered     {plain_seconds:6.2f} s  {plain_rate:7.1f} messages/s")
    print(f"plain smtplib loop, rendering each message    {rendering_seconds:6.2f} s  {rendering_rate:7.1f} messages/s")
    print(
        f"worker + Redis + SMTP pipeline                {pipeline_seconds:6.2f} s  {pipeline_rate:7.1f} invitations/s"
    )
    print(f"ratio pipeline / plain loop (pre-rendered)    {pipeline_rate / plain_rate:6.2f}")
    print(f"ratio pipeline / plain loop (rendering)       {pipeline_rate / rendering_rate:6.2f}")
    print(f"delivered {len(received)}, distinct {len(set(received))}, rows marked sent {sent_rows}")
    if len(set(received)) != n or len(received) != n:
        raise SystemExit("not every invitation was delivered exactly once")


if __name__ == "__main__":
    main()
