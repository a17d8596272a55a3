"""The scale loader of the benchmarks (bench/scale.py) at a tiny scale: the rows it promises, and the
app's pages working on them, so that the loader cannot rot while the models change."""

import pytest
from django.db import transaction
from django.test import Client, override_settings

from bench.pages import BigCohort, discover
from bench.scale import ANSWERS_PER_RESPONSE, SURVEYED_MODULES, Plan, load
from bench.writer import LoaderError, Writer
from cohorts.models import Cohort, Membership, Organisation, Person
from common.models import SentEmail
from modules.models import Attendance, Module
from projects.models import DataPoint, ImprovementProject
from surveys.models import Answer, Invitation, InvitationLink, Response, Survey

pytestmark = pytest.mark.django_db

SCALE = 0.01
PARTICIPANT_PAGES = {"measure_detail", "my_programme", "slides_download"}


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Loaded once for the module, in a transaction rolled back at the end (each test nests in it)."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock(), media, transaction.atomic():
        counts = load(scale=SCALE)
        yield Plan.at(SCALE), counts
        transaction.set_rollback(True)


def test_loader_writes_the_rows_it_promises(loaded):
    plan, counts = loaded
    assert plan.cohorts == 10
    assert plan.responses == 1500
    assert Organisation.objects.count() == plan.organisations
    assert Cohort.objects.count() == plan.cohorts
    participants = Membership.objects.filter(role=Membership.Role.PARTICIPANT)
    assert participants.count() == plan.memberships
    assert Person.objects.filter(memberships__role=Membership.Role.PARTICIPANT).distinct().count() == plan.participants
    assert Module.objects.count() == plan.cohorts * 6
    assert (
        Survey.objects.filter(kind=Survey.Kind.MODULE).count() == plan.surveys == plan.cohorts * len(SURVEYED_MODULES)
    )
    # The big cohort's self-assessment (closed) and a draft impact report, for those pages.
    assert Survey.objects.exclude(kind=Survey.Kind.MODULE).count() == 1
    assert counts["reports.KeyImpact"] == 1
    assert Response.objects.count() == plan.responses
    assert Answer.objects.count() == plan.responses * ANSWERS_PER_RESPONSE
    assert ImprovementProject.objects.count() == plan.projects
    assert DataPoint.objects.count() == plan.data_points
    assert counts["surveys.Response"] == plan.responses


def test_every_sent_survey_invited_its_whole_cohort_and_logged_the_mail(loaded):
    sent_surveys = Survey.objects.filter(kind=Survey.Kind.MODULE).exclude(status=Survey.Status.DRAFT)
    assert sent_surveys.filter(status=Survey.Status.OPEN).exists()
    for survey in sent_surveys.select_related("module__cohort"):
        cohort = survey.module.cohort
        invited = set(survey.invitations.values_list("membership_id", flat=True))
        assert invited == set(cohort.memberships.filter(role="participant").values_list("pk", flat=True))
        assert survey.module.attendances.count() == len(invited)
    invitations = Invitation.objects.count()
    sent = Invitation.objects.filter(status=Invitation.Status.SENT).count()
    assert InvitationLink.objects.count() >= sent > 0
    assert SentEmail.objects.filter(kind="surveys.invitation").count() == invitations
    # Every response belongs to an invitation marked answered, in the same survey.
    assert Invitation.objects.filter(responded_at__isnull=False).count() == Response.objects.count()
    assert Attendance.objects.count() > 0


def test_the_apps_pages_work_on_the_scale_data(loaded):
    big = BigCohort.find()
    assert big.cohort.memberships.filter(role="participant").count() == Plan.at(SCALE).big_cohort
    pages, skipped = discover(big)
    assert skipped == []
    clients = {}
    for role, membership in (("facilitator", big.facilitator), ("participant", big.participant)):
        clients[role] = Client()
        clients[role].force_login(membership.person.user)
    # Every page once as the facilitator (who may open them all); the participant's own pages below.
    checked = [page for page in pages if page.role == "facilitator"]
    checked += [page for page in pages if page.role == "participant" and page.name.split(":")[-1] in PARTICIPANT_PAGES]
    statuses = {(page.name, page.role): clients[page.role].get(page.url).status_code for page in checked}
    assert len(statuses) > 50
    assert all(status < 500 for status in statuses.values()), statuses
    # By view name without the app (views move between apps): the pages that show the loaded data.
    by_view = {(name.split(":")[-1], role): status for (name, role), status in statuses.items()}
    for page in [
        ("cohort_detail", "facilitator"),
        ("module_detail", "facilitator"),
        ("survey_results", "facilitator"),
        ("invitation_delivery", "facilitator"),
        ("showcase", "facilitator"),
        ("measure_detail", "participant"),
        ("my_programme", "participant"),
        ("slides_download", "participant"),
    ]:
        assert by_view[page] == 200, page


def test_a_required_column_the_loader_does_not_fill_stops_it_by_name():
    writer = Writer()
    with pytest.raises(LoaderError, match=r"cohorts\.Organisation\.kind"):
        writer.write(Organisation, ["id", "name"], [(1, "No kind")])


def test_columns_the_loader_does_not_name_get_their_defaults():
    writer = Writer()
    (pk,) = writer.next_ids(Person, 1)
    writer.write(Person, ["id", "full_name", "email"], [(pk, "Defaults Only", "defaults@bench.example")])
    person = Person.objects.get(pk=pk)
    assert person.profession == Person.Profession.OTHER  # a default
    assert person.organisation is None  # nullable
    assert person.job_title == ""  # optional text
    assert person.created_at is not None  # auto_now_add
    assert writer.counts == {"cohorts.Person": 1}
