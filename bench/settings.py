"""Production settings plus the bench app, for the benchmarks of issue 14 (bench/README.md).

Everything is ``config.settings.production`` as deployed; this module only adds the ``bench`` app
(the scale loader command and a bench table) and a URLconf that mounts the two bare comparison
views next to ``config.urls``. Defaults point at the bench database and Redis database 12; the
benchmark commands set the same values explicitly for gunicorn.
"""

import os

# Bench-only values: a fixed key so that sessions and pseudonyms made by the bench scripts are the
# ones gunicorn's workers compute.
BENCH_ENV = {
    "SECRET_KEY": "bench-only-not-secret-5b1f0c7e9d2a4e8f",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "False",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/lc_bench",
    "CACHE_URL": "redis://127.0.0.1:6379/12",
    # Nothing on the measured paths publishes a task; if something did, it stays in our database.
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12",
    "LOG_LEVEL": "WARNING",
}
for _name, _value in BENCH_ENV.items():
    os.environ.setdefault(_name, _value)

from config.settings.production import *  # noqa: E402, F403
from config.settings.production import INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
