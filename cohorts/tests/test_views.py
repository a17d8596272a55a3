import datetime
import zoneinfo

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from cohorts import services
from cohorts.models import Membership, Organisation, Person
from cohorts.tests.factories import CohortFactory, MembershipFactory, OrganisationFactory, PersonFactory, UserFactory
from conftest import sign_in
from modules.tests.factories import add_participants, make_modules

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


def detail_url(cohort):
    return reverse("modules:cohort_detail", kwargs={"cohort_pk": cohort.pk})


# ADD PARTICIPANT


def participant_data(**overrides):
    data = {
        "full_name": "Pat Participant",
        "email": "Pat.Participant@Example.org",
        "job_title": "Team leader",
        "profession": "psychology",
        "team": "Crisis team",
        "organisation": "",
    }
    return {**data, **overrides}


def test_participant_add_creates_person_and_membership(facilitator_client, cohort):
    url = reverse("cohorts:participant_add", kwargs={"cohort_pk": cohort.pk})

    response = facilitator_client.post(url, participant_data())

    assert response.status_code == 302
    membership = Membership.objects.get(cohort=cohort, person__email="pat.participant@example.org")
    assert membership.role == Membership.Role.PARTICIPANT
    assert membership.person.profession == "psychology"


def test_participant_add_reuses_existing_person_by_email(facilitator_client, cohort):
    organisation = OrganisationFactory()
    person = PersonFactory(email="pat.participant@example.org", job_title="", team="Old team")
    url = reverse("cohorts:participant_add", kwargs={"cohort_pk": cohort.pk})

    facilitator_client.post(url, participant_data(organisation=organisation.pk))

    person.refresh_from_db()
    assert Person.objects.filter(email__iexact="pat.participant@example.org").count() == 1
    assert person.job_title == "Team leader"  # blank filled
    assert person.team == "Old team"  # known value kept
    assert person.organisation == organisation
    assert Membership.objects.filter(cohort=cohort, person=person).exists()


def test_participant_add_already_in_cohort_is_a_form_error(facilitator_client, cohort):
    MembershipFactory(cohort=cohort, person__email="pat.participant@example.org", person__full_name="Pat P")
    url = reverse("cohorts:participant_add", kwargs={"cohort_pk": cohort.pk})

    response = facilitator_client.post(url, participant_data())

    assert response.status_code == 400
    assert "Pat P is already a participant in this cohort." in response.text
    assert 'value="Crisis team"' in response.text
    assert Membership.objects.filter(cohort=cohort).participants().count() == 1


def test_participant_add_bad_email_keeps_input(facilitator_client, cohort):
    url = reverse("cohorts:participant_add", kwargs={"cohort_pk": cohort.pk})

    response = facilitator_client.post(url, participant_data(email="not-an-address"))

    assert response.status_code == 400
    assert 'value="not-an-address"' in response.text
    assert "error-summary" in response.text
    assert not Membership.objects.filter(cohort=cohort).participants().exists()


def test_participant_add_and_add_another_returns_to_the_form(facilitator_client, cohort):
    url = reverse("cohorts:participant_add", kwargs={"cohort_pk": cohort.pk})

    response = facilitator_client.post(url, {**participant_data(), "add_another": "1"})

    assert response.status_code == 302
    assert response.url == url


# WITHDRAW AND REINSTATE


def test_participant_withdraw_confirmation_page_then_post(facilitator_client, cohort):
    membership = MembershipFactory(cohort=cohort, person__full_name="Lee Leaving")
    url = reverse("cohorts:participant_withdraw", kwargs={"cohort_pk": cohort.pk, "membership_pk": membership.pk})

    page = facilitator_client.get(url)
    response = facilitator_client.post(url, {"withdrawn_on": "2026-02-03"})

    assert page.status_code == 200
    assert "Withdraw Lee Leaving from the cohort?" in page.text
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == Membership.Status.WITHDRAWN
    assert membership.withdrawn_on == datetime.date(2026, 2, 3)


