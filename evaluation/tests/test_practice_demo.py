import pytest
from django.db.models import Count
from django.utils import timezone

from demo import scenario as cohorts_demo
from evaluation import demo, selectors
from evaluation.models import PracticeMoment
from projects import demo as projects_demo

pytestmark = pytest.mark.django_db


def test_populate_logs_moments_for_two_thirds_of_the_cohort():
    data = cohorts_demo.populate()
    projects_demo.populate(demo=data)

    moments = demo.populate(demo=data)

    per_person = dict(
        PracticeMoment.objects.filter(membership__cohort=data.cohort)
        .values_list("membership")
        .annotate(n=Count("id"))
        .values_list("membership", "n")
    )
    assert len(per_person) == 20
    assert all(1 <= n <= 6 for n in per_person.values())
    assert len(moments) == sum(per_person.values())
    jodie = next(m for m in data.participants if m.person.full_name == cohorts_demo.PARTICIPANT_WITH_LOGIN)
    assert jodie.pk in per_person
    hers = PracticeMoment.objects.filter(membership=jodie).exclude(reflection="")
    assert sorted(hers.values_list("shared_with_set", flat=True)) == [False, True]
    methods = [m.method for m in moments]
    assert methods.count(PracticeMoment.Method.GROW) + methods.count(PracticeMoment.Method.APPRECIATIVE_INQUIRY) > (
        len(moments) / 2
    )
    assert [m.with_whom for m in moments].count(PracticeMoment.WithWhom.TEAM) > len(moments) / 2
    modules = {m.number: m for m in data.cohort.modules.all()}
    assert all(m.date >= data.cohort.start_date for m in moments)
    assert all(m.date <= modules[4].starts_at.date() for m in moments)
    shared = [m for m in moments if m.shared_with_set]
    assert 3 <= len(shared) <= len([m for m in moments if m.reflection])
    # The logged-at times follow the moments' dates, so the monthly nudge sees who has been quiet.
    assert all(timezone.localtime(m.created_at).date() == m.date for m in PracticeMoment.objects.all())

    summary = selectors.practice_summary(cohort=data.cohort)
    assert summary.visible
    assert (summary.active_participants, summary.loggers) == (30, 20)
    assert summary.total_moments == len(moments)


def test_populate_twice_changes_nothing():
    data = cohorts_demo.populate()
    demo.populate(demo=data)
    before = list(PracticeMoment.objects.order_by("pk").values_list("pk", "date", "method"))

    demo.populate(demo=data)

    assert list(PracticeMoment.objects.order_by("pk").values_list("pk", "date", "method")) == before
