from celery.signals import task_success
from django.apps import AppConfig


def _periodic_job_heartbeat(sender=None, **kwargs):
    from . import health  # needs the settings and the cache: imported once the app is ready

    health.periodic_job_ran(name=sender.name)


class CommonConfig(AppConfig):
    name = "common"

    def ready(self):
        # Each periodic job that finishes records a heartbeat (common.health), whichever app it is in.
        task_success.connect(_periodic_job_heartbeat, weak=False, dispatch_uid="common.periodic_job_heartbeat")
