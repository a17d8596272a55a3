"""projects reacts to cohorts' membership_withdrawn signal (projects/receivers.py)."""

import pytest

from cohorts.models import Membership
from cohorts.signals import membership_withdrawn
from projects.models import SetMembership
from projects.tests.factories import SetMembershipFactory

pytestmark = pytest.mark.django_db


def test_membership_withdrawn_takes_the_member_out_of_their_set_and_its_facilitation():
    link = SetMembershipFactory()
    the_set = link.action_learning_set
    the_set.set_facilitator = link.membership
    the_set.save()

    membership_withdrawn.send(sender=Membership, membership=link.membership)

    assert not SetMembership.objects.filter(pk=link.pk).exists()
    the_set.refresh_from_db()
    assert the_set.set_facilitator is None
