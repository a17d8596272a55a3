"""Pages of the practice log, per role: a participant's own pages, the set's shared reflections and
the facilitators' counts (which never carry a reflection)."""

import datetime
import re

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cohorts.models import Person
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory
from evaluation import selectors
from evaluation.forms import PracticeMomentForm
from evaluation.models import PracticeMoment, PracticeNudgePreference
from modules.tests.factories import modules_for_cohort
from projects.models import ActionLearningSet
from projects.tests.factories import ActionLearningSetFactory, SetMembershipFactory
from tests.test_permissions import project_urls

from .factories import PracticeMomentFactory, participant

pytestmark = pytest.mark.django_db

PRIVATE = "I lost my temper in the huddle and then asked a GROW question instead"
SHARED = "Asking what went well first changed the whole handover conversation"


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def url(name, cohort, **kwargs):
    return reverse(f"evaluation:{name}", kwargs={"cohort_pk": cohort.pk, **kwargs})


@pytest.fixture
def world(cohort, facilitator):
    set_facilitator = MembershipFactory(cohort=cohort, role="set_facilitator", person__user=UserFactory())
    set_a = ActionLearningSetFactory(cohort=cohort, name="Set A", set_facilitator=set_facilitator)
    set_b = ActionLearningSetFactory(cohort=cohort, name="Set B")
    me, mate, other = participant(cohort), participant(cohort), participant(cohort)
    SetMembershipFactory(action_learning_set=set_a, membership=me)
    SetMembershipFactory(action_learning_set=set_a, membership=mate)
    SetMembershipFactory(action_learning_set=set_b, membership=other)
    mine = PracticeMomentFactory(membership=me, reflection=PRIVATE)
    shared = PracticeMomentFactory(
        membership=mate, method=PracticeMoment.Method.PDSA, reflection=SHARED, shared_with_set=True
    )
    theirs = PracticeMomentFactory(membership=other, reflection="Someone else's private note")
    return {
        "cohort": cohort,
        "facilitator": facilitator,
        "set_facilitator": set_facilitator,
        "me": me,
        "mate": mate,
        "other": other,
        "mine": mine,
        "shared": shared,
        "theirs": theirs,
    }


# -- a participant's own pages --------------------------------------------------------------------


def test_practice_moment_list_shows_only_own_moments(world):
    response = client_for(world["me"].person.user).get(url("practice_moment_list", world["cohort"]))

    assert response.status_code == 200
    assert PRIVATE in response.text
    assert SHARED not in response.text
    assert "Someone else" not in response.text
    assert url("practice_moment_update", world["cohort"], moment_pk=world["mine"].pk) in response.text
    assert url("practice_moment_update", world["cohort"], moment_pk=world["shared"].pk) not in response.text


def test_practice_moment_form_is_the_one_minute_form(world):
    response = client_for(world["me"].person.user).get(url("practice_moment_create", world["cohort"]))

    assert response.status_code == 200
    text = response.text
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in text
    assert f'max="{timezone.localdate():%Y-%m-%d}"' in text
    assert len(re.findall(r'type="radio"[^>]*name="method"', text)) == len(PracticeMoment.Method.choices)
    assert len(re.findall(r'type="radio"[^>]*name="with_whom"', text)) == len(PracticeMoment.WithWhom.choices)
    assert "Keep it private: only you can read it" in text
    # The participant sees who would read a shared reflection.
    name = escape(world["set_facilitator"].person.full_name)
    assert f"Share it with my set, Set A: its members and its facilitator, {name}" in text
    assert re.search(r'value="private"[^>]*checked', text)


