import pytest

from demo import scenario as cohorts_demo
from projects import demo, selectors
from projects.models import ActionLearningSet, DataPoint, Presentation, ProjectPDSACycle, SetMembership

pytestmark = pytest.mark.django_db


def test_populate_builds_five_sets_of_six_with_projects_showing_a_shift():
    data = cohorts_demo.populate()

    projects = demo.populate(demo=data)

    sets = ActionLearningSet.objects.filter(cohort=data.cohort)
    assert sets.count() == 5
    assert sorted(s.set_memberships.count() for s in sets) == [6, 6, 6, 6, 6]
    assert Presentation.objects.filter(cohort=data.cohort).count() == 5
    for project in projects:
        detail = selectors.project_get(cohort=data.cohort, pk=project.pk)
        measures = list(detail.measures.all())
        assert detail.aim
        assert detail.driver_tree
        assert len(measures) >= 2
        assert detail.pdsa_cycles.exists()
        assert measures[0].chart.analysis.enough_data
        assert measures[0].chart.analysis.shifts, project.title


def test_populate_twice_changes_nothing():
    data = cohorts_demo.populate()
    demo.populate(demo=data)
    counts = [m.objects.count() for m in (ActionLearningSet, SetMembership, DataPoint, ProjectPDSACycle, Presentation)]

    demo.populate(demo=data)

    assert [
        m.objects.count() for m in (ActionLearningSet, SetMembership, DataPoint, ProjectPDSACycle, Presentation)
    ] == counts
