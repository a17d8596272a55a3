"""The README's backup and restore, done for real: pg_dump (custom format) of a populated database,
pg_restore into a fresh database, every row found again, and the app started on the restored copy."""

# ruff: noqa: S603, S607 (the PostgreSQL tools and manage.py, with arguments made here)
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from conftest import require_service

pytestmark = pytest.mark.acceptance

ROOT = Path(__file__).resolve().parents[2]

CHECK_APP = """
from django.contrib.auth import get_user_model
from django.test import Client
from cohorts.models import Person
from demo import scenario
client = Client()
client.force_login(get_user_model().objects.get(username=scenario.FACILITATOR_LOGIN[0]))
response = client.get("/", HTTP_HOST="localhost")
print(response.status_code, Person.objects.count())
"""


def _conninfo(name: str) -> dict:
    s = connection.settings_dict
    return {
        "dbname": name,
        "user": s["USER"],
        "password": s.get("PASSWORD") or None,
        "host": s.get("HOST") or "127.0.0.1",
        "port": s.get("PORT") or 5432,
    }


def _url(name: str) -> str:
    c = _conninfo(name)
    auth = c["user"] + (f":{c['password']}" if c["password"] else "")
    return f"postgres://{auth}@{c['host']}:{c['port']}/{name}"


def _pg_env() -> dict:
    c = _conninfo("")
    env = {**os.environ, "PGHOST": str(c["host"]), "PGPORT": str(c["port"]), "PGUSER": c["user"]}
    if c["password"]:
        env["PGPASSWORD"] = c["password"]
    return env


def _row_counts(name: str) -> dict[str, int]:
    with psycopg.connect(**_conninfo(name), autocommit=True) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


@pytest.fixture
def restored_name():
    name = f"lc_restore_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(**_conninfo("postgres"), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_dump_restores_into_a_fresh_database_with_every_row_and_the_app_runs_on_it(
    transactional_db, restored_name, tmp_path
):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    require_service("pg_dump and pg_restore", shutil.which("pg_dump") and shutil.which("pg_restore"))
    call_command("load_demo", "--force", verbosity=0)
    source = connection.settings_dict["NAME"]
    before = _row_counts(source)
    assert before["cohorts_person"] > 50
    assert before["surveys_answer"] > 100
    assert before["auditlog_logentry"] > 0

    dump = tmp_path / "cohorts.dump"
    env = _pg_env()
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", source], env=env, check=True, timeout=60)
    subprocess.run(["createdb", restored_name], env=env, check=True, timeout=30)
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored_name}", str(dump)],
        env=env,
        check=True,
        timeout=60,
    )

    assert _row_counts(restored_name) == before

    app_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _url(restored_name),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--check"], env=app_env, cwd=ROOT, check=True, timeout=60)
    started = subprocess.run(
        [*manage, "shell", "--no-imports", "-c", CHECK_APP],
        env=app_env,
        cwd=ROOT,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert started.stdout.split()[-2:] == ["200", str(before["cohorts_person"])]
