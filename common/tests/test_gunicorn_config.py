"""The shipped gunicorn configuration (config/gunicorn.conf.py) and the README command that uses it."""

import re
import runpy
from pathlib import Path

from gunicorn.config import Config

from common.logging import GunicornLogger

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "config" / "gunicorn.conf.py"


def _settings(monkeypatch, **env):
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_ACCESS_LOG", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_gunicorn_conf_binds_to_loopback_by_default(monkeypatch):
    """Only the proxy may reach the app: rate limits trust the X-Forwarded-For it writes."""
    conf = _settings(monkeypatch, PORT="9000")  # gunicorn's own default would then bind 0.0.0.0

    cfg = Config()
    cfg.set("bind", conf["bind"])

    assert cfg.bind == ["127.0.0.1:8000"]


def test_gunicorn_conf_bind_can_be_a_socket_from_the_environment(monkeypatch):
    conf = _settings(monkeypatch, GUNICORN_BIND="unix:/run/leadership-cohorts/gunicorn.sock")

    assert conf["bind"] == ["unix:/run/leadership-cohorts/gunicorn.sock"]


def test_gunicorn_conf_logs_access_through_the_redacting_logger(monkeypatch):
    conf = _settings(monkeypatch)

    cfg = Config()
    cfg.set("logger_class", conf["logger_class"])
    cfg.set("accesslog", conf["accesslog"])

    assert cfg.logger_class is GunicornLogger
    assert cfg.accesslog == "-"


def test_readme_production_command_uses_the_config_file_and_no_public_bind():
    readme = (ROOT / "README.md").read_text()
    production = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]

    assert "gunicorn -c config/gunicorn.conf.py config.wsgi" in production
    assert not re.search(r"0\.0\.0\.0", production)
    assert "only the proxy" in production.lower()
