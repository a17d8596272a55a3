"""Signing in with an e-mailed link (django-sesame), for members of a cohort only."""

from sesame.backends import ModelBackend

from . import selectors


class SignInLinkBackend(ModelBackend):
    """django-sesame's backend, refusing anyone without an active membership: a withdrawn member's
    link stops working, and so does a session it opened (Django asks the backend on every request)."""

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and selectors.user_is_active_member(user=user)
