"""A signed-in participant answering one of their own surveys from "my programme".

Only the hash of an e-mailed link is stored, so that link cannot be rebuilt: the view issues a
fresh one (the mailed links keep working) and sends the browser through the usual link page,
which moves the token into the answering cookie.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View

from surveys.models import Invitation, Survey
from surveys.services import invitation_issue_token


class MyInvitationAnswerView(View):
    http_method_names = ["post"]

    def post(self, request, pk):
        invitation = get_object_or_404(
            Invitation.objects.with_active_membership()
            .filter(membership__person__user=request.user, survey__in=Survey.objects.accepting())
            .select_related("survey"),
            pk=pk,
        )
        if invitation.answer_is_final:
            messages.info(
                request,
                _(
                    "You have already answered this anonymous survey, thank you. Your answers can only be "
                    "changed from the link you used to give them."
                ),
            )
            return redirect("accounts:my_programme")
        token = invitation_issue_token(invitation=invitation)
        return redirect("surveys:answer_start", token=token)
