"""The production web server for acceptance tests: gunicorn started as the README starts it, in its
own process group, on a free port."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.acceptance.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def wait_for_port(port: int, *, timeout: float = 30.0, process=None, log: Path | None = None) -> None:
    """Return once something listens on ``port``; raise if ``process`` exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"exited:\n{log.read_text() if log else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s:\n{log.read_text() if log else ''}")


@contextlib.contextmanager
def gunicorn_serving(env: dict, *, output: Path, access_log: str = "-"):
    """gunicorn with config/gunicorn.conf.py and one worker, its output in ``output``; yields
    ``(port, process)`` once it listens and stops it afterwards."""
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1", "GUNICORN_ACCESS_LOG": access_log}
    with output.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command line
            # The README's command; without the control socket, which would be shared by every
            # gunicorn of this user (~/.gunicorn/gunicorn.ctl) and has nothing to do with the tests.
            [str(GUNICORN), "-c", "config/gunicorn.conf.py", "config.wsgi", "--no-control-socket"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, process=process, log=output)
        yield port, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(15)
