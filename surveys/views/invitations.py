"""Facilitators follow the survey mail: each invitation's delivery state, and resending.

Access: only the cohort's facilitators and staff (common.middleware.CohortAccessMiddleware);
the survey and invitation are looked up inside ``request.cohort``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from modules.models import Module
from surveys import selectors, services
from surveys.models import Invitation, Survey


def _survey(request, number) -> Survey:
    module = get_object_or_404(Module.objects.select_related("cohort"), cohort=request.cohort, number=number)
    survey = Survey.objects.filter(module=module).first()
    if survey is None:
        raise Http404
    survey.module = module
    return survey


def _delivery_url(survey: Survey) -> str:
    return reverse(
        "surveys:invitation_delivery", kwargs={"cohort_pk": survey.module.cohort_id, "number": survey.module.number}
    )


class InvitationDeliveryView(View):
    template_name = "surveys/invitation_delivery.html"

    def get(self, request, cohort_pk, number):
        survey = _survey(request, number)
        invitations, counts = selectors.invitation_delivery_for_survey(survey=survey)
        context = {
            "cohort": request.cohort,
            "module": survey.module,
            "survey": survey,
            "invitations": invitations,
            "counts": counts,
            "can_send": survey.status == Survey.Status.OPEN,
        }
        return render(request, self.template_name, context)


class InvitationResendView(View):
    """POST: send one participant's invitation again, with a new link."""

    def post(self, request, cohort_pk, number, pk):
        survey = _survey(request, number)
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
        return redirect(_delivery_url(survey))


class InvitationResendFailedView(View):
    """POST: send every failed invitation of the survey again."""

    def post(self, request, cohort_pk, number):
        survey = _survey(request, number)
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
        return redirect(_delivery_url(survey))
