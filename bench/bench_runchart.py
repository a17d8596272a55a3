"""Time the run-chart rules and the SVG layout for series of different lengths.

Run: .venv/bin/python bench/bench_runchart.py
Pure Python (no database): projects/runchart.py and projects/charts.py only.
"""

import datetime
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()  # charts.py imports nothing from Django, but keep the import path identical to the app's

from projects import runchart  # noqa: E402
from projects.charts import Marker, run_chart_layout  # noqa: E402


def series(n):
    rng = random.Random(n)
    return [round(rng.gauss(50 if i < n // 2 else 60, 5), 1) for i in range(n)]


def main():
    start = datetime.date(2024, 1, 1)
    print(f"{'points':>7} {'analyse (ms)':>13} {'layout (ms)':>12} {'signals':>8}")
    for n in (12, 52, 104, 520, 5200):
        values = series(n)
        dates = [start + datetime.timedelta(weeks=i) for i in range(n)]
        repeat = max(1, 2000 // n)
        began = time.perf_counter()
        for _ in range(repeat):
            analysis = runchart.analyse(values, baseline=min(12, n))
        analyse_ms = (time.perf_counter() - began) * 1000 / repeat
        began = time.perf_counter()
        for _ in range(repeat):
            run_chart_layout(
                dates=dates,
                values=values,
                analysis=analysis,
                baseline_mask=[i < 12 for i in range(n)],
                markers=[Marker(date=dates[n // 2], label="PDSA 1", title="Test")],
            )
        layout_ms = (time.perf_counter() - began) * 1000 / repeat
        print(f"{n:>7} {analyse_ms:>13.3f} {layout_ms:>12.3f} {len(analysis.signals):>8}")


if __name__ == "__main__":
    main()
