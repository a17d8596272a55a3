"""The accessibility statement: one public page, linked from every page's footer (templates/base.html)."""

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView


@method_decorator(login_not_required, name="dispatch")
class AccessibilityStatementView(TemplateView):
    """What was tested, what is known not to meet WCAG 2.2 AA and how to report a problem, as the
    public sector accessibility regulations ask."""

    template_name = "common/accessibility_statement.html"
    # The regulations ask for a review at least once a year: change the date when it is done.
    prepared_on = datetime.date(2026, 12, 1)
    reviewed_on = datetime.date(2026, 12, 1)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            contact_email=settings.ACCESSIBILITY_CONTACT_EMAIL,
            prepared_on=self.prepared_on,
            reviewed_on=self.reviewed_on,
            **kwargs,
        )
