"""The one place where cohort-scoped URLs are guarded.

Every URL pattern that carries ``cohort_pk`` reaches its view only if the signed-in user
may see that cohort; otherwise the answer is 404, so that nobody learns which cohorts exist.
A view says who may see it with ``cohort_access`` (default: facilitators of the cohort and
staff). The view finds the cohort and the user's membership on ``request``.
"""

from django.http import Http404
from django.utils.cache import patch_cache_control

from cohorts.models import Cohort, Membership

FACILITATOR = "facilitator"
MEMBER = "member"


def cohort_access(level):
    """Decorator for function views: ``@cohort_access(MEMBER)``."""

    def decorate(view):
        view.cohort_access = level
        return view

    return decorate


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
        if not user.is_authenticated:
            raise Http404
        level = _required_access(view_func)
        cohort = Cohort.objects.select_related("programme", "commissioner").filter(pk=view_kwargs["cohort_pk"]).first()
        if cohort is None:
            raise Http404
        membership = (
            Membership.objects.active().filter(cohort=cohort, person__user=user).select_related("person").first()
            if not user.is_staff
            else None
        )
        if user.is_staff:
            role = "staff"
        elif membership is None:
            raise Http404
        else:
            role = membership.role
        if level == FACILITATOR and role not in ("staff", Membership.Role.FACILITATOR):
            raise Http404
        request.cohort = cohort
        request.cohort_membership = membership
        request.cohort_role = role
        request.is_cohort_facilitator = role in ("staff", Membership.Role.FACILITATOR)
        return None


# Survey links (surveys/urls.py): the URL itself is a participant's key, and no one signs in.
SURVEY_PATH_PREFIX = "/s/"


class PrivatePagesNoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in user and every survey
    page, so that no shared cache (a trust's proxy) or back-forward cache keeps personal data.

    Anonymous public pages keep what their views send, and static files never get here: WhiteNoise
    answers them earlier with long public caching, right for fingerprinted files.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(SURVEY_PATH_PREFIX) or request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
