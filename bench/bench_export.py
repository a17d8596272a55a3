"""Time the CSV and XLSX exports of a survey with 10,000 responses and report peak memory.

Run: .venv/bin/python bench/bench_export.py [--responses N]
Uses config.settings.test and a throw-away on-disk SQLite database unless DATABASE_URL is set
(then it builds a test database next to that one, like the test runner does).
"""

import argparse
import datetime
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
_tmpdir = tempfile.mkdtemp(prefix="lc-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmpdir}/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def build(n_responses: int):
    from django.utils import timezone

    from cohorts.tests.factories import CohortFactory
    from modules.tests.factories import ModuleFactory
    from surveys.models import Answer, Response, Survey
    from surveys.services import question_set_default
    from surveys.tokens import edit_key_for

    cohort = CohortFactory()
    module = ModuleFactory(cohort=cohort, number=1)
    question_set = question_set_default()
    now = timezone.now()
    survey = Survey.objects.create(
        module=module,
        cohort=cohort,
        question_set=question_set,
        privacy=Survey.Privacy.ANONYMOUS,
        status=Survey.Status.OPEN,
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=6),
    )
    questions = {q.code: q for q in question_set.questions.prefetch_related("choices")}
    choices = {c.label: c for q in questions.values() for c in q.choices.all()}
    through = Answer.choices.through
    batch = 1000
    for start in range(0, n_responses, batch):
        responses = Response.objects.bulk_create(
            [
                Response(survey=survey, edit_key=edit_key_for(f"bench-{i}"), submitted_at=now, updated_at=now)
                for i in range(start, min(start + batch, n_responses))
            ]
        )
        answers, links = [], []
        for i, response in enumerate(responses, start=start):
            answers += [
                Answer(response=response, question=questions["usefulness"], number=1 + i % 5),
                Answer(response=response, question=questions["confidence"], number=1 + (i * 7) % 5),
                Answer(response=response, question=questions["recommend"], number=i % 11),
                Answer(response=response, question=questions["pace"]),
                Answer(response=response, question=questions["most_useful"]),
                Answer(response=response, question=questions["went_well"], text=f"Time away from the ward {i}"),
                Answer(response=response, question=questions["improve"], text='=HYPERLINK("http://x")'),
            ]
        Answer.objects.bulk_create(answers)
        for answer in answers:
            if answer.question.code == "pace":
                links.append(through(answer_id=answer.pk, choice_id=choices["About right"].pk))
            elif answer.question.code == "most_useful":
                links.append(through(answer_id=answer.pk, choice_id=choices["Small-group work"].pk))
                links.append(through(answer_id=answer.pk, choice_id=choices["Time to reflect"].pk))
        through.objects.bulk_create(links)
    return survey


def measure(label, func, n):
    """Time a plain run, then run again under tracemalloc (which slows allocation) for peak memory."""
    started = time.perf_counter()
    size = func()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    func()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{label:<5} {elapsed:7.2f} s  ({n / elapsed:8.0f} responses/s)  {size / 1e6:6.2f} MB file  "
        f"peak Python memory {peak / 1e6:6.2f} MB"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=10_000)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from surveys import exports

        started = time.perf_counter()
        survey = build(args.responses)
        print(f"Built {args.responses} responses (7 answers each) in {time.perf_counter() - started:.1f} s")

        def csv_export():
            response = exports.csv_response(survey)
            return sum(len(chunk) for chunk in response.streaming_content)

        def xlsx_export():
            response = exports.xlsx_response(survey)
            size = sum(len(chunk) for chunk in response.streaming_content)
            response.close()
            return size

        measure("CSV", csv_export, args.responses)
        measure("XLSX", xlsx_export, args.responses)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
