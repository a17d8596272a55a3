"""PostgreSQL restarted under use, with the production web server (gunicorn) serving the app.

The restart is done to a throwaway PostgreSQL cluster made for this test (``initdb`` into a
temporary folder, its own port), never to the database server the tests and other work share.
gunicorn keeps its connections open between requests (``CONN_MAX_AGE``), so after a restart it
holds a dead one: ``CONN_HEALTH_CHECKS`` must notice and reconnect (the second restart, with no
request in between, fails without it).

While the database is down, a page and a form post get the friendly 503 page (no traceback, no
half-written rows); once it is back, the very first request works again without restarting
gunicorn, and every row written before the outage is still there.
"""

import contextlib
import glob
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from conftest import require_service
from tests.acceptance.gunicorn import ROOT, gunicorn_serving, wait_for_port
from tests.acceptance.smtp import free_port

pytestmark = pytest.mark.acceptance

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own in a temporary folder, on its own port.

    PostgreSQL refuses to run as root: when the tests run as root, its commands run as the
    ``postgres`` system user, which then owns the folder.
    """

    def __init__(self):
        self.bin = Path(PG_BIN[-1])
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="lc-outage-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "postgres.log"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/outage"

    def _run(self, *command):
        subprocess.run([*self.as_user, *command], check=True, capture_output=True, timeout=120)  # noqa: S603

    def init(self):
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "outage")
        return self

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        wait_for_port(self.port)

    def stop(self, mode="immediate"):
        """``immediate`` is a crash as far as clients are concerned: connections are cut."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self):
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def _manage(env, *args, code=None):
    command = [sys.executable, "manage.py", *args] + (["-c", code] if code else [])
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # noqa: S603
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


# Made in the throwaway database by a manage.py shell: a facilitator (signed in: the session key
# is printed), a cohort whose module 1 took place yesterday and three participants.
SEED = """
import datetime, json
from django.test import Client
from django.utils import timezone
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from modules.tests.factories import ModuleFactory
cohort = CohortFactory()
module = ModuleFactory(cohort=cohort, number=1, starts_at=timezone.now() - datetime.timedelta(days=1),
                       ends_at=timezone.now() - datetime.timedelta(hours=20))
user = UserFactory()
MembershipFactory(cohort=cohort, role="facilitator", person__user=user)
members = [MembershipFactory(cohort=cohort).pk for _ in range(3)]
client = Client()
client.force_login(user)
print(json.dumps({"cohort": cohort.pk, "members": members, "session": client.cookies["sessionid"].value}))
"""

COUNT = """
from modules.models import Attendance
print(sorted(Attendance.objects.values_list("membership_id", "status")))
"""


class Browser:
    """Enough of a browser for a few requests: cookies, and the CSRF token from the last form."""

    def __init__(self, port, session):
        self.port, self.cookies, self.csrf = port, {"sessionid": session}, ""

    def request(self, method, path, data=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode({**data, "csrfmiddlewaretoken": self.csrf})
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"http://127.0.0.1:{self.port}",
                "Referer": f"http://127.0.0.1:{self.port}{path}",
            }
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if token:
            self.csrf = token.group(1)
        return response.status, text


@pytest.fixture
def throwaway_postgres():
    require_service("PostgreSQL server binaries (/usr/lib/postgresql/*/bin)", bool(PG_BIN))
    database = ThrowawayPostgres().init()
    yield database
    database.destroy()


@pytest.fixture
def app(throwaway_postgres, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": throwaway_postgres.url,
        # Connections kept between requests: the restart leaves gunicorn holding a dead one.
        "CONN_MAX_AGE": "600",
        "DEBUG": "False",
    }
    _manage(env, "migrate", "--noinput")
    seed = json.loads(_manage(env, "shell", code=SEED).strip().splitlines()[-1])
    output = tmp_path / "gunicorn.out"
    with gunicorn_serving(env, output=output) as (port, process):
        yield {"port": port, "seed": seed, "env": env, "process": process, "log": output}


def _attendance(env):
    return _manage(env, "shell", code=COUNT).strip().splitlines()[-1]


def test_postgres_restart_gives_a_friendly_page_then_the_app_recovers_by_itself(app, throwaway_postgres):
    seed, env = app["seed"], app["env"]
    browser = Browser(app["port"], seed["session"])
    module_page = f"/cohorts/{seed['cohort']}/modules/1/"
    first, second, third = seed["members"]

    # Before: the page works and a register is saved.
    status, page = browser.request("GET", module_page)
    assert status == 200, page[:500]
    status, _ = browser.request("POST", module_page, {f"status_{first}": "present"})
    assert status == 302
    before = _attendance(env)
    assert before == str([(first, "present")])

    throwaway_postgres.stop()
    try:
        # During: a page and a post get the 503 page, which says to try again, and no traceback.
        for method, data in (("GET", None), ("POST", {f"status_{second}": "absent", f"status_{third}": "present"})):
            status, page = browser.request(method, module_page, data)
            assert status == 503, (method, status, page[:500])
            assert "Temporarily unavailable" in page
            assert "nothing you sent has been saved" in page
            assert "Traceback" not in page
            assert "OperationalError" not in page
    finally:
        throwaway_postgres.start()

    # After: the very first request works, from the same gunicorn worker (no restart of the app).
    status, page = browser.request("GET", module_page)
    assert status == 200, page[:500]
    status, _ = browser.request("POST", module_page, {f"status_{second}": "apologies"})
    assert status == 302

    # A restart between two requests: gunicorn holds the connection it kept, now dead, and the
    # health check must find that out before the next request uses it (else that request fails).
    throwaway_postgres.stop()
    throwaway_postgres.start()
    status, page = browser.request("GET", module_page)
    assert status == 200, page[:500]
    assert app["process"].poll() is None
    assert app["log"].read_text().count("Booting worker") == 1
    # The row written before the outage is there, the post made during it wrote nothing.
    assert _attendance(env) == str(sorted([(first, "present"), (second, "apologies")]))
