"""Run the periodic survey-mail jobs once, in-process.

In production Celery beat runs them (CELERY_BEAT_SCHEDULE). In the embedded set-up there is no
beat, so this command does the same work on demand: open the surveys of delivered modules that
have none open yet, send reminders that are due, close surveys past their closing time (with the
facilitators' summary), and publish invitations left behind.
"""

from django.core.management.base import BaseCommand

from modules.services import modules_mark_ended_delivered
from surveys import services


class Command(BaseCommand):
    help = "Run the periodic survey-mail jobs once (open missing surveys, remind, close, sweep)."

    def handle(self, *args, **options):
        delivered = modules_mark_ended_delivered()  # their surveys open through module_delivered
        opened = services.surveys_open_for_delivered_modules()
        reminded = services.reminders_queue_due()
        closed = services.surveys_close_due()
        swept = services.invitations_sweep()
        self.stdout.write(
            f"modules marked delivered: {len(delivered)}, surveys opened: {len(opened)}, reminders queued: {reminded}, "
            f"surveys closed: {len(closed)}, invitations swept: {swept}"
        )
