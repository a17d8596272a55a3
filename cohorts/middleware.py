"""The one place where cohort-scoped URLs are guarded.

Every URL pattern that carries ``cohort_pk`` reaches its view only if the signed-in user
may see that cohort; otherwise the answer is 404, so that nobody learns which cohorts exist.
A view says who may see it with ``cohort_access`` (``cohorts.access``; default: facilitators of
the cohort and staff). The view finds the cohort and the user's membership on ``request``.
"""

from django.http import Http404

from .access import FACILITATOR
from .models import Cohort, Membership

STAFF = "staff"


def _required_access(view_func):
    view_class = getattr(view_func, "view_class", None)
    return getattr(view_class, "cohort_access", None) or getattr(view_func, "cohort_access", FACILITATOR)


class CohortAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if "cohort_pk" not in view_kwargs:
            return None
        user = request.user
        # Cohort.objects.for_member: staff see every cohort, anyone else only those they actively belong to.
        cohort = (
            Cohort.objects.for_member(user)
            .select_related("programme", "commissioner")
            .filter(pk=view_kwargs["cohort_pk"])
            .first()
        )
        if cohort is None:
            raise Http404
        membership = None
        if user.is_staff:
            role = STAFF
        else:
            membership = (
                Membership.objects.active().filter(cohort=cohort, person__user=user).select_related("person").first()
            )
            if membership is None:  # withdrawn between the two queries
                raise Http404
            role = membership.role
        # As Cohort.objects.for_user: staff and the cohort's active facilitators.
        is_facilitator = role in (STAFF, Membership.Role.FACILITATOR)
        if _required_access(view_func) == FACILITATOR and not is_facilitator:
            raise Http404
        request.cohort = cohort
        request.cohort_membership = membership
        request.cohort_role = role
        request.is_cohort_facilitator = is_facilitator
        return None
