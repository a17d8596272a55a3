"""The home page, the cohort page and its edit page (moved here from cohorts: they show modules)."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort, Membership, Person
from cohorts.tests.factories import CohortFactory, MembershipFactory, PersonFactory, UserFactory
from modules.models import Attendance, Module
from modules.tests.factories import AttendanceFactory, add_participants, make_modules

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


def detail_url(cohort):
    return reverse("modules:cohort_detail", kwargs={"cohort_pk": cohort.pk})


def test_home_lists_facilitated_cohorts_with_progress(facilitator_client, cohort):
    make_modules(cohort, delivered=2)
    other = CohortFactory(name="Someone else's cohort")

    response = facilitator_client.get(reverse("home"))

    assert response.status_code == 200
    assert cohort.name in response.text
    assert other.name not in response.text
    assert "2 of 6 modules delivered" in response.text
    assert "Module 3: Topic 3" in response.text
    assert detail_url(cohort) in response.text


def test_home_shows_all_cohorts_to_staff(client, staff_user):
    first, second = CohortFactory(), CohortFactory()
    client.force_login(staff_user)

    response = client.get(reverse("home"))

    assert first.name in response.text
    assert second.name in response.text


def test_home_sends_a_participant_to_my_programme_with_their_cohort_and_module_dates(client, cohort):
    make_modules(cohort)
    user = UserFactory()
    MembershipFactory(cohort=cohort, person__user=user)
    CohortFactory(name="Not mine")
    client.force_login(user)

    response = client.get(reverse("home"), follow=True)

    assert response.redirect_chain == [(reverse("accounts:my_programme"), 302)]
    assert response.status_code == 200
    assert "My programme" in response.text
    assert cohort.name in response.text
    assert "Not mine" not in response.text
    assert "Monday 12 January 2026, 09:30" in response.text
    # Participants do not get a link to the facilitators' cohort page.
    assert f'href="{detail_url(cohort)}"' not in response.text


def test_home_query_count_is_the_same_for_5_and_50_participants(client, django_assert_num_queries):
    user = UserFactory()
    person = PersonFactory(user=user)
    for size in (5, 50):
        cohort = CohortFactory()
        add_participants(cohort, make_modules(cohort), size)
        MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR, person=person)
    client.force_login(user)
    client.get(reverse("home"))  # warm the session

    # session, user, cohorts with progress (all of a facilitator's, counted and paged from the list),
    # their facilitators, cohorts taken part in; plus the SAVEPOINT/RELEASE pair that ATOMIC_REQUESTS
    # opens inside the test's transaction.
    with django_assert_num_queries(5 + 2):
        response = client.get(reverse("home"))
    assert response.text.count("3 of 6 modules delivered") == 2
    assert "50 active participants" in response.text


def test_cohort_detail_shows_timeline_participants_and_attendance(facilitator_client, cohort):
    modules = make_modules(cohort, delivered=3)
    nurse = MembershipFactory(cohort=cohort, person__full_name="Nia Nurse", person__profession="nurse")
    AttendanceFactory(module=modules[0], membership=nurse, status=Attendance.Status.PRESENT)
    AttendanceFactory(module=modules[1], membership=nurse, status=Attendance.Status.APOLOGIES)
    MembershipFactory(
        cohort=cohort,
        person__full_name="Wes Withdrawn",
        status=Membership.Status.WITHDRAWN,
        withdrawn_on=datetime.date(2026, 2, 1),
    )

    response = facilitator_client.get(detail_url(cohort))

    assert response.status_code == 200
    text = response.text
    assert "3 of 6 modules delivered" in text
    for number in range(1, 7):
        assert f"Module {number}: Topic {number}" in text
    assert 'aria-current="step"' in text
    assert "Nia Nurse" in text
    assert "present 1 of 3 delivered modules" in text
    assert "1 apology" in text
    assert "Withdrawn on 1 Feb 2026" in text
    assert reverse("cohorts:participant_withdraw", kwargs={"cohort_pk": cohort.pk, "membership_pk": nurse.pk}) in text
    overview = response.context["overview"]
    assert [p.label for p in overview.professions] == ["Nursing"]  # withdrawn people are not in the mix


def test_cohort_detail_links_to_module_pages(facilitator_client, cohort):
    make_modules(cohort)

    response = facilitator_client.get(detail_url(cohort))

    assert reverse("modules:module_detail", kwargs={"cohort_pk": cohort.pk, "number": 4}) in response.text


def test_cohort_detail_is_404_for_a_facilitator_of_another_cohort(facilitator_client):
    other = CohortFactory()

    assert facilitator_client.get(detail_url(other)).status_code == 404


def test_cohort_detail_is_404_for_a_participant(client, cohort):
    user = UserFactory()
    MembershipFactory(cohort=cohort, person__user=user)
    client.force_login(user)

    assert client.get(detail_url(cohort)).status_code == 404


@pytest.mark.parametrize("size", [5, 50])
def test_cohort_detail_query_count_is_constant(facilitator_client, cohort, size, django_assert_num_queries):
    add_participants(cohort, make_modules(cohort), size)
    facilitator_client.get(detail_url(cohort))

    # session, user, middleware: the membership with its cohort; page: modules, memberships with
    # counts; plus the SAVEPOINT/RELEASE pair of ATOMIC_REQUESTS inside the test's transaction.
    with django_assert_num_queries(5 + 2):
        response = facilitator_client.get(detail_url(cohort))
    assert response.text.count("present 3 of 3 delivered modules") == size


def test_cohort_update_saves_and_moves_planned_modules(facilitator_client, cohort):
    modules = make_modules(cohort, delivered=1)
    url = reverse("modules:cohort_update", kwargs={"cohort_pk": cohort.pk})

    response = facilitator_client.post(
        url,
        {
            "name": "Renamed cohort",
            "start_date": "2026-01-19",
            "end_date": "2026-07-01",
            "status": "running",
            "survey_audience": "present_only",
            "move_planned_modules": "on",
        },
    )

    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.name == "Renamed cohort"
    assert cohort.survey_audience == Cohort.SurveyAudience.PRESENT_ONLY
    first, second = Module.objects.get(pk=modules[0].pk), Module.objects.get(pk=modules[1].pk)
    assert first.starts_at == modules[0].starts_at  # delivered: stays
    assert second.starts_at == modules[1].starts_at + datetime.timedelta(days=7)


def test_cohort_update_end_before_start_keeps_input(facilitator_client, cohort):
    url = reverse("modules:cohort_update", kwargs={"cohort_pk": cohort.pk})

    response = facilitator_client.post(
        url,
        {
            "name": "Typed name",
            "start_date": "2026-03-01",
            "end_date": "2026-02-01",
            "status": "running",
            "survey_audience": "all_active",
        },
    )

    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.text
    assert 'value="Typed name"' in response.text
    cohort.refresh_from_db()
    assert cohort.name != "Typed name"


def test_home_query_count_for_a_participant(client, cohort, django_assert_num_queries):
    make_modules(cohort)
    user = UserFactory()
    MembershipFactory(cohort=cohort, person__user=user)
    client.force_login(user)
    client.get(reverse("home"))

    # session, user, facilitated cohorts (none), cohorts taken part in, their modules; + savepoint pair
    with django_assert_num_queries(5 + 2):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:my_programme")


def test_home_cohort_card_shows_what_changed_since_it_was_drawn(facilitator_client, cohort):
    """The cards are kept per process under what they show (modules/templatetags/cohort_cards.py)."""
    modules = make_modules(cohort, delivered=2)
    assert "2 of 6 modules delivered" in facilitator_client.get(reverse("home")).text

    Module.objects.filter(pk=modules[2].pk).update(state=Module.State.DELIVERED, delivered_at=modules[2].ends_at)
    Cohort.objects.filter(pk=cohort.pk).update(name="Renamed <cohort>")
    MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR, person__full_name="Ada Second")
    html = facilitator_client.get(reverse("home")).text

    assert "3 of 6 modules delivered" in html
    assert "Module 4: Topic 4" in html
    assert "Renamed &lt;cohort&gt;" in html
    assert "Ada Second" in html


def test_cohort_detail_labels_each_participants_profession_and_shows_a_change_at_once(facilitator_client, cohort):
    nurse = MembershipFactory(cohort=cohort, person__profession=Person.Profession.NURSE)
    MembershipFactory(cohort=cohort, person__profession=Person.Profession.PSYCHOLOGY)
    MembershipFactory(cohort=cohort, person__profession=Person.Profession.PSYCHOLOGY)
    table = _participant_table(facilitator_client.get(detail_url(cohort)).text)
    assert table.count(">Psychology<") == 2
    assert table.count(">Nursing<") == 1
    Person.objects.filter(pk=nurse.person_id).update(profession=Person.Profession.PSYCHOLOGY)

    table = _participant_table(facilitator_client.get(detail_url(cohort)).text)

    assert table.count(">Psychology<") == 3
    assert ">Nursing<" not in table


def _participant_table(page: str) -> str:
    return page.split('id="participants"', 1)[1].split("</table>", 1)[0]


def test_cohort_detail_timeline_shows_every_module_change_at_once(facilitator_client, cohort):
    """The timeline is drawn once per process from each module's values: a change of any is another
    drawing, shown on the next request."""
    modules = make_modules(cohort, delivered=1)
    timeline = _timeline(facilitator_client.get(detail_url(cohort)).text)
    assert 'class="planned next" aria-current="step"' in timeline
    assert "Module 2: Topic 2</a>" in timeline
    assert timeline.count("venue to be confirmed") == 6
    assert "Celebration: projects presented" not in timeline
    second = modules[1]
    moved = second.starts_at + datetime.timedelta(days=1, hours=1)
    Module.objects.filter(pk=second.pk).update(
        title="Renamed",
        venue="Room 4",
        starts_at=moved,
        ends_at=moved + datetime.timedelta(hours=2),
        state=Module.State.DELIVERED,
        delivered_at=moved,
        is_celebration=True,
    )

    timeline = _timeline(facilitator_client.get(detail_url(cohort)).text)

    assert "Module 2: Renamed</a>" in timeline
    assert "Room 4" in timeline
    assert timeline.count("venue to be confirmed") == 5
    local = timezone.localtime(moved)
    assert f'<time datetime="{local.isoformat()}">' in timeline
    assert "Celebration: projects presented" in timeline
    items = timeline.split("<li ")[1:]
    assert [item.startswith('class="planned next" aria-current="step"') for item in items] == [
        False,
        False,
        True,
        False,
        False,
        False,
    ]


def _timeline(page: str) -> str:
    return page.split('<ol class="timeline"', 1)[1].split("</ol>", 1)[0]


def test_cohort_detail_profession_mix_shows_a_change_at_once(facilitator_client, cohort):
    """The chart and its table are drawn once per process from the mix's values: a change in the mix
    (a profession changed, a participant withdrawn) is another drawing, shown on the next request."""
    nurse = MembershipFactory(cohort=cohort, person__profession=Person.Profession.NURSE)
    psychologist = MembershipFactory(cohort=cohort, person__profession=Person.Profession.PSYCHOLOGY)
    mix = _mix(facilitator_client.get(detail_url(cohort)).text)
    assert (
        '<th scope="row" class="fw-normal">Nursing</th><td class="text-end">1</td><td class="text-end">50%</td>' in mix
    )
    assert mix.count('<rect x="190"') == 2
    Person.objects.filter(pk=nurse.person_id).update(profession=Person.Profession.PSYCHOLOGY)

    mix = _mix(facilitator_client.get(detail_url(cohort)).text)

    assert "Nursing" not in mix
    assert (
        '<th scope="row" class="fw-normal">Psychology</th><td class="text-end">2</td><td class="text-end">100%</td>'
        in mix
    )
    assert mix.count('<rect x="190"') == 1
    assert '<rect x="190" y="3" width="170.0" height="14"' in mix
    Membership.objects.filter(pk=psychologist.pk).update(
        status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 2, 1)
    )

    mix = _mix(facilitator_client.get(detail_url(cohort)).text)

    assert (
        '<th scope="row" class="fw-normal">Psychology</th><td class="text-end">1</td><td class="text-end">100%</td>'
        in mix
    )


def _mix(page: str) -> str:
    return page.split('id="professions-title"', 1)[1].split("</section>", 1)[0]
