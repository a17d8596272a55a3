from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo import scenario
from evaluation import demo as evaluation_demo
from evaluation import demo_finished, demo_programme
from modules import demo as modules_demo
from projects import demo as projects_demo
from reports import demo as reports_demo
from surveys import demo as surveys_demo

# Each app's own demo, run in this order after the scenario (demo/scenario.py). Each is a callable
# ``populate(*, demo: demo.scenario.DemoData)`` that is idempotent like demo.scenario.populate;
# adding one is one line here.
APP_DEMOS = [
    surveys_demo.populate,
    modules_demo.populate,
    projects_demo.populate,
    # After projects: the practice log's shared reflections belong to the sets made there.
    evaluation_demo.populate,
    # A finished cohort with its whole evaluation (facilitated by the demo "facilitator" too).
    demo_finished.populate_finished,
    # Its attendance and module surveys, so that the programme page compares the two Tamar Vale cohorts.
    demo_programme.populate_finished_modules,
    # The finished cohort's history (attendance, module surveys, projects) and its published impact report.
    reports_demo.populate,
]


class Command(BaseCommand):
    help = (
        "Load an invented demo: the Collective Leadership Programme with one running cohort of 30 "
        "participants at a mental-health trust (modules 1-3 delivered with attendance, 4-6 planned) and "
        "a second cohort with its own facilitator. Running it again changes nothing; --reset wipes the "
        "demo first (and re-dates it from today). DEMO-ONLY: it creates log-ins with published passwords "
        f"(admin / {scenario.ADMIN_LOGIN[1]}, facilitator / {scenario.FACILITATOR_LOGIN[1]}, ...), so never run it "
        "against a real system."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete the demo data first, then load it afresh.")
        parser.add_argument(
            "--reset-if-stale",
            action="store_true",
            help="Reset (and so re-date) the demo only if it was dated on an earlier day: scripts/run-app uses it, so "
            "that the demo is alive whenever it is started (module 4 just taken place, surveys to open).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off (a production-like system). The demo passwords are public.",
        )

    def handle(self, *args, reset=False, force=False, reset_if_stale=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this looks like a real system, and the demo creates accounts with published "
                "passwords. Use --force if this really is a throw-away installation."
            )
        if reset_if_stale and scenario.is_stale():
            self.stdout.write("The demo was dated on an earlier day: re-dating it from today (edits in it are lost).")
            reset = True
        with transaction.atomic():
            if reset:
                try:
                    scenario.reset(stdout=self.stdout)
                except scenario.DemoResetError as error:
                    raise CommandError(str(error)) from error
            data = scenario.populate(stdout=self.stdout)
            for populate in APP_DEMOS:
                populate(demo=data)
                self.stdout.write(f"Ran {populate.__module__}.{populate.__name__}.")
        self.stdout.write(self.style.SUCCESS("Demo loaded. Demo-only log-ins (never use these on a real system):"))
        width = max(len(username) for username, _, _ in scenario.DEMO_LOGINS)
        for username, password, who in scenario.DEMO_LOGINS:
            self.stdout.write(f"  {username.ljust(width)}  {password.ljust(28)}  {who}")
