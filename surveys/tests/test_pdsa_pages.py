"""The PDSA pages (moved here from modules with their code): selectors, views, permissions and
query counts."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.factories import MembershipFactory
from modules.models import PDSACycle
from modules.tests.factories import ActItemFactory, AttendanceFactory, PDSACycleFactory, modules_for_cohort
from surveys.selectors import (
    ScoreMove,
    SurveySummary,
    pdsa_entry_for_module,
    pdsa_timeline_for_cohort,
    score_moves,
)
from surveys.tests.surveydata import survey_with_results
from tests.guards import (
    client_for,
    cohort_url,
    module_page_access_tests,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def participants(cohort):
    # Three, as the root conftest's, not the four of surveys/tests/conftest.py.
    return MembershipFactory.create_batch(3, cohort=cohort)


# Selectors


def _summary(headline):
    return SurveySummary(survey=None, invited=10, responded=8, response_rate=0.8, headline=headline, results_url="")


@pytest.mark.parametrize(
    ("kind", "before", "after", "direction"),
    [
        ("mean", 3.5, 4.2, "up"),
        ("mean", 4.2, 3.9, "down"),
        ("mean", 4.04, 3.96, "same"),  # both 4.0 as shown
        ("nps", 20.0, 20.4, "same"),
        ("nps", 20.0, -5.0, "down"),
    ],
)
def test_score_move_direction_follows_the_values_as_shown(kind, before, after, direction):
    move = ScoreMove(code="q", label="Q", kind=kind, before=before, after=after)

    assert move.direction == direction


def test_score_moves_pairs_questions_with_values_in_both_surveys():
    before = _summary([("usefulness", "Useful", 3.2, "mean"), ("confidence", "Confident", None, "mean")])
    after = _summary([("usefulness", "Useful", 4.1, "mean"), ("confidence", "Confident", 3.0, "mean")])

    moves = score_moves(before, after)

    assert [(m.code, m.before, m.after, m.direction) for m in moves] == [("usefulness", 3.2, 4.1, "up")]
    assert score_moves(before, None) == []


def test_pdsa_timeline_shows_cycles_changes_and_score_moves(cohort):
    modules = modules_for_cohort(cohort)
    people = MembershipFactory.create_batch(5, cohort=cohort)
    survey_with_results(module=modules[0], memberships=people, usefulness=[3, 3, 4, 2], recommend=[6, 7, 9, 5])
    survey_with_results(module=modules[1], memberships=people, usefulness=[5, 4, 4, 5, 4], recommend=[9, 9, 10, 8, 6])
    cycle = PDSACycleFactory(module=modules[0], study_reading="More group work wanted")
    ActItemFactory(cycle=cycle, text="More small-group time")
    AttendanceFactory(module=modules[0], membership=people[0], status="present")
    AttendanceFactory(module=modules[0], membership=people[1], status="absent")

    entries = pdsa_timeline_for_cohort(cohort=cohort)

    assert [e.module.number for e in entries] == [1, 2, 3, 4, 5]
    first, second = entries[0], entries[1]
    assert first.cycle == cycle
    assert [i.text for i in first.act_items] == ["More small-group time"]
    assert [i.text for i in second.planned_from_previous] == ["More small-group time"]
    assert (first.figures.present, first.figures.absent, first.figures.not_recorded) == (1, 1, 3)
    assert (first.survey.invited, first.survey.responded) == (5, 4)
    moves = {m.code: m for m in first.moves}
    assert moves["usefulness"].before == pytest.approx(3.0)
    assert moves["usefulness"].after == pytest.approx(4.4)
    assert moves["usefulness"].direction == "up"
    # NPS: module 1 has 1 promoter and 2 detractors of 4 (-25); module 2 has 3 of 5 and 1 of 5 (+40).
    assert (moves["recommend"].before, moves["recommend"].after) == (pytest.approx(-25), pytest.approx(40))
    assert "confidence" not in moves
    assert second.moves == []  # no survey after module 3 yet


def test_pdsa_entry_for_module_has_planned_and_own_items(cohort):
    modules = modules_for_cohort(cohort)
    ActItemFactory(cycle=PDSACycleFactory(module=modules[0]), text="From module 1")
    ActItemFactory(cycle=PDSACycleFactory(module=modules[1]), text="For module 3")

    entry, navigation = pdsa_entry_for_module(cohort=cohort, number=2)

    assert [i.text for i in entry.planned_from_previous] == ["From module 1"]
    assert [i.text for i in entry.act_items] == ["For module 3"]
    assert (entry.previous_module, entry.next_module) == (modules[0], modules[2])
    assert len(navigation) == 6
    assert pdsa_entry_for_module(cohort=cohort, number=6)[0] is None


# The PDSA cycle page and the timeline


def test_pdsa_cycle_update_saves_cycle_and_act_items(facilitator_client, cohort, modules):
    data = {
        "plan_intent": "Introduce collective leadership",
        "plan_prediction": "Most will rate usefulness 4+",
        "do_notes": "Good energy",
        "study_reading": "They want more group work",
        "act-TOTAL_FORMS": "2",
        "act-INITIAL_FORMS": "0",
        "act-MIN_NUM_FORMS": "0",
        "act-MAX_NUM_FORMS": "30",
        "act-0-text": "More small-group time in module 2",
        "act-1-text": "",
    }

    response = facilitator_client.post(cohort_url("surveys:pdsa_cycle_update", cohort, 1), data)

    assert response.status_code == 302
    cycle = PDSACycle.objects.get(module=modules[0])
    assert cycle.study_reading == "They want more group work"
    assert list(cycle.act_items.values_list("text", flat=True)) == ["More small-group time in module 2"]
    page = facilitator_client.get(cohort_url("modules:module_detail", cohort, 2)).content.decode()
    assert "More small-group time in module 2" in page
    assert "Tick off as done" in page


def _pdsa_post(items, **fields):
    data = {
        "plan_intent": "Changed intent",
        "plan_prediction": "",
        "do_notes": "",
        "study_reading": "",
        "act-TOTAL_FORMS": str(len(items)),
        "act-INITIAL_FORMS": "0",
        "act-MIN_NUM_FORMS": "0",
        "act-MAX_NUM_FORMS": "30",
        **fields,
    }
    for index, (pk, text) in enumerate(items):
        data[f"act-{index}-pk"] = "" if pk is None else str(pk)
        data[f"act-{index}-text"] = text
    return data


def test_pdsa_cycle_update_emptied_item_is_an_error_and_nothing_changes(facilitator_client, cohort, modules):
    item = ActItemFactory(cycle=PDSACycleFactory(module=modules[0], plan_intent="Original"), text="Keep me")

    response = facilitator_client.post(
        cohort_url("surveys:pdsa_cycle_update", cohort, 1), _pdsa_post([(item.pk, ""), (None, "New change")])
    )

    assert response.status_code == 400
    assert "Write the change, or tick “Remove” to delete it." in response.content.decode()
    item.refresh_from_db()
    assert item.text == "Keep me"
    assert item.cycle.act_items.count() == 1
    assert PDSACycle.objects.get(module=modules[0]).plan_intent == "Original"


def test_pdsa_cycle_update_with_another_cycles_item_is_refused(facilitator_client, cohort, modules):
    other = ActItemFactory(text="Other cohort's change")

    response = facilitator_client.post(
        cohort_url("surveys:pdsa_cycle_update", cohort, 1), _pdsa_post([(other.pk, "Taken over")])
    )

    assert response.status_code == 400
    assert "no longer exists" in response.content.decode()
    other.refresh_from_db()
    assert other.text == "Other cohort's change"
    assert not PDSACycle.objects.filter(module=modules[0]).exists()


def test_pdsa_cycle_update_get_shows_saved_items(facilitator_client, cohort, modules):
    item = ActItemFactory(cycle=PDSACycleFactory(module=modules[1], plan_intent="Work on wicked problems"))

    content = facilitator_client.get(cohort_url("surveys:pdsa_cycle_update", cohort, 2)).content.decode()

    assert "Work on wicked problems" in content
    assert f'value="{item.text}"' in content
    assert 'name="act-0-delete"' in content


def test_pdsa_cycle_update_for_module_6_is_404(facilitator_client, cohort, modules):
    assert facilitator_client.get(cohort_url("surveys:pdsa_cycle_update", cohort, 6)).status_code == 404


def test_pdsa_timeline_shows_whether_scores_moved_in_words(facilitator_client, cohort, modules):
    people = MembershipFactory.create_batch(3, cohort=cohort)
    survey_with_results(module=modules[0], memberships=people, usefulness=[3, 3, 3], recommend=[9, 9, 5])
    survey_with_results(module=modules[1], memberships=people, usefulness=[4, 4, 5], recommend=[9, 5, 5])
    ActItemFactory(cycle=PDSACycleFactory(module=modules[0]), text="Use participants' own cases")

    content = facilitator_client.get(cohort_url("surveys:pdsa_timeline", cohort)).content.decode()

    assert "Headline scores, module 1 → module 2" in content
    assert '<td class="move-up"><span aria-hidden="true">▲</span> up</td>' in content
    assert '<td class="move-down"><span aria-hidden="true">▼</span> down</td>' in content
    assert "3.0" in content
    assert "4.3" in content
    assert "3 of 3 invited responded (100%)" in content


def test_pdsa_timeline_shows_five_cycles_and_changes(facilitator_client, cohort, modules, participants):
    cycle = PDSACycleFactory(module=modules[0], study_reading="They asked for more group work")
    ActItemFactory(cycle=cycle, text="More small-group time", done=True, done_at=timezone.now())
    AttendanceFactory(module=modules[0], membership=participants[0], status="present")

    response = facilitator_client.get(cohort_url("surveys:pdsa_timeline", cohort))

    content = response.content.decode()
    assert response.status_code == 200
    assert content.count('class="h4" id="cycle-') == 5
    assert "They asked for more group work" in content
    assert "More small-group time" in content
    assert "Module 6" not in content


def test_cohort_page_links_to_the_pdsa_timeline(facilitator_client, cohort, modules):
    content = facilitator_client.get(reverse("modules:cohort_detail", kwargs={"cohort_pk": cohort.pk})).content.decode()

    assert f'href="{cohort_url("surveys:pdsa_timeline", cohort)}"' in content


# Permissions: every PDSA page answers 404 to anyone but the cohort's facilitators and staff


def _all_urls(cohort, item):
    return [
        ("get", cohort_url("surveys:pdsa_cycle_update", cohort, 2)),
        ("post", cohort_url("surveys:pdsa_cycle_update", cohort, 2)),
        ("get", cohort_url("surveys:pdsa_timeline", cohort)),
    ]


(
    test_every_url_is_404_for_people_who_do_not_facilitate_the_cohort,
    test_every_url_redirects_anonymous_users_to_login,
    test_every_get_url_opens_for_the_facilitator_and_staff,
) = module_page_access_tests(_all_urls)


# Query counts: the same for 5 and 50 participants


def _survey_results(number, module, participants):
    scores = [(i + number) % 5 + 1 for i in range(len(participants))]
    survey_with_results(module=module, memberships=participants, usefulness=scores, recommend=scores)


# Measured: the session, the user, the membership with its cohort (middleware), the request's
# savepoint pair (ATOMIC_REQUESTS inside the test transaction) and the page's own queries,
# which include one for the survey summaries on PostgreSQL (the surveys with their counts and their
# headline answers' tallies), two elsewhere.
@pytest.mark.parametrize(
    ("name", "number", "expected"),
    [("surveys:pdsa_cycle_update", 2, 9), ("surveys:pdsa_timeline", None, 8)],
)
@pytest.mark.parametrize("size", [5, 50])
def test_page_query_count_is_constant_in_cohort_size(
    django_assert_num_queries, fill_cohort, facilitator, cohort, name, number, expected, size
):
    fill_cohort(cohort, modules_for_cohort(cohort), size, each_module=_survey_results)
    client = client_for(facilitator)
    url = cohort_url(name, cohort, number)

    with django_assert_num_queries(expected + (connection.vendor != "postgresql")):
        response = client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count("<fieldset") == 0