def test_participant_withdraw_without_date_changes_nothing(facilitator_client, cohort):
    membership = MembershipFactory(cohort=cohort)
    url = reverse("cohorts:participant_withdraw", kwargs={"cohort_pk": cohort.pk, "membership_pk": membership.pk})

    response = facilitator_client.post(url, {"withdrawn_on": ""})

    assert response.status_code == 400
    assert "error-summary" in response.text
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE


def test_participant_withdraw_of_another_cohorts_membership_is_404(facilitator_client, cohort):
    elsewhere = MembershipFactory()
    # The facilitator's own cohort in the URL, but a membership of another cohort.
    url = reverse("cohorts:participant_withdraw", kwargs={"cohort_pk": cohort.pk, "membership_pk": elsewhere.pk})

    assert facilitator_client.post(url, {"withdrawn_on": "2026-02-03"}).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == Membership.Status.ACTIVE


def test_participant_reinstate_is_post_only_and_reactivates(facilitator_client, cohort):
    membership = MembershipFactory(
        cohort=cohort, status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 2, 1)
    )
    url = reverse("cohorts:participant_reinstate", kwargs={"cohort_pk": cohort.pk, "membership_pk": membership.pk})

    assert facilitator_client.get(url).status_code == 405
    response = facilitator_client.post(url)

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    assert membership.withdrawn_on is None


COHORT_URLS = [
    ("get", "modules:cohort_detail", False),
    ("get", "modules:cohort_update", False),
    ("post", "modules:cohort_update", False),
    ("get", "cohorts:participant_add", False),
    ("post", "cohorts:participant_add", False),
    ("get", "cohorts:participant_withdraw", True),
    ("post", "cohorts:participant_withdraw", True),
    ("post", "cohorts:participant_reinstate", True),
    ("get", "cohorts:participant_import", False),
    ("post", "cohorts:participant_import", False),
    ("get", "cohorts:participant_import_preview", False),
    ("post", "cohorts:participant_import_preview", False),
    ("post", "cohorts:participant_import_cancel", False),
    ("get", "cohorts:participant_import_template", False),
]


def cohort_url(name, cohort, with_membership):
    kwargs = {"cohort_pk": cohort.pk}
    if with_membership:
        kwargs["membership_pk"] = MembershipFactory(cohort=cohort).pk
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize(("method", "name", "with_membership"), COHORT_URLS)
def test_cohort_urls_answer_404_to_other_facilitators(method, name, with_membership, cohort):
    outsider = UserFactory()
    MembershipFactory(role=Membership.Role.FACILITATOR, person__user=outsider)
    client = Client()
    client.force_login(outsider)

    response = getattr(client, method)(cohort_url(name, cohort, with_membership))

    assert response.status_code == 404
    assert Membership.objects.filter(cohort=cohort, status=Membership.Status.WITHDRAWN).count() == 0


@pytest.mark.parametrize(("method", "name", "with_membership"), COHORT_URLS)
def test_cohort_urls_answer_404_to_the_cohorts_participants(method, name, with_membership, cohort):
    user = UserFactory()
    MembershipFactory(cohort=cohort, person__user=user)
    client = Client()
    client.force_login(user)

    assert getattr(client, method)(cohort_url(name, cohort, with_membership)).status_code == 404


@pytest.mark.parametrize(("method", "name", "with_membership"), COHORT_URLS)
def test_cohort_urls_send_anonymous_users_to_sign_in(method, name, with_membership, cohort, client):
    response = getattr(client, method)(cohort_url(name, cohort, with_membership))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("method", "name", "with_membership"), COHORT_URLS)
def test_cohort_urls_are_open_to_staff(method, name, with_membership, cohort, client, staff_user):
    client.force_login(staff_user)

    response = getattr(client, method)(cohort_url(name, cohort, with_membership))

    # 200 for pages, 400 for re-shown forms (an empty POST), 302 for redirects after an action.
    assert response.status_code in (200, 302, 400)


# IN THE BROWSER


