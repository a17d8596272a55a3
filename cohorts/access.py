"""Who may open a cohort's pages: the access level a view asks for with ``cohort_access``.

The rule itself (staff and the cohort's active facilitators for ``FACILITATOR``, every active
member for ``MEMBER``) is applied by ``cohorts.middleware.CohortAccessMiddleware`` on every URL
that carries a ``cohort_pk``, on top of ``Cohort.objects.for_member``.
"""

FACILITATOR = "facilitator"
MEMBER = "member"


def cohort_access(level):
    """Decorator for function views: ``@cohort_access(MEMBER)``."""

    def decorate(view):
        view.cohort_access = level
        return view

    return decorate
