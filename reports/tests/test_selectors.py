"""The report's dict: every section, plain JSON, suppressed and consented, in a fixed number of queries."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Measure
from projects.tests.factories import (
    ActionLearningSetFactory,
    DataPointFactory,
    ImprovementProjectFactory,
    MeasureFactory,
    ProjectPDSACycleFactory,
)
from reports import selectors, services
from reports.selectors import report_data_build

from .builders import CONSENTED_NAMED, CONSENTED_ROLE, REFLECTION, UNCONSENTED, report_cohort

pytestmark = pytest.mark.django_db


def counts(value):
    """Every count cell ({"value", "suppressed", "display"}) anywhere in the dict."""
    if isinstance(value, dict):
        if set(value) == {"value", "suppressed", "display"}:
            yield value
        else:
            for item in value.values():
                yield from counts(item)
    elif isinstance(value, list):
        for item in value:
            yield from counts(item)


def test_report_data_build_has_every_section_in_plain_json():
    world = report_cohort(6)

    data = report_data_build(cohort=world.cohort)

    assert json.loads(json.dumps(data)) == data
    assert data["summary"]["participants"] == 6
    assert [m["present"]["value"] for m in data["attendance"]["modules"]] == [6, 5, 5, 6, 6, 6]
    # Five of six attended at least five modules; the sixth missed two.
    assert data["attendance"]["completed"]["value"] == 5
    assert data["attendance"]["completed_percent"] == 83
    assert [e["number"] for e in data["pdsa"]] == [1, 2, 3, 4, 5]
    assert data["pdsa"][0]["changes"] == ["Shorter lunch after module 1"]
    assert data["pdsa"][0]["response_rate"] == 100
    assert data["self_assessment"]["visible"]
    team = data["self_assessment"]["dimensions"][0]
    assert team["pre"] == 3.0
    assert team["then"] == 2.0
    assert team["post_then"]["n_pairs"] == 6
    assert team["post_then"]["clear"] is True
    assert data["kirkpatrick"]["visible"]
    assert data["practice"]["total"] == 12
    assert data["projects"][0]["measure"]["name"] == "Days to first contact"
    assert data["projects"][0]["progress_score"] == "3.5"
    assert data["set_reflections"] == [
        {"set": world.project.action_learning_set.name, "text": "We learnt to test small."}
    ]
    assert [q["key"] for q in data["quotes"]] == world.quotes


def test_report_data_build_shows_only_consented_quotes_attributed_as_consented():
    world = report_cohort(6)

    data = report_data_build(cohort=world.cohort)
    text = json.dumps(data)

    assert UNCONSENTED not in text
    # Consented but not chosen: not in the report either (free text reaches it only as a chosen quote).
    assert CONSENTED_ROLE not in text
    assert "Fine" not in [q["text"] for q in data["quotes"]]
    quotes = {q["text"]: q for q in data["quotes"]}
    # "Name and role" on a pseudonymous survey gives the role only: a name would unmask the pseudonym.
    assert quotes[CONSENTED_NAMED]["attribution"] == "Nursing"
    assert quotes[REFLECTION]["attribution"] == "Ward Manager"
    assert world.members[0].person.full_name not in text
    # Each quote carries an opaque person key, never the pseudonym itself.
    assert all(len(q["person"]) == 32 for q in data["quotes"])
    assert selectors.person_keys_of([world.members[0].pk]) == {q["person"] for q in data["quotes"]}


def test_report_data_build_never_shows_a_count_under_three():
    world = report_cohort(4)

    data = report_data_build(cohort=world.cohort)
    cells = list(counts(data))

    assert cells, "the report has count cells"
    assert all(c["value"] is None or c["value"] >= 3 for c in cells)
    assert all(c["display"] == "fewer than 3" for c in cells if c["suppressed"] == "small")
    # The last participant missed modules 2 and 3: 3 present there, so shown; nobody's absence is a figure.
    assert [m["present"]["display"] for m in data["attendance"]["modules"]][:3] == ["4", "3", "3"]
    # With 4 pairs, everyone's change in the same direction: "same" and "declined" are hidden (0 people).
    change = data["self_assessment"]["dimensions"][0]["post_pre"]
    assert change["improved"]["value"] == 4
    assert change["declined"]["suppressed"] == "small"


def test_report_data_build_suppresses_a_small_cohort_entirely():
    world = report_cohort(2, select_quotes=False)

    data = report_data_build(cohort=world.cohort)

    assert data["self_assessment"]["visible"] is False
    assert data["kirkpatrick"]["visible"] is False
    assert data["practice"]["visible"] is False
    assert all(e["headline"][0]["value"] is None for e in data["pdsa"])
    assert data["summary"]["professions"] == [] or all(
        p["count"]["value"] is None or p["count"]["value"] >= 3 for p in data["summary"]["professions"]
    )
    assert all(c["value"] is None for c in counts(data["attendance"]))


def _queries(cohort):
    with CaptureQueriesContext(connection) as context:
        report_data_build(cohort=cohort)
    return len(context)


def test_report_data_build_runs_the_same_queries_whatever_the_cohort_size(django_assert_max_num_queries):
    small = report_cohort(4).cohort
    large = report_cohort(12).cohort
    expected = _queries(small)

    with django_assert_max_num_queries(expected):
        report_data_build(cohort=large)
    assert expected < 60


def test_key_impact_evidence_choices_match_the_reports_own_without_building_it(django_assert_max_num_queries):
    world = report_cohort(4)
    first_set = world.project.action_learning_set
    ImprovementProjectFactory(action_learning_set=first_set, title="Another project of the first set")
    second_set = ActionLearningSetFactory(cohort=world.cohort, name="Zeta set")
    ImprovementProjectFactory(action_learning_set=second_set, title="A project of the last set")
    ImprovementProjectFactory(action_learning_set=ActionLearningSetFactory(), title="Another cohort's project")

    expected = selectors.evidence_choices(report_data_build(cohort=world.cohort))
    with django_assert_max_num_queries(2):
        choices = selectors.evidence_choices_for_cohort(cohort=world.cohort)

    assert choices == expected
    assert sum(key.startswith("project:") for key, _label in choices) == 3
    assert "Another cohort's project" not in str(choices)


def test_key_impact_evidence_choices_of_a_published_report_come_from_its_snapshot():
    world = report_cohort(4)
    services.key_impact_create(cohort=world.cohort, text="Managers coach their staff.")
    report = services.report_publish_for_cohort(cohort=world.cohort, by=world.facilitator.person.user)
    ImprovementProjectFactory(action_learning_set=world.project.action_learning_set, title="Started after publishing")

    choices = selectors.evidence_choices_for_cohort(cohort=world.cohort)

    assert choices == selectors.evidence_choices(report.snapshot)
    assert "Started after publishing" not in str(choices)


def test_the_reports_projects_each_show_their_key_run_chart_with_its_own_pdsa_markers():
    """Each project's key run chart is its first outcome measure, marked with the PDSA cycles that
    test that measure; a project without measures has none; projects come by set, then title."""
    world = report_cohort(4)
    process = MeasureFactory(project=world.project, name="Huddles held", kind=Measure.Kind.PROCESS)
    for week in range(8):
        DataPointFactory(measure=process, date=datetime.date(2026, 1, 5) + datetime.timedelta(weeks=week))
    linked = ProjectPDSACycleFactory(project=world.project, title="Triage huddle", start_date=datetime.date(2026, 2, 2))
    linked.measures.add(world.measure)
    ProjectPDSACycleFactory(project=world.project, title="Unrelated test", start_date=datetime.date(2026, 1, 19))
    other_set = ActionLearningSetFactory(cohort=world.cohort, name="Zeta set", reflections="")
    unmeasured = ImprovementProjectFactory(action_learning_set=other_set, title="No measures yet")

    projects, _reflections = selectors._projects(world.cohort)

    assert [p["id"] for p in projects] == [world.project.pk, unmeasured.pk]
    assert world.measure.kind == Measure.Kind.OUTCOME
    assert projects[0]["measure"]["name"] == world.measure.name
    assert [m["title"] for m in projects[0]["measure"]["layout"]["markers"]] == ["Triage huddle"]
    assert projects[1]["measure"] is None
