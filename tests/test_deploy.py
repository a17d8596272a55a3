import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# Browser tests set this for their own process; a production check must not inherit it.
BASE_ENV = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def _run(args, env):
    """Run our own interpreter with ``args`` in the project folder; the finished process."""
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_production_settings_pass_check_deploy_without_warnings():
    env = {
        **BASE_ENV,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "cohorts.example.org",
    }
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in BASE_ENV.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = _run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_cache_gives_up_on_a_hanging_redis_within_a_second():
    """Rate limits let a request through when the cache fails; a Redis that hangs must fail fast too."""
    env = {**BASE_ENV, "DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": secrets.token_urlsafe(50)}
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default']['OPTIONS'])"
    )
    result = _run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert "'socket_connect_timeout': 1" in result.stdout
    assert "'socket_timeout': 1" in result.stdout
