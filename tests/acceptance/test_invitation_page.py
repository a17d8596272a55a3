"""Browser tests: a facilitator follows the survey mail on a phone and resends a failed invitation; the
page follows a real worker's sending by itself."""

import datetime
import re

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from cohorts.tests.factories import MembershipFactory, UserFactory
from conftest import sign_in
from modules.tests.factories import ModuleFactory
from surveys import services
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


def test_invitation_page_updates_by_itself_while_the_worker_sends_and_then_stops(
    page, live_server, broker, smtp, worker_factory
):
    """The page is opened while the mail is queued (no worker yet); a real Celery worker then sends
    it through a real SMTP server, and the page shows it without being reloaded, then stops asking."""
    module = ModuleFactory(number=2, title="Leading change", starts_at=timezone.now() - datetime.timedelta(hours=6))
    cohort = module.cohort
    facilitator = UserFactory(username="facilitator-live")
    MembershipFactory(cohort=cohort, role="facilitator", person__user=facilitator)
    people = [MembershipFactory(cohort=cohort) for _ in range(4)]
    with transaction.atomic():
        survey = services.survey_open_and_invite(module=module)  # published to Redis after commit
    assert survey.invitations.filter(status=Invitation.Status.QUEUED).count() == len(people)

    sign_in(page, live_server, facilitator)
    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/surveys/2/mail/")
    status = page.get_by_role("status").filter(has_text="waiting to be sent")
    assert status.inner_text().startswith("4 invitations are waiting to be sent")
    assert page.get_by_role("link", name="Refresh now").is_visible()  # the way without JavaScript
    page.evaluate("window.loadedOnce = true")  # gone if the page were reloaded
    polls = []
    page.on("request", lambda request: polls.append(request.url) if request.url.endswith("/mail/") else None)

    worker_factory()

    page.get_by_text("Every invitation has been handled").wait_for(timeout=30_000)
    assert page.evaluate("window.loadedOnce") is True
    totals = page.get_by_role("region", name="Totals")
    assert totals.get_by_text("Sent", exact=True).locator("xpath=following-sibling::dd").inner_text() == "4"
    for person in people:
        assert "Sent" in page.get_by_role("row", name=re.compile(person.person.full_name)).inner_text()
    assert page.get_by_role("link", name="Refresh now").count() == 0
    assert len(smtp.messages) == len(people)
    # Once nothing is waiting, the page stops asking.
    asked = len(polls)
    page.wait_for_timeout(4000)
    assert len(polls) == asked