@pytest.mark.acceptance
def test_facilitator_imports_a_registration_list_on_a_phone(transactional_db, live_server, phone_page, tmp_path):
    cohort = CohortFactory(name="Phone Cohort")
    modules = make_modules(cohort, delivered=1)
    add_participants(cohort, modules, 3)
    user = UserFactory()
    MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR, person__user=user)
    registration = tmp_path / "registration.csv"
    registration.write_text(
        "Full Name,E-mail,Profession\nAna Able,ana@example.org,Nursing\nBen Best,ben@example.org,psychology\n"
    )
    page = phone_page

    sign_in(page, live_server, user)
    page.get_by_role("link", name="Phone Cohort").click()
    page.get_by_role("heading", name="Phone Cohort").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("link", name="Import from a file").click()
    page.get_by_label("Registration list (CSV or Excel .xlsx)").set_input_files(registration)
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("heading", name="Check the import").wait_for()
    assert page.get_by_text("New person").count() == 2
    page.get_by_role("button", name="Import 2 participants").click()

    page.get_by_text("Imported 2 participants").wait_for()
    assert page.get_by_role("row", name="Ana Able").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert Membership.objects.filter(cohort=cohort).participants().count() == 5


@pytest.mark.acceptance
def test_facilitator_withdraws_and_reinstates_a_participant(transactional_db, live_server, page):
    cohort = CohortFactory(name="Browser Cohort")
    make_modules(cohort)
    MembershipFactory(cohort=cohort, person__full_name="Wyn Withdraw")
    user = UserFactory()
    MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR, person__user=user)

    sign_in(page, live_server, user)
    page.goto(f"{live_server.url}{detail_url(cohort)}")
    page.get_by_role("link", name="Withdraw Wyn Withdraw").click()
    page.get_by_label("Date of withdrawal").fill("2026-02-03")
    page.get_by_role("button", name="Withdraw participant").click()
    page.get_by_text("Withdrawn on 3 Feb 2026").wait_for()
    page.get_by_role("button", name="Reinstate Wyn Withdraw").click()
    page.get_by_text("Wyn Withdraw is active again.").wait_for()

    membership = Membership.objects.get(person__full_name="Wyn Withdraw")
    assert membership.status == Membership.Status.ACTIVE


# EDIT A PARTICIPANT


def update_url(cohort, membership):
    return reverse("cohorts:participant_update", kwargs={"cohort_pk": cohort.pk, "membership_pk": membership.pk})


def _details(**overrides):
    data = {
        "full_name": "Jodie Hamlyn-Price",
        "email": "Jodie.Price@Example.org",
        "job_title": "Ward manager",
        "profession": Person.Profession.OCCUPATIONAL_THERAPY,
        "team": "Crisis team",
        "organisation": "",
    }
    data.update(overrides)
    return data


def test_participant_update_shows_the_current_details(facilitator_client, cohort):
    membership = MembershipFactory(cohort=cohort, person__full_name="Jodie Hamlyn", person__email="jodie@example.org")

    response = facilitator_client.get(update_url(cohort, membership))

    assert response.status_code == 200
    assert "<h1>Edit Jodie Hamlyn's details</h1>" in response.text
    assert 'value="jodie@example.org"' in response.text
    assert response.text.count("<h1") == 1


def test_participant_update_saves_every_field(facilitator_client, cohort):
    organisation = OrganisationFactory(name="Tamar Vale NHS Trust")
    membership = MembershipFactory(cohort=cohort, person__email="jodie@example.org")

    response = facilitator_client.post(update_url(cohort, membership), _details(organisation=organisation.pk))

    assert response.status_code == 302
    assert response.url == detail_url(cohort) + "#participants"
    person = Person.objects.get(pk=membership.person_id)
    assert person.full_name == "Jodie Hamlyn-Price"
    assert person.email == "jodie.price@example.org"
    assert person.job_title == "Ward manager"
    assert person.profession == Person.Profession.OCCUPATIONAL_THERAPY
    assert person.team == "Crisis team"
    assert person.organisation == organisation


def test_participant_update_moves_the_linked_accounts_email_along(facilitator_client, cohort):
    user = UserFactory(email="jodie@example.org")
    membership = MembershipFactory(cohort=cohort, person__email="jodie@example.org", person__user=user)

    facilitator_client.post(update_url(cohort, membership), _details())

    user.refresh_from_db()
    assert user.email == "jodie.price@example.org"


