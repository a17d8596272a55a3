"""Run the periodic survey-mail jobs once, in-process.

In production Celery beat runs them (CELERY_BEAT_SCHEDULE). In the embedded set-up there is no
beat, so this command does the same work on demand: open surveys of modules that ended, send
reminders that are due, close surveys past their closing time (with the facilitators'
summary), and publish invitations left behind.
"""

from django.core.management.base import BaseCommand

from surveys.services import mailing


class Command(BaseCommand):
    help = "Run the periodic survey-mail jobs once (open due surveys, remind, close, sweep)."

    def handle(self, *args, **options):
        opened = mailing.surveys_open_due()
        reminded = mailing.reminders_queue_due()
        closed = mailing.surveys_close_due()
        swept = mailing.invitations_sweep()
        self.stdout.write(
            f"surveys opened: {len(opened)}, reminders queued: {reminded}, "
            f"surveys closed: {len(closed)}, invitations swept: {swept}"
        )