def test_practice_moment_create_logs_a_moment_and_redirects(world):
    me = world["me"]
    response = client_for(me.person.user).post(
        url("practice_moment_create", world["cohort"]),
        {
            "date": timezone.localdate().isoformat(),
            "method": "appreciative_inquiry",
            "with_whom": "colleague",
            "reflection": "Tried it with my deputy",
            "visibility": "set",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url("practice_moment_list", world["cohort"])
    moment = me.practice_moments.get(method="appreciative_inquiry")
    assert (moment.with_whom, moment.reflection, moment.shared_with_set) == (
        "colleague",
        "Tried it with my deputy",
        True,
    )


def test_practice_moment_create_shows_the_service_error_on_the_date(world):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for(world["me"].person.user).post(
        url("practice_moment_create", world["cohort"]),
        {"date": tomorrow.isoformat(), "method": "grow", "with_whom": "team", "visibility": "private"},
    )

    assert response.status_code == 400
    assert "The date cannot be in the future." in response.text
    assert 'href="#id_date"' in response.text
    assert world["me"].practice_moments.count() == 1


def test_practice_moment_update_edits_own_moment(world):
    mine = world["mine"]
    page = client_for(world["me"].person.user).get(url("practice_moment_update", world["cohort"], moment_pk=mine.pk))
    assert page.status_code == 200
    assert PRIVATE in page.text

    response = client_for(world["me"].person.user).post(
        url("practice_moment_update", world["cohort"], moment_pk=mine.pk),
        {"date": mine.date.isoformat(), "method": "team_dynamics", "with_whom": "team", "visibility": "private"},
    )

    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.method, mine.reflection) == ("team_dynamics", "")


def test_practice_moment_update_shows_an_edit_at_once(world):
    # The empty form is drawn once per process for what it shows: the moment, the set, its facilitator.
    mine, client = world["mine"], client_for(world["me"].person.user)
    edit_url = url("practice_moment_update", world["cohort"], moment_pk=mine.pk)
    first = client.get(edit_url).text

    PracticeMoment.objects.filter(pk=mine.pk).update(reflection="Tried silence for ten seconds", shared_with_set=True)
    ActionLearningSet.objects.filter(pk=world["set_facilitator"].facilitated_sets.get().pk).update(name="Set Alpha")
    Person.objects.filter(pk=world["set_facilitator"].person_id).update(full_name="Robin Fairweather")
    page = client.get(edit_url).text

    assert PRIVATE in first
    assert "Tried silence for ten seconds" in page
    assert PRIVATE not in page
    assert not re.search(r'value="set"[^>]*checked', first)
    assert re.search(r'value="set"[^>]*checked', page)
    assert "Share it with my set, Set Alpha: its members and its facilitator, Robin Fairweather" in page


def test_practice_moment_update_draws_the_form_as_crispy_forms_does(world):
    mine = PracticeMoment.objects.get(pk=world["mine"].pk)
    page = client_for(world["me"].person.user).get(url("practice_moment_update", world["cohort"], moment_pk=mine.pk))
    action_learning_set = selectors.practice_set_of(membership=world["me"])
    form = PracticeMomentForm(cohort=world["cohort"], action_learning_set=action_learning_set, moment=mine)

    assert str(as_crispy_form(form)) in page.text


@pytest.mark.parametrize("name", ["practice_moment_update", "practice_moment_delete"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_moment_is_404(world, name, method):
    client = client_for(world["me"].person.user)
    for moment in (world["shared"], world["theirs"]):
        response = getattr(client, method)(url(name, world["cohort"], moment_pk=moment.pk))
        assert response.status_code == 404
    assert PracticeMoment.objects.filter(pk=world["theirs"].pk, reflection="Someone else's private note").exists()
    assert PracticeMoment.objects.filter(pk=world["shared"].pk).exists()


def test_a_moment_is_404_under_another_cohorts_url(world):
    elsewhere = CohortFactory()
    me_elsewhere = participant(elsewhere, person=world["me"].person)

    response = client_for(world["me"].person.user).get(
        url("practice_moment_update", elsewhere, moment_pk=world["mine"].pk)
    )

    assert me_elsewhere.person.user == world["me"].person.user
    assert response.status_code == 404


def test_practice_moment_delete_asks_first_and_deletes_on_post(world):
    client = client_for(world["me"].person.user)
    delete_url = url("practice_moment_delete", world["cohort"], moment_pk=world["mine"].pk)

    page = client.get(delete_url)
    assert page.status_code == 200
    assert "Delete this practice moment?" in page.text
    assert PracticeMoment.objects.filter(pk=world["mine"].pk).exists()

    response = client.post(delete_url)
    assert response.status_code == 302
    assert not PracticeMoment.objects.filter(pk=world["mine"].pk).exists()


@pytest.mark.parametrize("who", ["facilitator", "set_facilitator", "staff"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_participant_pages_are_forbidden_to_everyone_else(world, staff_user, who, method):
    user = staff_user if who == "staff" else world[who].person.user if who == "set_facilitator" else world[who]
    client = client_for(user)
    for name in ("practice_moment_list", "practice_moment_create", "practice_nudges_update"):
        assert getattr(client, method)(url(name, world["cohort"])).status_code == 403, name
    for name in ("practice_moment_update", "practice_moment_delete"):
        response = getattr(client, method)(url(name, world["cohort"], moment_pk=world["mine"].pk))
        assert response.status_code == 403, name
        assert PRIVATE not in response.content.decode()
    assert PracticeMoment.objects.filter(pk=world["mine"].pk, reflection=PRIVATE).exists()


def test_a_moment_of_another_cohort_is_404_even_to_a_facilitator(world):
    elsewhere = PracticeMomentFactory(membership=participant(CohortFactory()))

    response = client_for(world["facilitator"]).get(
        url("practice_moment_update", world["cohort"], moment_pk=elsewhere.pk)
    )

    assert response.status_code == 404


def test_practice_nudges_update_switches_reminders_off_and_on(world):
    me = world["me"]
    client = client_for(me.person.user)
    assert 'value="on"' in client.get(url("practice_nudges_update", world["cohort"])).text

    response = client.post(url("practice_nudges_update", world["cohort"]), {"nudges": "off"})

    assert response.status_code == 302
    assert PracticeNudgePreference.objects.get(membership=me).nudges_on is False
    listing = client.get(url("practice_moment_list", world["cohort"]))
    assert "Off: you get no reminders" in listing.text
    client.post(url("practice_nudges_update", world["cohort"]), {"nudges": "on"})
    assert PracticeNudgePreference.objects.get(membership=me).nudges_on is True


def test_my_programme_links_the_practice_log(world):
    response = client_for(world["me"].person.user).get(reverse("accounts:my_programme"))

    assert url("practice_moment_list", world["cohort"]) in response.text


# -- reflections shared with a set ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["me", "mate", "set_facilitator"])
def test_set_reflections_page_shows_the_sets_shared_reflections(world, who):
    response = client_for(world[who].person.user).get(url("practice_set_reflections", world["cohort"]))

    assert response.status_code == 200
    assert SHARED in response.text
    assert escape(world["mate"].person.full_name) in response.text
    assert PRIVATE not in response.text


def test_set_reflections_page_hides_them_from_other_sets_and_facilitators(world, staff_user):
    for user in (world["other"].person.user, world["facilitator"], staff_user):
        response = client_for(user).get(url("practice_set_reflections", world["cohort"]))
        assert response.status_code == 200
        assert SHARED not in response.text
        assert PRIVATE not in response.text


# -- the facilitators' counts --------------------------------------------------------------------


def test_practice_summary_is_for_facilitators_and_staff_only(world, staff_user):
    summary_url = url("practice_summary", world["cohort"])
    assert client_for(world["facilitator"]).get(summary_url).status_code == 200
    assert client_for(staff_user).get(summary_url).status_code == 200
    for who in ("me", "set_facilitator"):
        assert client_for(world[who].person.user).get(summary_url).status_code == 404


def test_practice_summary_shows_counts_with_a_chart_and_a_table(world):
    cohort = world["cohort"]
    for membership in (world["me"], world["mate"], world["other"]):
        PracticeMomentFactory(membership=membership, method=PracticeMoment.Method.GROW)
    for membership in (world["me"], world["other"]):
        PracticeMomentFactory(membership=membership, method=PracticeMoment.Method.PDSA)

    response = client_for(world["facilitator"]).get(url("practice_summary", cohort))

    text = response.text
    assert "All 3 participants have logged at least one practice moment" in text
    assert "8 moments in all." in text
    assert text.count('<svg class="chart-svg bar-chart"') == 3

    def row(label):
        found = re.search(rf"{label}</th><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>", text)
        return found.groups() if found else None

    assert row("A GROW coaching conversation") == ("5", "3")
    assert row("A PDSA test") == ("3", "3")
    assert row("Appreciative Inquiry") is None
    assert re.search(r'Appreciative Inquiry</th><td class="text-end" colspan="2">fewer than 3</td>', text)


def test_no_facilitator_page_ever_shows_a_reflection(world):
    """Every page of the project, opened by a cohort facilitator who facilitates no set: neither the
    private reflection nor the one shared with a set appears."""
    cohort = world["cohort"]
    for membership in (world["me"], world["mate"], world["other"]):
        PracticeMomentFactory(membership=membership)
    client = client_for(world["facilitator"])
    pages = 0
    for name, page_url, _scoped in project_urls(cohort.pk):
        response = client.get(page_url)
        if response.status_code != 200:
            continue
        pages += 1
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode(errors="replace")
        assert PRIVATE not in text, name
        assert SHARED not in text, name
    assert pages > 10
    summary = client.get(url("practice_summary", cohort)).text
    assert "4 moments in all." not in summary  # 6: the three above plus the world's three
    assert "6 moments in all." in summary


# -- query counts ---------------------------------------------------------------------------------


def _grow(cohort, participants, moments_each):
    modules_for_cohort(cohort)
    people = [participant(cohort) for _ in range(participants)]
    for index, membership in enumerate(people):
        for k in range(moments_each):
            PracticeMomentFactory(
                membership=membership,
                method=PracticeMoment.Method.values[(index + k) % 6],
                with_whom=PracticeMoment.WithWhom.values[k % 4],
                date=timezone.localdate() - datetime.timedelta(days=7 * k + index),
                reflection=f"note {index}-{k}",
            )
    return people


@pytest.mark.parametrize("size", [(4, 2), (30, 8)])
def test_practice_summary_query_count_is_constant(django_assert_num_queries, size):
    cohort = CohortFactory(start_date=timezone.localdate() - datetime.timedelta(days=400))
    facilitator = MembershipFactory(cohort=cohort, role="facilitator", person__user=UserFactory()).person.user
    _grow(cohort, *size)
    client = client_for(facilitator)

    with django_assert_num_queries(8):
        assert client.get(url("practice_summary", cohort)).status_code == 200


@pytest.mark.parametrize("moments_each", [1, 25])
def test_practice_moment_list_query_count_is_constant(django_assert_num_queries, moments_each):
    cohort = CohortFactory(start_date=timezone.localdate() - datetime.timedelta(days=400))
    me = _grow(cohort, 5, moments_each)[0]
    client = client_for(me.person.user)

    with django_assert_num_queries(7):
        assert client.get(url("practice_moment_list", cohort)).status_code == 200


def test_practice_summary_does_not_count_one_or_two_who_have_not_logged(world):
    for membership in (world["mate"], world["other"]):
        PracticeMomentFactory(membership=membership)
    participant(world["cohort"])  # the only one who has logged nothing

    text = client_for(world["facilitator"]).get(url("practice_summary", world["cohort"])).text

    assert "All but fewer than 3 of the 4 participants have logged at least one practice moment" in text
    assert "(75%)" not in text


# -- the admin ------------------------------------------------------------------------------------


def test_admin_never_shows_a_private_reflection(world, staff_user):
    client = client_for(staff_user)
    changelist = client.get(reverse("admin:evaluation_practicemoment_changelist"))
    private = client.get(reverse("admin:evaluation_practicemoment_change", args=[world["mine"].pk]))
    shared = client.get(reverse("admin:evaluation_practicemoment_change", args=[world["shared"].pk]))

    assert changelist.status_code == private.status_code == shared.status_code == 200
    assert PRIVATE not in changelist.text
    assert PRIVATE not in private.text
    assert "(private: only the participant can read it)" in private.text
    assert SHARED in shared.text
    assert 'name="reflection"' not in private.text + shared.text  # read-only: no field to edit