def test_participant_update_duplicate_email_is_a_form_error_and_changes_nothing(facilitator_client, cohort):
    PersonFactory(email="taken@example.org")
    membership = MembershipFactory(cohort=cohort, person__full_name="Jodie Hamlyn", person__email="jodie@example.org")

    response = facilitator_client.post(
        update_url(cohort, membership), _details(full_name="Jodie Changed", email="TAKEN@example.org")
    )

    assert response.status_code == 400
    assert "error-summary" in response.text
    assert "Another person already has this e-mail address." in response.text
    assert 'value="TAKEN@example.org"' in response.text
    assert 'value="Jodie Changed"' in response.text
    person = Person.objects.get(pk=membership.person_id)
    assert (person.full_name, person.email) == ("Jodie Hamlyn", "jodie@example.org")


def test_person_update_duplicate_email_is_also_refused_by_the_database(cohort):
    PersonFactory(email="taken@example.org")
    person = PersonFactory(email="jodie@example.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.filter(pk=person.pk).update(email="taken@example.org")


def test_participant_update_invalid_email_keeps_input(facilitator_client, cohort):
    membership = MembershipFactory(cohort=cohort, person__email="jodie@example.org")

    response = facilitator_client.post(update_url(cohort, membership), _details(email="not an address", team="Kept"))

    assert response.status_code == 400
    assert 'value="Kept"' in response.text
    assert Person.objects.get(pk=membership.person_id).email == "jodie@example.org"


def test_participant_update_email_of_a_facilitator_elsewhere_is_locked(facilitator_client, cohort):
    membership = MembershipFactory(cohort=cohort, person__email="jodie@example.org", person__user=UserFactory())
    MembershipFactory(person=membership.person, role=Membership.Role.FACILITATOR)

    page = facilitator_client.get(update_url(cohort, membership))
    response = facilitator_client.post(update_url(cohort, membership), _details(email="mine@example.org"))

    assert "only an administrator can change their e-mail" in page.text
    assert response.status_code == 302
    person = Person.objects.get(pk=membership.person_id)
    assert person.email == "jodie@example.org"
    assert person.full_name == "Jodie Hamlyn-Price"


def test_participant_update_shows_every_change_at_once(facilitator_client, cohort):
    """The form is drawn once per process for what it shows: each detail, the organisations listed
    and whether the e-mail may be changed are in its key, so a change shows on the next request."""
    organisation = OrganisationFactory(name="Tamar Vale NHS Trust")
    membership = MembershipFactory(cohort=cohort, person__full_name="Jodie Hamlyn", person__email="jodie@example.org")
    url = update_url(cohort, membership)
    first = facilitator_client.get(url).text
    assert 'value="Tamar Vale NHS Trust"' not in first
    assert "Crisis team" not in first
    person = Person.objects.get(pk=membership.person_id)
    person.team, person.job_title, person.organisation = "Crisis team", "Ward sister", organisation
    person.profession = Person.Profession.OCCUPATIONAL_THERAPY
    person.save()
    Organisation.objects.filter(pk=organisation.pk).update(name="Tamar Valley NHS Trust")

    page = facilitator_client.get(url).text

    assert 'value="Crisis team"' in page
    assert 'value="Ward sister"' in page
    assert f'<option value="{organisation.pk}" selected>Tamar Valley NHS Trust</option>' in page
    assert '<option value="occupational_therapy" selected>' in page
    assert "only an administrator can change their e-mail" not in page
    MembershipFactory(person=person)  # now a participant of another cohort too

    assert "only an administrator can change their e-mail" in facilitator_client.get(url).text


@pytest.mark.parametrize(
    ("role", "same_cohort", "locked"),
    [
        (Membership.Role.FACILITATOR, False, True),
        (Membership.Role.SET_FACILITATOR, False, True),
        (Membership.Role.PARTICIPANT, False, True),
        (None, True, False),
    ],
)
def test_participant_update_locks_the_email_of_anyone_with_another_membership(
    facilitator_client, cohort, role, same_cohort, locked
):
    """The page reads the other memberships with the participant in one statement; the service's own
    read (``person_email_editable`` without ``beyond_participant``) must agree with it."""
    membership = MembershipFactory(cohort=cohort, person__email="jodie@example.org")
    if role is not None:
        MembershipFactory(person=membership.person, role=role)
    if same_cohort:  # another participant of this cohort does not lock this one
        MembershipFactory(cohort=cohort)

    page = facilitator_client.get(update_url(cohort, membership)).text

    assert ("only an administrator can change their e-mail" in page) is locked
    facilitator = Membership.objects.filter(cohort=cohort, role=Membership.Role.FACILITATOR).first().person.user
    editable = services.person_email_editable(person=membership.person, cohort=cohort, user=facilitator)
    assert editable is not locked


def test_participant_update_email_of_a_staff_account_is_locked(facilitator_client, cohort):
    membership = MembershipFactory(cohort=cohort, person__user=UserFactory(is_staff=True))

    page = facilitator_client.get(update_url(cohort, membership)).text

    assert "only an administrator can change their e-mail" in page


def test_participant_update_staff_may_change_any_email(client, staff_user, cohort):
    membership = MembershipFactory(cohort=cohort, person__email="jodie@example.org")
    MembershipFactory(person=membership.person, role=Membership.Role.FACILITATOR)
    client.force_login(staff_user)

    client.post(update_url(cohort, membership), _details())

    assert Person.objects.get(pk=membership.person_id).email == "jodie.price@example.org"


def test_participant_update_of_another_cohorts_membership_is_404(facilitator_client, cohort):
    elsewhere = MembershipFactory(person__full_name="Elsewhere Person")

    get = facilitator_client.get(update_url(cohort, elsewhere))
    post = facilitator_client.post(update_url(cohort, elsewhere), _details())

    assert (get.status_code, post.status_code) == (404, 404)
    assert Person.objects.get(pk=elsewhere.person_id).full_name == "Elsewhere Person"


def test_participant_update_of_a_facilitator_membership_is_404(facilitator_client, cohort, facilitator):
    membership = Membership.objects.get(cohort=cohort, person__user=facilitator)

    assert facilitator_client.get(update_url(cohort, membership)).status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_participant_update_is_404_to_other_facilitators_and_participants(method, cohort):
    membership = MembershipFactory(cohort=cohort, person__full_name="Jodie Hamlyn")
    outsider, participant = UserFactory(), UserFactory()
    MembershipFactory(role=Membership.Role.FACILITATOR, person__user=outsider)
    MembershipFactory(cohort=cohort, person__user=participant)

    for user in (outsider, participant):
        client = Client()
        client.force_login(user)
        assert getattr(client, method)(update_url(cohort, membership), _details()).status_code == 404
    assert Person.objects.get(pk=membership.person_id).full_name == "Jodie Hamlyn"


def test_cohort_detail_links_each_participant_to_edit(facilitator_client, cohort):
    active = MembershipFactory(cohort=cohort)
    withdrawn = MembershipFactory(
        cohort=cohort, status=Membership.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 2, 1)
    )

    response = facilitator_client.get(detail_url(cohort))

    assert update_url(cohort, active) in response.text
    assert update_url(cohort, withdrawn) in response.text


@pytest.mark.parametrize("size", [5, 50])
def test_participant_update_query_count_is_constant(facilitator_client, cohort, size, django_assert_num_queries):
    for _ in range(size):
        OrganisationFactory()
        MembershipFactory(cohort=cohort)
    membership = MembershipFactory(cohort=cohort, person__user=UserFactory())
    url = update_url(cohort, membership)

    with django_assert_num_queries(QUERIES_PARTICIPANT_UPDATE_GET):
        facilitator_client.get(url)
    with django_assert_num_queries(QUERIES_PARTICIPANT_UPDATE_POST):
        response = facilitator_client.post(url, _details(organisation=Organisation.objects.last().pk))

    assert response.status_code == 302


# The participant with their account and other memberships (one statement, cohorts.selectors.participant_get),
# the organisations; the session, the user, the access check, BEGIN and COMMIT.
QUERIES_PARTICIPANT_UPDATE_GET = 7
# Two of them are the audit trail's: the person's row as it was, and the entry (django-auditlog).
QUERIES_PARTICIPANT_UPDATE_POST = 19
