"""Writing the practice log: create, edit, delete, and the rules a moment must keep."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cohorts.tests.factories import CohortFactory, MembershipFactory
from evaluation import services
from evaluation.models import PracticeMoment, PracticeNudgePreference
from evaluation.selectors import practice_nudges_are_on

from .factories import PracticeMomentFactory, participant

pytestmark = pytest.mark.django_db

M = PracticeMoment.Method
W = PracticeMoment.WithWhom


def _create(cohort, membership, **overrides):
    arguments = {
        "date": timezone.localdate(),
        "method": M.GROW,
        "with_whom": W.TEAM,
        "reflection": "",
        "shared_with_set": False,
        **overrides,
    }
    return services.practice_moment_create(cohort=cohort, membership=membership, **arguments)


def test_practice_moment_create_stores_the_moment(cohort):
    me = participant(cohort)

    moment = _create(
        cohort,
        me,
        method=M.APPRECIATIVE_INQUIRY,
        with_whom=W.PATIENT_GROUP,
        reflection="  Asked what worked well last week.  ",
        shared_with_set=True,
    )

    moment.refresh_from_db()
    assert moment.membership == me
    assert moment.date == timezone.localdate()
    assert (moment.method, moment.with_whom) == (M.APPRECIATIVE_INQUIRY, W.PATIENT_GROUP)
    assert moment.reflection == "Asked what worked well last week."
    assert moment.shared_with_set is True


def test_practice_moment_create_refuses_a_future_date(cohort):
    me = participant(cohort)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        _create(cohort, me, date=tomorrow)

    assert "date" in error.value.error_dict
    assert not PracticeMoment.objects.exists()


def test_practice_moment_create_refuses_a_date_before_the_cohort_started(cohort):
    me = participant(cohort)

    with pytest.raises(ValidationError) as error:
        _create(cohort, me, date=cohort.start_date - datetime.timedelta(days=1))

    assert "before the programme started" in str(error.value.error_dict["date"])
    moment = _create(cohort, me, date=cohort.start_date)
    assert moment.date == cohort.start_date


def test_practice_moment_create_refuses_a_membership_of_another_cohort(cohort):
    elsewhere = participant(CohortFactory())

    with pytest.raises(ValidationError) as error:
        _create(cohort, elsewhere)

    assert error.value.code == "wrong_cohort"
    assert not PracticeMoment.objects.exists()


@pytest.mark.parametrize("role", ["facilitator", "set_facilitator"])
def test_practice_moment_create_is_for_participants_only(cohort, role):
    member = MembershipFactory(cohort=cohort, role=role)

    with pytest.raises(ValidationError) as error:
        _create(cohort, member)

    assert error.value.code == "not_participant"


def test_practice_moment_create_refuses_a_withdrawn_participant(cohort):
    me = participant(cohort, status="withdrawn", withdrawn_on=datetime.date(2026, 3, 1))

    with pytest.raises(ValidationError):
        _create(cohort, me)


def test_practice_moment_create_refuses_an_unknown_method_and_a_long_reflection(cohort):
    me = participant(cohort)

    with pytest.raises(ValidationError) as error:
        _create(cohort, me, method="yoga", with_whom="my boss", reflection="x" * 1001)

    assert set(error.value.error_dict) == {"method", "with_whom", "reflection"}


def test_practice_moment_choices_are_guarded_by_the_database(cohort):
    me = participant(cohort)
    for method in M.values:
        PracticeMomentFactory(membership=me, method=method)
    for with_whom in W.values:
        PracticeMomentFactory(membership=me, with_whom=with_whom)

    for field, bad in (("method", "yoga"), ("with_whom", "Dr Smith")):
        with pytest.raises(IntegrityError), transaction.atomic():
            PracticeMomentFactory(membership=me, **{field: bad})


def test_practice_moment_update_changes_own_moment(cohort):
    me = participant(cohort)
    moment = PracticeMomentFactory(membership=me, reflection="First go")

    services.practice_moment_update(
        moment=moment,
        membership=me,
        date=cohort.start_date,
        method=M.PDSA,
        with_whom=W.COLLEAGUE,
        reflection="Second go",
        shared_with_set=True,
    )

    moment.refresh_from_db()
    assert (moment.date, moment.method, moment.with_whom) == (cohort.start_date, M.PDSA, W.COLLEAGUE)
    assert (moment.reflection, moment.shared_with_set) == ("Second go", True)


def test_practice_moment_update_validates_the_date(cohort):
    me = participant(cohort)
    moment = PracticeMomentFactory(membership=me)

    with pytest.raises(ValidationError):
        services.practice_moment_update(
            moment=moment,
            membership=me,
            date=timezone.localdate() + datetime.timedelta(days=3),
            method=M.GROW,
            with_whom=W.TEAM,
            reflection="",
            shared_with_set=False,
        )

    moment.refresh_from_db()
    assert moment.date == cohort.start_date + datetime.timedelta(days=7)


def test_practice_moment_update_and_delete_refuse_someone_elses_moment(cohort):
    mine, theirs = participant(cohort), participant(cohort)
    moment = PracticeMomentFactory(membership=theirs, reflection="Theirs")

    with pytest.raises(PermissionDenied):
        services.practice_moment_update(
            moment=moment,
            membership=mine,
            date=timezone.localdate(),
            method=M.OTHER,
            with_whom=W.OTHER,
            reflection="Mine now",
            shared_with_set=True,
        )
    with pytest.raises(PermissionDenied):
        services.practice_moment_delete(moment=moment, membership=mine)

    moment.refresh_from_db()
    assert (moment.reflection, moment.shared_with_set) == ("Theirs", False)


def test_practice_moment_delete_removes_own_moment(cohort):
    me = participant(cohort)
    moment, other = PracticeMomentFactory(membership=me), PracticeMomentFactory(membership=me)

    services.practice_moment_delete(moment=moment, membership=me)

    assert list(PracticeMoment.objects.all()) == [other]


def test_practice_nudges_set_switches_off_and_on(cohort):
    me = participant(cohort)
    assert practice_nudges_are_on(membership=me)

    services.practice_nudges_set(membership=me, on=False)
    assert not practice_nudges_are_on(membership=me)

    services.practice_nudges_set(membership=me, on=True)
    assert practice_nudges_are_on(membership=me)
    assert PracticeNudgePreference.objects.filter(membership=me).count() == 1
