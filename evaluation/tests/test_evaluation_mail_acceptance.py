"""The evaluation surveys' invitations end to end: a real Celery worker process, real Redis, a real
SMTP server, PostgreSQL (fixtures in tests/acceptance/conftest.py).

One cohort goes through the whole schedule: the self-assessment before the programme on its start
date, the self-assessment after it and the end-of-programme evaluation when module 6 is marked
delivered, the follow-up on its date. Each participant gets each invitation once, and its link opens
that survey.
"""

import collections
import datetime

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.factories import CohortFactory, MembershipFactory
from evaluation.models import CohortEvaluation
from evaluation.services import evaluation_surveys_open_due
from modules.services import module_mark_delivered
from modules.tests.factories import ModuleFactory
from surveys.models import Invitation, Survey
from surveys.tokens import token_hash
from tests.acceptance import conftest as acceptance
from tests.acceptance.test_survey_mail import LINK, all_done, plain_text, wait_until

pytestmark = pytest.mark.acceptance

# The real worker, broker, SMTP server and database are the acceptance suite's fixtures; taken in
# here by name so that this test sits with its app (pytest finds fixtures among a module's names).
broker, postgres, smtp, smtp_server = acceptance.broker, acceptance.postgres, acceptance.smtp, acceptance.smtp_server
worker, worker_factory = acceptance.worker, acceptance.worker_factory

PARTICIPANTS = 6


def _sent_once_each(server, survey, members):
    """Wait for the survey's invitations, then check each participant got exactly one mail for it."""
    wait_until(lambda: all_done(survey), message=f"the {survey.get_kind_display()} invitations sent")
    assert set(survey.invitations.values_list("status", flat=True)) == {Invitation.Status.SENT}
    subjects = collections.Counter(
        (address, message["Subject"]) for address in set(server.recipients()) for message in server.messages_to(address)
    )
    for member in members:
        assert subjects[(member.person.email, str(survey.title))] == 1


def _link_opens_its_survey(server, survey, member):
    (message,) = [m for m in server.messages_to(member.person.email) if m["Subject"] == str(survey.title)]
    link = LINK.search(plain_text(message)).group(0)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert Invitation.objects.by_token_hash(token_hash(token)).get().survey == survey

    client = Client()
    page = client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200  # the link shows its survey's form at once
    assert page.context["survey"] == survey
    assert str(survey.title) in page.content.decode()
    # The token is kept in the cookie: the answering page it posts to is the same survey's.
    # (Drawn once already: the page, not a context, shows whose it is.)
    assert str(survey.title) in client.get(reverse("surveys:answer")).content.decode()


def test_pre_post_evaluation_and_follow_up_invitations_reach_each_participant_once(worker, smtp):
    today = timezone.localdate()
    cohort = CohortFactory(name="Coast Trust Cohort 5", start_date=today)
    members = [MembershipFactory(cohort=cohort) for _ in range(PARTICIPANTS)]
    last = ModuleFactory(cohort=cohort, number=6, starts_at=timezone.now() - datetime.timedelta(hours=8))

    # The cohort starts today: the periodic job opens the self-assessment before the programme.
    (pre_id,) = evaluation_surveys_open_due()
    pre = Survey.objects.get(pk=pre_id)
    assert pre.kind == Survey.Kind.SELF_PRE
    _sent_once_each(smtp, pre, members)

    # Module 6 marked delivered (as the request does, in one transaction): post and evaluation open.
    with transaction.atomic():
        module_mark_delivered(module=last)
    post = Survey.objects.get(cohort=cohort, kind=Survey.Kind.SELF_POST)
    evaluation = Survey.objects.get(cohort=cohort, kind=Survey.Kind.EVALUATION)
    _sent_once_each(smtp, post, members)
    _sent_once_each(smtp, evaluation, members)

    # The follow-up date has come; the job runs again and opens only the follow-up.
    CohortEvaluation.objects.filter(cohort=cohort).update(follow_up_on=today)
    (follow_up_id,) = evaluation_surveys_open_due()
    follow_up = Survey.objects.get(pk=follow_up_id)
    assert follow_up.kind == Survey.Kind.FOLLOW_UP
    _sent_once_each(smtp, follow_up, members)

    # Nothing else went out, and running the job or the delivery again sends nothing more.
    assert evaluation_surveys_open_due() == []
    module_mark_delivered(module=last)
    counts = collections.Counter(smtp.recipients())
    assert sorted(counts) == sorted(m.person.email for m in members)
    assert set(counts.values()) == {4}
    assert Invitation.objects.filter(survey__cohort=cohort).count() == 4 * PARTICIPANTS

    member = members[2]
    for survey in (pre, post, evaluation, follow_up):
        _link_opens_its_survey(smtp, survey, member)
