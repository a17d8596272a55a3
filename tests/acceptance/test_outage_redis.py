"""Redis (the Celery broker) restarted while invitations are queued: none is lost once it is back.

End to end with a real Celery worker process, a real SMTP server and PostgreSQL, against a
throwaway ``redis-server`` started for the test on its own port (never the shared one), without
persistence, so a restart loses every message in its queue, the worst case. The invitation rows
in PostgreSQL are what counts: the sweep (``invitations_sweep``, every minute in production)
queues again whatever is still queued, and every participant gets their invitation exactly once.
"""

import collections
import datetime
import shutil
import subprocess
import time

import pytest
import redis
from django.utils import timezone

from conftest import require_service
from surveys import services
from surveys.models import Invitation, Survey
from tests.acceptance.conftest import use_broker
from tests.acceptance.smtp import free_port
from tests.acceptance.test_survey_mail import all_done, delivered_module, mark_delivered, wait_until

pytestmark = pytest.mark.acceptance


class ThrowawayRedis:
    def __init__(self, folder):
        self.port, self.folder, self.process = free_port(), folder, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)  # noqa: S603
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def queued(self) -> int:
        return redis.Redis.from_url(self.url).llen("celery")


@pytest.fixture
def own_redis(tmp_path, broker):
    require_service("redis-server", shutil.which("redis-server") is not None)
    server = ThrowawayRedis(tmp_path).start()
    use_broker(broker, server.url)
    yield server
    server.stop()


def _sweep():
    return services.invitations_sweep(now=timezone.now() + services.QUEUED_GRACE + datetime.timedelta(seconds=1))


def _each_got_one(smtp, members):
    counts = collections.Counter(smtp.recipients())
    assert sorted(counts) == sorted(m.person.email for m in members)
    assert set(counts.values()) == {1}


def test_redis_restarted_with_invitations_in_its_queue_loses_none(own_redis, worker_factory, smtp):
    module, members = delivered_module(participants=12)

    # The survey opens while no worker runs: its send tasks wait in Redis.
    survey = mark_delivered(module)
    assert own_redis.queued() > 0
    assert survey.invitations.filter(status=Invitation.Status.QUEUED).count() == 12

    # Redis restarts and its queue is gone.
    own_redis.stop()
    own_redis.start()
    assert own_redis.queued() == 0

    worker_factory(CELERY_BROKER_URL=own_redis.url)
    assert _sweep() == 12
    wait_until(lambda: all_done(survey), message="delivery after the sweep")
    _each_got_one(smtp, members)
    assert survey.invitations.filter(status=Invitation.Status.SENT).count() == 12


def test_redis_down_while_a_survey_opens_then_back_the_running_worker_delivers_all_once(
    own_redis, worker_factory, smtp
):
    module, members = delivered_module(participants=8)
    worker_factory(CELERY_BROKER_URL=own_redis.url)

    own_redis.stop()
    started = time.monotonic()
    survey = mark_delivered(module)
    assert time.monotonic() - started < 3
    assert survey.status == Survey.Status.OPEN
    assert survey.invitations.filter(status=Invitation.Status.QUEUED).count() == 8

    # Back on the same port: the worker, left running, reconnects by itself.
    own_redis.start()
    assert _sweep() == 8
    wait_until(lambda: all_done(survey), timeout=60, message="delivery after Redis came back")
    _each_got_one(smtp, members)
