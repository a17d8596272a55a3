"""Queries and time per page on the demo data, as a facilitator and a participant would load them.

Run after ``python manage.py load_demo`` (``./scripts/run-app`` does it):
    .venv/bin/python bench/bench_pages.py
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from cohorts.models import Cohort  # noqa: E402
from demo import scenario as demo  # noqa: E402
from projects.models import ImprovementProject, Measure  # noqa: E402

REPEATS = 5


def measure(client, label, url):
    client.get(url)  # warm caches (templates, session)
    timings = []
    for _ in range(REPEATS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
    assert response.status_code == 200, (label, response.status_code)
    timings.sort()
    print(f"| {label} | {len(queries)} | {timings[len(timings) // 2] * 1000:.0f} ms |")


def main():
    users = get_user_model().objects
    cohort = Cohort.objects.get(name=demo.COHORT)
    project = ImprovementProject.objects.filter(action_learning_set__cohort=cohort).first()
    measure_obj = Measure.objects.filter(project=project).first()
    facilitator, participant = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    facilitator.force_login(users.get(username="facilitator"))
    participant.force_login(users.get(username="participant"))
    c = {"cohort_pk": cohort.pk}
    print("| Page | Queries | Median time |")
    print("|---|---|---|")
    pages = [
        ("Home (facilitator)", reverse("home")),
        ("Cohort page", reverse("modules:cohort_detail", kwargs=c)),
        ("Add participant", reverse("cohorts:participant_add", kwargs=c)),
        ("Module page with register", reverse("modules:module_detail", kwargs={**c, "number": 4})),
        ("PDSA cycle of module 2", reverse("surveys:pdsa_cycle_update", kwargs={**c, "number": 2})),
        ("PDSA timeline", reverse("surveys:pdsa_timeline", kwargs=c)),
        ("Surveys list", reverse("surveys:survey_list", kwargs=c)),
        ("Survey results, module 1", reverse("surveys:survey_results", kwargs={**c, "number": 1})),
        ("Scores across modules", reverse("surveys:survey_trends", kwargs=c)),
        ("Invitation delivery states", reverse("surveys:invitation_delivery", kwargs={**c, "number": 1})),
        ("Action-learning sets", reverse("projects:set_list", kwargs=c)),
        ("Improvement project", reverse("projects:project_detail", kwargs={**c, "project_pk": project.pk})),
        (
            "Measure with run chart",
            reverse("projects:measure_detail", kwargs={**c, "project_pk": project.pk, "measure_pk": measure_obj.pk}),
        ),
        ("Module 6 showcase", reverse("projects:showcase", kwargs=c)),
    ]
    for label, url in pages:
        measure(facilitator, label, url)
    measure(participant, "My programme (participant)", reverse("accounts:my_programme"))


if __name__ == "__main__":
    main()
