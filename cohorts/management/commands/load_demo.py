from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from cohorts import demo

# Other apps' demo modules, run in this order after the cohorts demo. Each is a callable
# ``populate(*, demo: cohorts.demo.DemoData)`` that is idempotent like cohorts.demo.populate;
# adding one is one line here, e.g. "surveys.demo.populate".
APP_DEMOS: list[str] = [
    "surveys.demo.populate",
    "modules.demo.populate",
    "projects.demo.populate",
]


class Command(BaseCommand):
    help = (
        "Load an invented demo: the Collective Leadership Programme with one running cohort of 30 "
        "participants at a mental-health trust (modules 1-3 delivered with attendance, 4-6 planned) and "
        "a second cohort with its own facilitator. Running it again changes nothing; --reset wipes the "
        "demo first (and re-dates it from today). DEMO-ONLY: it creates log-ins with published passwords "
        f"(admin / {demo.ADMIN_LOGIN[1]}, facilitator / {demo.FACILITATOR_LOGIN[1]}, ...), so never run it "
        "against a real system."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete the demo data first, then load it afresh.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off (a production-like system). The demo passwords are public.",
        )

    def handle(self, *args, reset=False, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this looks like a real system, and the demo creates accounts with published "
                "passwords. Use --force if this really is a throw-away installation."
            )
        with transaction.atomic():
            if reset:
                try:
                    demo.reset(stdout=self.stdout)
                except demo.DemoResetError as error:
                    raise CommandError(str(error)) from error
            data = demo.populate(stdout=self.stdout)
            for path in APP_DEMOS:
                import_string(path)(demo=data)
                self.stdout.write(f"Ran {path}.")
        self.stdout.write(self.style.SUCCESS("Demo loaded. Demo-only log-ins (never use these on a real system):"))
        width = max(len(username) for username, _, _ in demo.DEMO_LOGINS)
        for username, password, who in demo.DEMO_LOGINS:
            self.stdout.write(f"  {username.ljust(width)}  {password.ljust(28)}  {who}")
