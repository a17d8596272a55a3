import datetime

import factory

from cohorts.tests.factories import MembershipFactory, UserFactory
from evaluation.models import PracticeMoment


class PracticeMomentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PracticeMoment

    membership = factory.SubFactory(MembershipFactory)
    date = factory.LazyAttribute(lambda m: m.membership.cohort.start_date + datetime.timedelta(days=7))
    method = PracticeMoment.Method.GROW
    with_whom = PracticeMoment.WithWhom.TEAM


def participant(cohort, **kwargs):
    """An active participant of ``cohort`` who can sign in."""
    kwargs.setdefault("person__user", UserFactory())
    return MembershipFactory(cohort=cohort, **kwargs)
