"""Browser test: a facilitator follows the survey mail on a phone and resends a failed invitation."""

import re

import pytest
from django.core import mail
from django.utils import timezone

from cohorts.tests.factories import MembershipFactory, UserFactory
from conftest import sign_in
from modules.tests.factories import ModuleFactory
from surveys.models import Invitation
from surveys.tests.factories import InvitationFactory, SurveyFactory

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]


def test_facilitator_sees_each_invitation_state_and_resends_on_a_phone(phone_page, live_server):
    survey = SurveyFactory(module=ModuleFactory(number=4, title="Coaching conversations"))
    cohort = survey.module.cohort
    facilitator = UserFactory(username="facilitator-mail")
    MembershipFactory(cohort=cohort, role="facilitator", person__user=facilitator)
    now = timezone.now()
    InvitationFactory(survey=survey, membership__person__full_name="Aled Sent", status="sent", sent_at=now)
    InvitationFactory(
        survey=survey, membership__person__full_name="Bronwen Answered", status="sent", sent_at=now, responded_at=now
    )
    failed = InvitationFactory(
        survey=survey,
        membership__person__full_name="Cerys Refused",
        status="failed",
        last_error="cerys@example.org: 550 5.1.1 No such user",
    )
    page = phone_page

    sign_in(page, live_server, facilitator)
    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/surveys/4/mail/")

    assert page.get_by_role("heading", level=1).inner_text().startswith("Survey mail for module 4")
    row = page.get_by_role("row", name=re.compile("Cerys Refused"))
    assert "Failed" in row.inner_text()
    assert "550 5.1.1 No such user" in row.inner_text()
    assert "Yes" in page.get_by_role("row", name=re.compile("Bronwen Answered")).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    row.get_by_role("button", name=re.compile(r"^Resend\W+Cerys Refused")).click()
    page.get_by_text("The invitation to Cerys Refused is on its way").wait_for()

    assert "Sent" in page.get_by_role("row", name=re.compile("Cerys Refused")).inner_text()
    failed.refresh_from_db()
    assert failed.status == Invitation.Status.SENT
    assert [m.to[0] for m in mail.outbox] == [failed.membership.person.email]
