"""The one place where cohort-scoped URLs are guarded.

Every URL pattern that carries ``cohort_pk`` reaches its view only if the signed-in user
may see that cohort; otherwise the answer is 404, so that nobody learns which cohorts exist.
A view says who may see it with ``cohort_access`` (``cohorts.access``; default: facilitators of
the cohort and staff). The view finds the cohort and the user's membership on ``request``.
"""

from django.contrib.auth import get_user_model
from django.http import Http404

from common.compiled import CompiledQuery, instances_from_row, row_columns

from .access import FACILITATOR
from .models import Cohort, Membership, Organisation, Person, Programme

STAFF = "staff"

# The membership that lets a user who is not staff see a cohort, with its person and the cohort (its
# programme and commissioner): the columns of each, in this order.
_ROW = (
    (Membership, ""),
    (Person, "person__"),
    (Cohort, "cohort__"),
    (Programme, "cohort__programme__"),
    (Organisation, "cohort__commissioner__"),
)


def _membership_giving_access(user_id, cohort_pk):
    return (
        Membership.objects.giving_access(get_user_model()(pk=user_id))
        .filter(cohort=cohort_pk)
        .order_by("pk")
        .values_list(*row_columns(_ROW))[:1]
    )


# Every cohort page runs it, so it is compiled once per process (common.compiled).
_ACCESS = CompiledQuery(_membership_giving_access, user_id=-7301, cohort_pk=-7302)


def membership_giving_access(*, user, cohort_pk) -> Membership | None:
    """The user's membership that gives access to the cohort, with its person and cohort (and the
    cohort's programme and commissioner) loaded; None if they have none (Cohort.objects.for_member)."""
    if not user.is_authenticated:
        return None
    row = _ACCESS.fetchone(user_id=user.pk, cohort_pk=cohort_pk)
    if row is None:
        return None
    (membership, person, cohort, programme, commissioner), _rest = instances_from_row(row, *(m for m, _ in _ROW))
    cohort.programme, cohort.commissioner = programme, commissioner
    membership.person, membership.cohort = person, cohort
    return membership


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
        cohort_pk = view_kwargs["cohort_pk"]
        membership = None
        if user.is_staff:
            # Cohort.objects.for_member: staff see every cohort.
            cohort = (
                Cohort.objects.for_member(user).select_related("programme", "commissioner").filter(pk=cohort_pk).first()
            )
            role = STAFF
        else:
            # Anyone else sees only the cohorts they actively belong to (for_member): one statement
            # finds the membership that gives access, its role and the cohort.
            membership = membership_giving_access(user=user, cohort_pk=cohort_pk)
            cohort = membership.cohort if membership is not None else None
            role = membership.role if membership is not None else None
        if cohort is None:
            raise Http404
        # As Cohort.objects.for_user: staff and the cohort's active facilitators.
        is_facilitator = role in (STAFF, Membership.Role.FACILITATOR)
        if _required_access(view_func) == FACILITATOR and not is_facilitator:
            raise Http404
        request.cohort = cohort
        request.cohort_membership = membership
        request.cohort_role = role
        request.is_cohort_facilitator = is_facilitator
        return None
