"""Facilitators follow the survey mail: each invitation's delivery state, and resending.

Access: only the cohort's facilitators and staff (cohorts.middleware.CohortAccessMiddleware);
the survey and invitation are looked up inside ``request.cohort`` (surveys.views.base).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from common.drawn import drawn
from common.templatetags.row_urls import MARKER as ROW
from common.templatetags.row_urls import RowURL
from common.views import CohortPageMixin
from surveys import selectors, services
from surveys.models import Invitation, Survey

from .base import survey_of_page, survey_url

INVITATION_TABLE = "surveys/partials/_invitation_table.html"


class InvitationDeliveryView(CohortPageMixin, TemplateView):
    template_name = "surveys/invitation_delivery.html"

    def get_context_data(self, **kwargs):
        survey = survey_of_page(self.request, self.kwargs)
        invitations, counts = selectors.invitation_delivery_for_survey(survey=survey)  # plain rows
        can_send = survey.status == Survey.Status.OPEN
        resend = RowURL(survey_url(survey, "surveys:invitation_resend", pk=ROW))  # reversed once, not once a row
        rows = selectors.invitation_rows(invitations, survey=survey, can_send=can_send, resend=resend.for_row)
        return super().get_context_data(
            module=survey.module if survey.kind == Survey.Kind.MODULE else None,
            survey=survey,
            resend_failed_url=survey_url(survey, "surveys:invitations_resend_failed"),
            invitations=invitations,
            invitation_table=drawn(INVITATION_TABLE, {"rows": rows}),
            counts=counts,
            can_send=can_send,
            **kwargs,
        )


class InvitationResendView(View):
    """POST: send one participant's invitation again, with a new link."""

    def post(self, request, cohort_pk, pk, **kwargs):
        survey = survey_of_page(request, kwargs)
        invitation = get_object_or_404(Invitation.objects.select_related("membership__person"), survey=survey, pk=pk)
        try:
            services.invitation_resend(invitation=invitation)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The invitation to %(name)s is on its way, with a new link.")
                % {"name": invitation.membership.person.full_name},
            )
        return redirect(survey_url(survey, "surveys:invitation_delivery"))


class InvitationResendFailedView(View):
    """POST: send every failed invitation of the survey again."""

    def post(self, request, cohort_pk, **kwargs):
        survey = survey_of_page(request, kwargs)
        try:
            count = services.invitations_resend_failed(survey=survey)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d failed invitation is being sent again.",
                    "%(count)d failed invitations are being sent again.",
                    count,
                )
                % {"count": count},
            )
        return redirect(survey_url(survey, "surveys:invitation_delivery"))
