"""gunicorn settings for production: ``gunicorn -c config/gunicorn.conf.py config.wsgi`` (README).

Bound to the loopback interface by default: only the TLS proxy in front may reach the app, since
rate limits trust the X-Forwarded-For entry that proxy writes (RATELIMIT_TRUSTED_PROXIES), and
anyone reaching the port directly could choose their own address per request. A proxy on another
host reaches it through a private interface or a Unix socket given in GUNICORN_BIND.
"""

import os
from pathlib import Path

# The project root, so that the command works from any directory and common.logging imports.
chdir = str(Path(__file__).resolve().parent.parent)

bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))

# Access lines carry URLs, and survey links and sign-in links carry keys: the logger redacts them.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
logger_class = "common.logging.GunicornLogger"
