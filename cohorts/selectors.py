from django.db.models import Count, Min, Q

from .models import Cohort


def cohort_list_for_user(*, user):
    """The cohorts a user manages, with progress: modules delivered and the next module's start."""
    return (
        Cohort.objects.for_user(user)
        .select_related("programme", "commissioner")
        .annotate(
            modules_delivered=Count("modules", filter=Q(modules__state="delivered"), distinct=True),
            next_module_at=Min("modules__starts_at", filter=Q(modules__state="planned")),
        )
    )
