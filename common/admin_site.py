"""The project's admin site: Django's, with the same sign-in rate limits as the main login page.

Staff accounts are the most valuable to guess, so /admin/login/ counts attempts in the same
groups as /accounts/login/: trying one path after the other does not reset the count.
"""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _

from . import ratelimit as limits
from .views import ratelimited


class AdminSite(admin.AdminSite):
    site_header = _("Leadership Cohorts administration")
    site_title = _("Leadership Cohorts admin")

    @login_not_required
    @method_decorator(limits.login_attempts_counted)
    def login(self, request, extra_context=None):
        if request.method == "POST" and getattr(request, "limited", False):
            return ratelimited(request)  # the password is not checked
        return super().login(request, extra_context)
