"""``manage.py bench_load [--scale 1] [--recreate]``: fill the bench database with scale data (bench/scale.py).

Run with the bench settings: ``DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python manage.py bench_load``.
"""

import time

import psycopg
from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command
from django.db import connection

from bench.scale import Plan, load
from cohorts.models import Organisation


class Command(BaseCommand):
    help = "Fill PostgreSQL with scale data for the benchmarks (bulk COPY), then ANALYZE."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="1 = the full national provider; 0.01 for CI")
        parser.add_argument("--seed", type=int, default=14)
        parser.add_argument(
            "--recreate",
            action="store_true",
            help="drop and create the database first, then migrate (only databases named lc_bench*)",
        )

    def handle(self, *args, scale, seed, recreate, **options):
        started = time.perf_counter()
        if recreate:
            self._recreate()
        if Organisation.objects.filter(name__startswith="Bench ").exists():
            raise CommandError("This database already holds scale data; use --recreate to start again.")
        plan = Plan.at(scale)
        self.stdout.write(f"Loading scale {scale:g}: {plan}")
        counts = load(scale=scale, seed=seed, stdout=self.stdout.write)
        total = sum(counts.values())
        for label, n in sorted(counts.items()):
            self.stdout.write(f"  {label:<40} {n:>10,}")
        self.stdout.write(
            f"{total:,} rows in {time.perf_counter() - started:.1f} s (database {connection.settings_dict['NAME']})"
        )

    def _recreate(self):
        name = settings.DATABASES["default"]["NAME"]
        if not name.startswith("lc_bench"):
            raise CommandError(f"--recreate only drops databases named lc_bench*, not {name!r}")
        connection.close()
        params = connection.get_connection_params()
        params["dbname"] = "postgres"
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        call_command("migrate", verbosity=0)
        self.stdout.write(f"Recreated and migrated {name}.")
