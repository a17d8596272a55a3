import pytest

from cohorts.tests.factories import MembershipFactory
from modules.tests.factories import ModuleFactory
from surveys.services import invitation_issue_token, survey_open_for_module


@pytest.fixture
def module(cohort):
    return ModuleFactory(cohort=cohort, number=1)


@pytest.fixture
def participants(cohort):
    return [MembershipFactory(cohort=cohort) for _ in range(4)]


@pytest.fixture
def open_survey(module, participants):
    return survey_open_for_module(module=module)


@pytest.fixture
def linked(open_survey):
    """[(invitation, token)] for every invitation of the open survey."""
    pairs = []
    for invitation in open_survey.invitations.order_by("membership_id"):
        pairs.append((invitation, invitation_issue_token(invitation=invitation)))
    return pairs
