import pytest

from accounts import services
from cohorts.tests.factories import MembershipFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_sign_in_link_send_mails_a_link_only_to_known_members(mailoutbox, cohort):
    person = PersonFactory(email="ward.manager@example.org", user=UserFactory())
    MembershipFactory(cohort=cohort, person=person)

    assert services.sign_in_link_send(email="Ward.Manager@example.org ") is True
    assert services.sign_in_link_send(email="nobody@example.org") is False

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ward.manager@example.org"]
    assert "/sign-in/link/use/?sesame=" in mailoutbox[0].body
