import datetime

import factory
from django.contrib.auth import get_user_model
from django.test import Client

from cohorts.models import Cohort, Membership, ModuleOutline, Organisation, Person, Programme

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.COMMISSIONER


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"Leadership Programme {n}")
    provider = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.PROVIDER)


class ModuleOutlineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModuleOutline

    programme = factory.SubFactory(ProgrammeFactory)
    number = factory.Sequence(lambda n: n % 6 + 1)
    title = factory.LazyAttribute(lambda o: f"Module {o.number}")
    weeks_after_start = factory.LazyAttribute(lambda o: (o.number - 1) * 4)


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    programme = factory.SubFactory(ProgrammeFactory)
    commissioner = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Cohort {n}")
    start_date = datetime.date(2026, 1, 12)
    status = Cohort.Status.RUNNING


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    full_name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    job_title = "Team manager"
    profession = Person.Profession.NURSE


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    cohort = factory.SubFactory(CohortFactory)
    person = factory.SubFactory(PersonFactory)
    role = Membership.Role.PARTICIPANT


def client_for(user) -> Client:
    """A test client signed in as ``user``."""
    client = Client()
    client.force_login(user)
    return client
