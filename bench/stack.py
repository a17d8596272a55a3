"""The stack every HTTP benchmark runs against: gunicorn (config/gunicorn.conf.py, 4 sync workers),
production settings plus the bench app (bench/settings.py), PostgreSQL and Redis database 12.

``setup()`` points Django in this process at the same settings (for sessions, tokens and row counts);
``Gunicorn`` starts the server on a free loopback port and stops it again.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
BENCH_DATABASE = "postgres://postgres@127.0.0.1:5432/lc_bench"
HOST = "127.0.0.1"


def setup(database_url: str | None = None) -> None:
    """Django in this process, on the bench settings and database."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DATABASE_URL"] = database_url or os.environ.get("BENCH_DATABASE_URL", BENCH_DATABASE)
    import django

    django.setup()


def load_average() -> str:
    """The machine's load (1, 5, 15 min) and core count, to print next to every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def ensure_static() -> None:
    """Production settings serve fingerprinted static files: they must have been collected."""
    if (ROOT / "staticfiles" / "staticfiles.json").exists():
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=_env(), check=True
    )


def _env(**extra) -> dict:
    from bench.settings import BENCH_ENV

    env = {**os.environ, **BENCH_ENV, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL", BENCH_DATABASE)
    # A run beside others on the same machine keeps to its own Redis database, as it does in this
    # process (bench/settings.py only sets these where the environment has not).
    for name in ("CACHE_URL", "CELERY_BROKER_URL"):
        env[name] = os.environ.get(name, BENCH_ENV[name])
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak so far) of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _sep, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


class Gunicorn:
    """``with Gunicorn() as server:`` gunicorn on a free loopback port; ``server.port``, ``server.workers``."""

    def __init__(self, *, workers: int = 4, database_url: str | None = None, timeout: float = 90):
        self.workers_wanted = workers
        self.database_url = database_url or os.environ.get("DATABASE_URL", BENCH_DATABASE)
        self.timeout = timeout
        self.port = _free_port()
        self.process = None
        self.workers: list[int] = []

    def __enter__(self):
        ensure_static()
        VAR.mkdir(exist_ok=True)
        env = _env(
            DATABASE_URL=self.database_url,
            GUNICORN_BIND=f"{HOST}:{self.port}",
            GUNICORN_WORKERS=str(self.workers_wanted),
            # Access lines are written, as in production, but to a file rather than our terminal.
            GUNICORN_ACCESS_LOG=str(VAR / "bench-gunicorn-access.log"),
        )
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log = open(VAR / "bench-gunicorn.log", "ab")
        command = [str(gunicorn), "-c", "config/gunicorn.conf.py", "--timeout", "120", "config.wsgi"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped; see var/bench-gunicorn.log")
            self.workers = _children(self.process.pid)
            if len(self.workers) == self.workers_wanted and self._answers():
                return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not start in time; see var/bench-gunicorn.log")

    def _answers(self) -> bool:
        from bench.client import get

        try:
            return get(self.port, "/bench/bare-form/").status == 200
        except OSError:
            return False

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return False
