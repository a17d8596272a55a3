"""Staff create the next cohort of a programme in the browser (its six modules dated from the outline),
and the staff home lists cohorts with a status filter, a page at a time."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cohorts.models import Cohort, Membership, Organisation
from cohorts.tests.factories import (
    CohortFactory,
    MembershipFactory,
    ModuleOutlineFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeFactory,
    UserFactory,
    client_for,
)
from modules.models import Module
from modules.services import cohort_create_next
from modules.views import HomeView

pytestmark = pytest.mark.django_db

WEEKS = {1: 0, 2: 4, 3: 9, 4: 14, 5: 18, 6: 24}


@pytest.fixture
def programme():
    programme = ProgrammeFactory()
    for number, weeks in WEEKS.items():
        ModuleOutlineFactory(
            programme=programme,
            number=number,
            title=f"Outline {number}",
            weeks_after_start=weeks,
            duration_hours=6.5 if number == 6 else 7,
            is_celebration=number == 6,
        )
    return programme


@pytest.fixture
def commissioner():
    return OrganisationFactory(kind=Organisation.Kind.COMMISSIONER)


def create_url(programme):
    return reverse("modules:cohort_create", kwargs={"programme_pk": programme.pk})


# -- the service -------------------------------------------------------------------------------------


def test_cohort_create_next_dates_the_six_modules_from_the_outline(programme, commissioner):
    start = datetime.date(2027, 3, 4)
    facilitator = PersonFactory()
    cohort = cohort_create_next(
        programme=programme, commissioner=commissioner, name=" Cohort 2 ", start_date=start, facilitators=[facilitator]
    )
    assert (cohort.name, cohort.status, cohort.start_date) == ("Cohort 2", Cohort.Status.PLANNED, start)
    assert cohort.end_date == start + datetime.timedelta(weeks=WEEKS[6])
    modules = list(cohort.modules.order_by("number"))
    assert [m.number for m in modules] == [1, 2, 3, 4, 5, 6]
    for module in modules:
        starts = timezone.localtime(module.starts_at)
        assert starts.date() == start + datetime.timedelta(weeks=WEEKS[module.number])
        assert (starts.hour, starts.minute) == (9, 30)
        assert module.title == f"Outline {module.number}"
        assert module.state == Module.State.PLANNED
    assert modules[5].is_celebration
    assert modules[5].ends_at - modules[5].starts_at == datetime.timedelta(hours=6.5)
    assert list(cohort.memberships.values_list("person", "role")) == [(facilitator.pk, Membership.Role.FACILITATOR)]


@pytest.mark.parametrize("problem", ["duplicate_name", "outline_incomplete", "not_commissioner"])
def test_cohort_create_next_refuses_and_creates_nothing(programme, commissioner, problem):
    CohortFactory(programme=programme, name="Cohort 2")
    kwargs = {"programme": programme, "commissioner": commissioner, "name": "Cohort 3"}
    if problem == "duplicate_name":
        kwargs["name"] = "cohort 2"
    elif problem == "outline_incomplete":
        programme.outlines.filter(number=6).delete()
    else:
        kwargs["commissioner"] = programme.provider
    cohorts, modules = Cohort.objects.count(), Module.objects.count()
    with pytest.raises(ValidationError) as error:
        cohort_create_next(start_date=datetime.date(2027, 3, 4), **kwargs)
    error_dict = getattr(error.value, "error_dict", {"": getattr(error.value, "error_list", [])})
    assert problem in {e.code for errors in error_dict.values() for e in errors}
    assert (Cohort.objects.count(), Module.objects.count()) == (cohorts, modules)


# -- the page ----------------------------------------------------------------------------------------


def test_staff_create_the_next_cohort_in_the_browser(programme, commissioner, staff_user):
    facilitator = PersonFactory(organisation=programme.provider)
    client = client_for(staff_user)
    page = client.get(create_url(programme))
    assert page.status_code == 200
    assert "Outline 6" in page.text
    assert escape(facilitator.full_name) in page.text
    response = client.post(
        create_url(programme),
        {
            "name": "Cohort 7",
            "commissioner": commissioner.pk,
            "start_date": "2027-03-04",
            "facilitators": [facilitator.pk],
        },
    )
    cohort = Cohort.objects.get(name="Cohort 7")
    assert response.status_code == 302
    assert response["Location"] == reverse("modules:cohort_detail", kwargs={"cohort_pk": cohort.pk})
    assert cohort.programme == programme
    assert cohort.modules.count() == 6
    assert cohort.memberships.get().person == facilitator
    assert "is planned, with its six modules dated from" in client.get(response["Location"]).text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "  "}, "name", "This field is required."),
        ({"start_date": "31/02/2027"}, "start_date", "Enter a valid date."),
        ({"commissioner": "999999"}, "commissioner", "Select a valid choice."),
        ({"facilitators": ["999999"]}, "facilitators", "Select a valid choice."),
        ({"name": "Cohort 1"}, "name", "already has a cohort called"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_created(
    programme, commissioner, staff_user, data, field, message
):
    CohortFactory(programme=programme, name="Cohort 1")
    good = {"name": "Cohort 2", "commissioner": commissioner.pk, "start_date": "2027-03-04"}
    cohorts, modules = Cohort.objects.count(), Module.objects.count()
    response = client_for(staff_user).post(create_url(programme), {**good, **data})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert 'id="error-summary"' in response.text
    assert (Cohort.objects.count(), Module.objects.count()) == (cohorts, modules)


def test_only_staff_may_create_a_cohort(programme, commissioner):
    cohort = CohortFactory(programme=programme)
    facilitator = MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR, person__user=UserFactory())
    cohorts = Cohort.objects.count()
    response = client_for(facilitator.person.user).post(
        create_url(programme), {"name": "Mine", "commissioner": commissioner.pk, "start_date": "2027-03-04"}
    )
    assert response.status_code == 404
    assert Cohort.objects.count() == cohorts


# -- the staff home ----------------------------------------------------------------------------------


def _cohorts(n, status):
    programme = ProgrammeFactory()
    return [CohortFactory(programme=programme, status=status, name=f"{status} {i:03d}") for i in range(n)]


def test_staff_home_filters_by_status_and_pages(staff_user):
    per_page = HomeView.paginate_by
    running = _cohorts(per_page + 3, Cohort.Status.RUNNING)
    finished = _cohorts(2, Cohort.Status.FINISHED)
    client = client_for(staff_user)

    first = client.get(reverse("home"))
    assert len(first.context["cohorts"]) == per_page
    assert first.context["page_obj"].paginator.count == len(running) + len(finished)
    assert 'aria-label="Pages of cohorts"' in first.text
    second = client.get(reverse("home"), {"page": 2})
    assert len(second.context["cohorts"]) == len(running) + len(finished) - per_page
    assert not {c.pk for c in first.context["cohorts"]} & {c.pk for c in second.context["cohorts"]}

    only_finished = client.get(reverse("home"), {"status": Cohort.Status.FINISHED})
    assert {c.pk for c in only_finished.context["cohorts"]} == {c.pk for c in finished}
    assert 'aria-label="Pages of cohorts"' not in only_finished.text
    # The page links keep the filter.
    running_page = client.get(reverse("home"), {"status": Cohort.Status.RUNNING})
    assert "?status=running&amp;page=2" in running_page.text
    assert len(client.get(reverse("home"), {"status": "running", "page": 2}).context["cohorts"]) == 3

    bogus = client.get(reverse("home"), {"status": "deleted", "page": "x"})
    assert bogus.status_code == 200
    assert "Select a valid choice" in bogus.text
    assert bogus.context["page_obj"].paginator.count == len(running) + len(finished)


@pytest.mark.parametrize("size", [5, 45])
def test_staff_home_query_count_is_constant(staff_user, django_assert_num_queries, size):
    _cohorts(size, Cohort.Status.RUNNING)
    client = client_for(staff_user)
    client.get(reverse("home"))
    # session, user, count, the page's cohorts, their facilitators; + the savepoint pair
    with django_assert_num_queries(5 + 2):
        response = client.get(reverse("home"), {"status": "running", "page": 2 if size > 20 else 1})
    assert response.status_code == 200
    assert 'href="/programmes/"' in response.text
