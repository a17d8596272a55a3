from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Imported at the top: a signals module holds no models, so it is safe before the app registry is ready.
from cohorts.signals import membership_withdrawn, person_erasing


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")

    def ready(self):
        # The receivers call services, which need the models: imported once the registry is ready.
        from . import erasure, receivers

        membership_withdrawn.connect(
            receivers.set_membership_remove_on_withdrawal, dispatch_uid="projects.set_membership_remove_on_withdrawal"
        )
        person_erasing.connect(erasure.person_erase_project_data, dispatch_uid="projects.person_erase_project_data")
