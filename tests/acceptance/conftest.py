"""Real parts for the mail acceptance tests: a Celery worker process, Redis, an SMTP server.

The worker is ``celery -A config worker`` in its own process group, with the test settings,
``CELERY_TASK_ALWAYS_EAGER=False`` and the test database. A worker in another process cannot
see an in-memory SQLite database nor uncommitted data, so these tests need PostgreSQL
(``DATABASE_URL``) and ``transactional_db``.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis

from conftest import require_service
from tests.acceptance.smtp import SMTPServer, free_port

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")

# Short limits so that the fault tests run in seconds. Their relations are those of production:
# every retry countdown < visibility timeout; a "sending" row is taken over after 1.5 x the hard limit.
WORKER_ENV = {
    "CELERY_TASK_SOFT_TIME_LIMIT": "3",
    "CELERY_TASK_TIME_LIMIT": "4",
    "CELERY_BROKER_VISIBILITY_TIMEOUT": "5",
    "MAIL_RETRY_COUNTDOWNS": "1,2,2",
}


def _database_url(connection) -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture(scope="session")
def smtp_server():
    with SMTPServer() as server:
        yield server


@pytest.fixture
def smtp(smtp_server):
    if not smtp_server.running:
        smtp_server.start()
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()


@pytest.fixture
def postgres(transactional_db):
    from django.db import connection

    require_service("PostgreSQL (DATABASE_URL=postgres://...)", connection.vendor == "postgresql")
    return _database_url(connection)


def use_broker(app, url: str) -> None:
    """Publish from this process to ``url`` from now on.

    Celery keeps its producer pool once made; forgetting it makes the next publish build one for
    the new URL. (Closing it would close pools kombu shares between apps.)
    """
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


KOMBU_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def broker(redis_url):
    """Point this process's Celery app at Redis (no eager mode) and empty the queue first."""
    from config.celery import app

    client = redis.Redis.from_url(redis_url)
    client.delete(*KOMBU_KEYS)
    saved_url, saved_eager = app.conf.broker_url, app.conf.task_always_eager
    app.conf.task_always_eager = False
    use_broker(app, redis_url)
    yield app
    use_broker(app, saved_url)
    app.conf.task_always_eager = saved_eager
    client.delete(*KOMBU_KEYS)


class Worker:
    def __init__(self, env: dict, log: Path, concurrency: int):
        self.env, self.log, self.concurrency = env, log, concurrency
        self.process = None

    def start(self, timeout: float = 30.0):
        name = f"acceptance-{uuid.uuid4().hex[:6]}@%h"
        command = [str(CELERY), "-A", "config", "worker", "-l", "info", "-n", name, "-c", str(self.concurrency)]
        command += ["--pool=prefork", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        self._log_offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited:\n{self.output()}")
            if " ready." in self.output():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"the worker did not start in {timeout}s:\n{self.output()}")

    def output(self) -> str:
        if not self.log.exists():
            return ""
        with self.log.open("rb") as log:
            log.seek(self._log_offset)
            return log.read().decode(errors="replace")

    def kill(self):
        """SIGKILL the whole worker (main process and pool children): nothing is acknowledged."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        # Every test waits for its work to be done, so nothing is lost by not shutting down warmly.
        self.kill()


@pytest.fixture
def worker_factory(postgres, broker, redis_url, smtp, tmp_path):
    """Start (and at the end stop) Celery worker processes against this test's database."""
    workers = []

    def start(concurrency: int = 2, **extra) -> Worker:
        env = {
            **os.environ,
            **WORKER_ENV,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "False",
            "CELERY_BROKER_URL": redis_url,
            "DATABASE_URL": postgres,
            "EMAIL_BACKEND": "common.mail.SMTPEmailBackend",
            "EMAIL_HOST": smtp.host,
            "EMAIL_PORT": str(smtp.port),
            "EMAIL_TIMEOUT": "10",
            "PYTHONPATH": str(ROOT),
            **{key: str(value) for key, value in extra.items()},
        }
        worker = Worker(env, tmp_path / f"worker-{len(workers)}.log", concurrency)
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def worker(worker_factory):
    return worker_factory()


@pytest.fixture
def dead_broker_url():
    return f"redis://127.0.0.1:{free_port()}/15"
