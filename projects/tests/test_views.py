import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohorts.models import Membership
from cohorts.services import membership_withdraw
from cohorts.tests.factories import CohortFactory, MembershipFactory, UserFactory, client_for
from projects import services
from projects.forms import DataImportForm, DataPointForm
from projects.models import DataPoint, ImprovementProject, Presentation, SetMembership
from projects.tests.factories import (
    ActionLearningSetFactory,
    DataPointFactory,
    ImprovementProjectFactory,
    MeasureFactory,
    PresentationFactory,
    ProjectPDSACycleFactory,
    SetMembershipFactory,
    participant_in_set,
)

pytestmark = pytest.mark.django_db


def project_url(world, name, key="project_a", **extra):
    return reverse(f"projects:{name}", kwargs={"cohort_pk": world["cohort"].pk, "project_pk": world[key].pk, **extra})


def measure_url(world, name="measure_detail", **extra):
    return project_url(world, name, measure_pk=world["measure_a"].pk, **extra)


# Permissions ------------------------------------------------------------------------------------


def test_project_detail_visible_to_every_participant_of_the_cohort(world):
    response = client_for(world["member_b"]).get(project_url(world, "project_detail"))

    assert response.status_code == 200
    assert "Safer handovers" in response.text
    assert project_url(world, "project_update") not in response.text


def test_project_detail_shows_edit_links_to_own_set(world):
    response = client_for(world["member_a"]).get(project_url(world, "project_detail"))

    assert project_url(world, "project_update") in response.text


def test_project_update_member_of_other_set_is_forbidden(world):
    client = client_for(world["member_b"])

    get = client.get(project_url(world, "project_update"))
    post = client.post(project_url(world, "project_update"), {"title": "Hijacked"})

    assert get.status_code == 403
    assert post.status_code == 403
    world["project_a"].refresh_from_db()
    assert world["project_a"].title == "Safer handovers"


def test_project_update_member_of_own_set_saves(world):
    data = {
        "action_learning_set": world["set_a"].pk,
        "title": "Safer handovers on two wards",
        "area": "patient_safety",
        "status": "testing",
        "problem": "",
        "aim": "All handovers use SBAR by June 2026",
        "stakeholders": "",
    }

    response = client_for(world["member_a"]).post(project_url(world, "project_update"), data)

    assert response.status_code == 302
    world["project_a"].refresh_from_db()
    assert world["project_a"].title == "Safer handovers on two wards"


def test_project_update_cannot_move_project_into_a_set_one_is_not_in(world):
    data = {"action_learning_set": world["set_b"].pk, "title": "Moved", "area": "other", "status": "idea"}

    response = client_for(world["member_a"]).post(project_url(world, "project_update"), data)

    assert response.status_code == 400
    world["project_a"].refresh_from_db()
    assert world["project_a"].action_learning_set_id == world["set_a"].pk


def test_data_point_create_by_other_set_is_forbidden_and_saves_nothing(world):
    before = DataPoint.objects.count()

    response = client_for(world["member_b"]).post(
        measure_url(world, "data_point_create"), {"date": "2026-04-06", "value": "70"}
    )

    assert response.status_code == 403
    assert DataPoint.objects.count() == before


def test_facilitator_edits_every_project_of_the_cohort(world, facilitator_client):
    response = facilitator_client.post(measure_url(world, "data_point_create"), {"date": "2026-04-06", "value": "70"})

    assert response.status_code == 302
    assert world["measure_a"].data_points.filter(date=datetime.date(2026, 4, 6)).exists()


def test_set_facilitator_edits_only_their_set(world):
    membership = MembershipFactory(
        cohort=world["cohort"], role=Membership.Role.SET_FACILITATOR, person__user=UserFactory()
    )
    world["set_a"].set_facilitator = membership
    world["set_a"].save()
    client = client_for(membership.person.user)

    own = client.get(project_url(world, "project_update"))
    other = client.get(project_url(world, "project_update", key="project_b"))

    assert own.status_code == 200
    assert other.status_code == 403


def test_participant_of_another_cohort_gets_404_everywhere(world):
    stranger = MembershipFactory(cohort=CohortFactory(), person__user=UserFactory()).person.user
    client = client_for(stranger)
    cohort_pk = world["cohort"].pk

    urls = [
        reverse("projects:set_list", kwargs={"cohort_pk": cohort_pk}),
        reverse("projects:project_list", kwargs={"cohort_pk": cohort_pk}),
        project_url(world, "project_detail"),
        measure_url(world),
        reverse("projects:showcase", kwargs={"cohort_pk": cohort_pk}),
    ]

    assert [client.get(url).status_code for url in urls] == [404] * len(urls)


def test_set_list_tells_facilitators_how_many_participants_are_in_no_set(world):
    url = reverse("projects:set_list", kwargs={"cohort_pk": world["cohort"].pk})
    unassigned, leaving = MembershipFactory.create_batch(2, cohort=world["cohort"])

    facilitator_page = client_for(world["facilitator"]).get(url).text
    participant_page = client_for(world["member_a"]).get(url).text

    assert "2 active participants are in no set yet." in facilitator_page
    assert "in no set yet" not in participant_page
    membership_withdraw(membership=leaving)
    assert "1 active participant is in no set yet." in client_for(world["facilitator"]).get(url).text
    SetMembershipFactory(action_learning_set=world["set_a"], membership=unassigned)
    assert "in no set yet" not in client_for(world["facilitator"]).get(url).text


def test_project_of_another_cohort_is_not_found_through_own_cohort_url(world):
    other = ImprovementProjectFactory()
    url = reverse("projects:project_detail", kwargs={"cohort_pk": world["cohort"].pk, "project_pk": other.pk})

    assert client_for(world["member_a"]).get(url).status_code == 404


def test_withdrawn_participant_loses_edit_rights(world):
    membership = Membership.objects.get(person__user=world["member_a"])
    membership_withdraw(membership=membership)

    response = client_for(world["member_a"]).get(project_url(world, "project_update"))

    assert response.status_code == 404  # no longer an active member of the cohort


def test_set_assign_is_for_facilitators_only(world, facilitator_client):
    url = reverse("projects:set_assign", kwargs={"cohort_pk": world["cohort"].pk})

    assert client_for(world["member_a"]).get(url).status_code == 404
    assert facilitator_client.get(url).status_code == 200


def test_set_assign_rebalances_in_one_form(world, facilitator_client):
    member_a = Membership.objects.get(person__user=world["member_a"])
    member_b = Membership.objects.get(person__user=world["member_b"])
    url = reverse("projects:set_assign", kwargs={"cohort_pk": world["cohort"].pk})

    response = facilitator_client.post(url, {f"m{member_a.pk}": world["set_b"].pk, f"m{member_b.pk}": ""})

    assert response.status_code == 302
    assert list(SetMembership.objects.values_list("membership_id", "action_learning_set_id")) == [
        (member_a.pk, world["set_b"].pk)
    ]


def test_set_split_view_creates_sets(world, facilitator_client):
    for _ in range(4):
        MembershipFactory(cohort=world["cohort"])
    url = reverse("projects:set_split", kwargs={"cohort_pk": world["cohort"].pk})

    response = facilitator_client.post(url, {"number_of_sets": 3})

    assert response.status_code == 302
    assert SetMembership.objects.filter(cohort=world["cohort"]).count() == 6


def test_set_detail_member_records_meeting_and_action(world):
    client = client_for(world["member_a"])
    kwargs = {"cohort_pk": world["cohort"].pk, "set_pk": world["set_a"].pk}
    attendee = Membership.objects.get(person__user=world["member_a"])

    meeting = client.post(
        reverse("projects:set_meeting_create", kwargs=kwargs),
        {"date": "2026-02-10", "attendees": [attendee.pk], "notes": "Agreed the aim"},
    )
    action = client.post(
        reverse("projects:set_action_create", kwargs=kwargs),
        {"description": "Ask the ward manager", "owner": attendee.pk, "due_date": "2026-02-20"},
    )
    page = client.get(reverse("projects:set_detail", kwargs=kwargs))

    assert (meeting.status_code, action.status_code) == (302, 302)
    assert "Agreed the aim" in page.text
    assert "Ask the ward manager" in page.text


def test_set_meeting_create_by_other_set_is_not_found(world):
    kwargs = {"cohort_pk": world["cohort"].pk, "set_pk": world["set_a"].pk}

    response = client_for(world["member_b"]).post(
        reverse("projects:set_meeting_create", kwargs=kwargs), {"date": "2026-02-10"}
    )

    # A set's private pages answer 404 to those outside it (test_set_privacy.py).
    assert response.status_code == 404


# Pages ----------------------------------------------------------------------------------------------


def test_measure_detail_draws_run_chart_with_signals_and_table(world):
    response = client_for(world["member_b"]).get(measure_url(world))

    assert response.status_code == 200
    assert "<svg" in response.text
    assert 'class="rc-point rc-shift"' in response.text  # the six points after the change
    assert "Shift" in response.text
    assert "in the better direction" in response.text
    assert response.text.count("<tr>") >= 12  # the data table beside the chart


def test_measure_detail_with_few_points_says_not_enough_data(world):
    measure = MeasureFactory(project=world["project_a"])
    for week in range(4):
        DataPointFactory(measure=measure, value=week)

    response = client_for(world["member_a"]).get(project_url(world, "measure_detail", measure_pk=measure.pk))

    assert "Not enough data for the rules." in response.text
    assert "rc-shift" not in response.text.split("<figcaption")[0]


def test_measure_detail_marks_the_pdsa_cycles_that_name_the_measure(world):
    # The cycles and the measures each names are read for the chart: a change shows at once.
    other = MeasureFactory(project=world["project_a"], name="Falls")
    client = client_for(world["member_b"])
    first = ProjectPDSACycleFactory(project=world["project_a"], title="Print SBAR cards")
    unnamed = client.get(measure_url(world)).text
    second = ProjectPDSACycleFactory(project=world["project_a"], title="Falls huddle")
    second.measures.set([other])
    elsewhere = client.get(measure_url(world)).text
    first.measures.set([world["measure_a"]])
    named = client.get(measure_url(world)).text

    assert "PDSA 1: Print SBAR cards" in unnamed  # no cycle names it: all are marked
    assert "PDSA 2: Falls huddle" in elsewhere
    assert "PDSA 1: Print SBAR cards" in named
    assert "Falls huddle" not in named


def test_measure_detail_is_404_outside_its_project_and_cohort(world):
    client = client_for(world["member_a"])
    elsewhere = MeasureFactory()

    assert client.get(project_url(world, "measure_detail", measure_pk=elsewhere.pk)).status_code == 404
    assert (
        client.get(project_url(world, "measure_detail", key="project_b", measure_pk=world["measure_a"].pk)).status_code
        == 404
    )


def test_measure_detail_draws_its_forms_as_crispy_forms_does(world):
    page = client_for(world["member_a"]).get(measure_url(world)).text

    assert str(as_crispy_form(DataPointForm(measure=world["measure_a"]))) in page
    assert str(as_crispy_form(DataImportForm())) in page


def test_data_points_import_view_reports_rows_and_saves_nothing(world):
    before = DataPoint.objects.count()

    response = client_for(world["member_a"]).post(
        measure_url(world, "data_points_import"), {"text": "2026-05-04,10\nnot a date,11\n2026-05-18,abc"}
    )

    assert response.status_code == 400
    assert "Row 2:" in response.text
    assert "Row 3:" in response.text
    assert DataPoint.objects.count() == before


def test_data_points_import_view_accepts_csv_file(world):
    upload = SimpleUploadedFile("data.csv", b"date,value,note\n2026-05-04,70,\n2026-05-11,71,good week\n", "text/csv")

    response = client_for(world["member_a"]).post(measure_url(world, "data_points_import"), {"file": upload})

    assert response.status_code == 302
    assert world["measure_a"].data_points.filter(date=datetime.date(2026, 5, 11), value=71).exists()


def test_data_point_create_view_rejects_duplicate_date(world):
    response = client_for(world["member_a"]).post(
        measure_url(world, "data_point_create"), {"date": "2026-01-05", "value": "99"}
    )

    assert response.status_code == 400
    assert "already a value for this date" in response.text
    assert world["measure_a"].data_points.get(date=datetime.date(2026, 1, 5)).value == Decimal(40)


def test_progress_score_view_records_score(world):
    response = client_for(world["member_a"]).post(
        project_url(world, "progress_score_record"), {"score": "2.5", "note": "First tests"}
    )

    assert response.status_code == 302
    assert ImprovementProject.objects.get(pk=world["project_a"].pk).progress_score == Decimal("2.5")


def test_driver_diagram_view_saves_outline_and_project_page_shows_it(world):
    client = client_for(world["member_a"])

    response = client.post(
        project_url(world, "driver_diagram_update"), {"outline": "- Reliable handover\n  - One tool\n    - SBAR sheet"}
    )
    page = client.get(project_url(world, "project_detail"))

    assert response.status_code == 302
    assert "driver-change_idea" in page.text
    assert "SBAR sheet" in page.text


def test_pdsa_cycle_view_saves_cycle_with_measures(world):
    response = client_for(world["member_a"]).post(
        project_url(world, "pdsa_cycle_create"),
        {
            "title": "SBAR on Elm ward",
            "start_date": "2026-02-16",
            "plan": "One week",
            "measures": [world["measure_a"].pk],
            "act": "adapt",
        },
    )

    assert response.status_code == 302
    cycle = world["project_a"].pdsa_cycles.get()
    assert list(cycle.measures.all()) == [world["measure_a"]]
    assert cycle.act == "adapt"


def test_pdsa_cycle_form_rejects_measure_of_another_project(world):
    foreign = MeasureFactory(project=world["project_b"])

    response = client_for(world["member_a"]).post(
        project_url(world, "pdsa_cycle_create"),
        {"title": "X", "start_date": "2026-02-16", "measures": [foreign.pk]},
    )

    assert response.status_code == 400
    assert not world["project_a"].pdsa_cycles.exists()


# Query counts ------------------------------------------------------------------------------------


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _add_measure_with_points(project, points):
    measure = MeasureFactory(project=project)
    for week in range(points):
        DataPointFactory(measure=measure, value=week % 7)
    ProjectPDSACycleFactory(project=project).measures.add(measure)
    return measure


def test_project_detail_query_count_is_constant_in_data(world, django_assert_num_queries):
    client = client_for(world["member_a"])
    url = project_url(world, "project_detail")
    project = world["project_a"]
    ProjectPDSACycleFactory(project=project).measures.add(world["measure_a"])
    services.progress_score_record(project=project, score="1.0")
    services.driver_diagram_replace(project=project, outline="- A")
    small = _count_queries(client, url)

    for _ in range(3):
        _add_measure_with_points(project, 40)
    services.progress_score_record(project=project, score="2.0")
    services.driver_diagram_replace(project=project, outline="- A\n  - B\n    - C\n- D")

    with django_assert_num_queries(small):
        client.get(url)


# Session, user, membership, the request's savepoint and its release, and the page's four reads: the
# projects with their sets, privacy and scores; the measures with their points; the PDSA cycles with
# the measures they name; the celebration module with the schedule.
SHOWCASE_QUERIES = 9


def test_showcase_query_count_is_constant_in_projects(world, django_assert_num_queries):
    client = client_for(world["member_a"])
    url = reverse("projects:showcase", kwargs={"cohort_pk": world["cohort"].pk})
    ProjectPDSACycleFactory(project=world["project_a"]).measures.add(world["measure_a"])
    services.progress_score_record(project=world["project_a"], score="1.0")
    services.driver_diagram_replace(project=world["project_a"], outline="- A")
    PresentationFactory(action_learning_set=world["set_a"])
    small = _count_queries(client, url)
    assert small == SHOWCASE_QUERIES

    for index in range(4):
        extra_set = ActionLearningSetFactory(cohort=world["cohort"])
        participant_in_set(extra_set)
        project = ImprovementProjectFactory(action_learning_set=extra_set)
        _add_measure_with_points(project, 20 + index)
        PresentationFactory(action_learning_set=extra_set)

    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.text.count('class="showcase-project') == 6


def test_showcase_print_renders_one_page_per_project(world):
    response = client_for(world["member_b"]).get(
        reverse("projects:showcase_print", kwargs={"cohort_pk": world["cohort"].pk})
    )

    assert response.status_code == 200
    assert response.text.count('<div class="print-page">') == 2
    assert "projects/print.css" in response.text


# Module 6: slides and feedback --------------------------------------------------------------------------


def _pptx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<p:presentation/>")
    return buffer.getvalue()


@pytest.fixture
def presentation(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return PresentationFactory(action_learning_set=world["set_a"], project=world["project_a"])


def slides_url(world, presentation, name="slides_upload"):
    return reverse(f"projects:{name}", kwargs={"cohort_pk": world["cohort"].pk, "presentation_pk": presentation.pk})


def test_slides_upload_accepts_pdf_and_serves_it_to_members(world, presentation, tmp_path):
    pdf = SimpleUploadedFile("Our project.pdf", b"%PDF-1.7\n1 0 obj\n", content_type="application/pdf")

    response = client_for(world["member_a"]).post(slides_url(world, presentation), {"slides": pdf})
    download = client_for(world["member_b"]).get(slides_url(world, presentation, "slides_download"))

    assert response.status_code == 302
    presentation.refresh_from_db()
    assert presentation.slides_name == "Our project.pdf"
    assert (tmp_path / presentation.slides.name).exists()
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_slides_upload_accepts_pptx_by_content(world, presentation):
    pptx = SimpleUploadedFile("deck.pptx", _pptx_bytes(), content_type="application/octet-stream")

    response = client_for(world["member_a"]).post(slides_url(world, presentation), {"slides": pptx})

    assert response.status_code == 302
    presentation.refresh_from_db()
    assert presentation.slides.name.endswith(".pptx")


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        # HTML that calls itself a PDF.
        ("slides.pdf", lambda: b"<html><script>alert(1)</script>", "application/pdf", "PDF or a PowerPoint"),
        # One byte over the limit, built in the test rather than held from collection on.
        ("big.pdf", lambda: b"%PDF-" + b"0" * (services.SLIDES_MAX_BYTES + 1 - 5), "text/plain", "larger than 20 MB"),
    ],
    ids=["non-pdf-with-pdf-name", "oversize"],
)
def test_slides_upload_rejects_a_file_it_cannot_take(world, presentation, name, content, content_type, message):
    upload = SimpleUploadedFile(name, content(), content_type=content_type)

    response = client_for(world["member_a"]).post(slides_url(world, presentation), {"slides": upload})

    assert response.status_code == 400
    assert message in response.text
    presentation.refresh_from_db()
    assert not presentation.slides


def test_slides_upload_rejects_zip_that_is_not_a_presentation(world, presentation):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w/>")
    docx = SimpleUploadedFile("slides.pptx", buffer.getvalue())

    response = client_for(world["member_a"]).post(slides_url(world, presentation), {"slides": docx})

    assert response.status_code == 400


def test_slides_upload_by_other_set_is_forbidden(world, presentation):
    pdf = SimpleUploadedFile("x.pdf", b"%PDF-1.7")

    response = client_for(world["member_b"]).post(slides_url(world, presentation), {"slides": pdf})

    assert response.status_code == 403


def test_slides_download_is_404_for_another_cohort(world, presentation):
    services.presentation_slides_upload(presentation=presentation, uploaded_file=SimpleUploadedFile("x.pdf", b"%PDF-1"))
    stranger = MembershipFactory(cohort=CohortFactory(), person__user=UserFactory()).person.user

    response = client_for(stranger).get(slides_url(world, presentation, "slides_download"))

    assert response.status_code == 404


def test_feedback_from_peer_is_shown_to_set_but_not_to_other_peers(world, presentation):
    peer_client = client_for(world["member_b"])
    url = slides_url(world, presentation, "feedback_give")

    response = peer_client.post(url, {"went_well": "Clear run chart", "even_better_if": "Show the cost"})
    detail = slides_url(world, presentation, "presentation_detail")

    assert response.status_code == 302
    set_page = client_for(world["member_a"]).get(detail).text
    peer_page = peer_client.get(detail).text
    assert "Feedback received" in set_page
    assert "Clear run chart" in set_page
    assert "Feedback received" not in peer_page  # peers see only their own answer, in the form


def test_presentation_schedule_is_managed_by_facilitators(world, facilitator_client):
    url = reverse("projects:presentation_create", kwargs={"cohort_pk": world["cohort"].pk})
    data = {
        "order": 1,
        "starts_at": "10:00",
        "ends_at": "10:20",
        "action_learning_set": world["set_a"].pk,
        "project": world["project_a"].pk,
        "title": "Safer handovers",
    }

    assert client_for(world["member_a"]).post(url, data).status_code == 404
    assert facilitator_client.post(url, data).status_code == 302
    assert Presentation.objects.get().title == "Safer handovers"


def test_presentation_form_rejects_project_of_another_set(world, facilitator_client):
    url = reverse("projects:presentation_create", kwargs={"cohort_pk": world["cohort"].pk})
    data = {
        "order": 1,
        "starts_at": "10:00",
        "ends_at": "09:20",
        "action_learning_set": world["set_a"].pk,
        "project": world["project_b"].pk,
        "title": "Mixed up",
    }

    response = facilitator_client.post(url, data)

    assert response.status_code == 400
    assert "belongs to another set" in response.text
    assert "must end after it starts" in response.text
    assert not Presentation.objects.exists()


# An empty form drawn once per process (common.drawn_forms.empty_form_drawn) ---------------------


def test_empty_form_drawn_is_crispy_forms_drawing_kept_until_a_value_changes(world):
    from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form

    from common.drawn_forms import empty_form_drawn
    from projects.forms import ProjectForm
    from projects.models import ActionLearningSet

    project = world["project_a"]
    sets = ActionLearningSet.objects.filter(pk=world["set_a"].pk)

    def form():
        return ProjectForm(sets=sets, instance=project)

    first = empty_form_drawn(form())
    assert first == as_crispy_form(form())
    assert empty_form_drawn(form()) is first  # kept, not drawn again
    project.title = "Safer handovers, weekends too"
    changed = empty_form_drawn(form())
    assert "Safer handovers, weekends too" in changed
    assert changed == as_crispy_form(form())
    assert empty_form_drawn(ProjectForm({"title": "x"}, sets=sets)) is None
    stale = form()
    stale.cleaned_data = {}
    stale.add_error(None, "Someone else saved changes here")
    assert empty_form_drawn(stale) is None  # a stale save's message is drawn with the form


def test_project_update_page_shows_an_edit_made_elsewhere_at_once(world):
    client = client_for(world["member_a"])
    url = project_url(world, "project_update")
    assert "Safer handovers" in client.get(url).text

    ImprovementProject.objects.filter(pk=world["project_a"].pk).update(title="Safer night handovers")

    assert 'value="Safer night handovers"' in client.get(url).text


def test_project_update_refused_form_is_drawn_with_its_errors(world):
    client = client_for(world["member_a"])
    url = project_url(world, "project_update")
    client.get(url)

    response = client.post(url, {"title": "", "action_learning_set": world["set_a"].pk})

    assert response.status_code == 400
    assert "is-invalid" in response.text


def test_set_list_cards_show_a_new_member_and_project_at_once(world, facilitator_client):
    url = reverse("projects:set_list", kwargs={"cohort_pk": world["cohort"].pk})
    before = facilitator_client.get(url).text
    assert "Brand new project" not in before

    participant_in_set(world["set_b"], person__full_name="Newly Joined")
    ImprovementProjectFactory(action_learning_set=world["set_b"], title="Brand new project")
    after = facilitator_client.get(url).text

    assert "<li>Newly Joined</li>" in after
    assert "Brand new project</a>" in after
    assert "2 members" in after


def test_set_meeting_form_offers_and_accepts_only_the_sets_people(world):
    client = client_for(world["member_a"])
    kwargs = {"cohort_pk": world["cohort"].pk, "set_pk": world["set_a"].pk}
    own = Membership.objects.get(person__user=world["member_a"])
    other = Membership.objects.get(person__user=world["member_b"])
    url = reverse("projects:set_meeting_create", kwargs=kwargs)

    page = client.get(url).text
    refused = client.post(url, {"date": "2026-02-10", "attendees": [other.pk], "notes": "Who came?"})

    assert f'value="{own.pk}"' in page
    assert f'value="{other.pk}"' not in page
    assert refused.status_code == 400
    assert f'value="{other.pk}"' not in refused.text


def test_set_list_marks_the_viewers_own_set_only(world, facilitator_client):
    url = reverse("projects:set_list", kwargs={"cohort_pk": world["cohort"].pk})

    mine = client_for(world["member_a"]).get(url).text
    theirs = client_for(world["member_b"]).get(url).text
    facilitators = facilitator_client.get(url).text

    assert mine.count("Your set") == theirs.count("Your set") == 1
    assert mine.index("Set A") < mine.index("Your set") < mine.index("Set B")
    assert theirs.index("Set B") < theirs.index("Your set")
    assert "Your set" not in facilitators


def test_project_page_pdsa_list_shows_an_edit_at_once_and_edit_links_only_to_editors(world):
    from projects.models import ProjectPDSACycle

    cycle = ProjectPDSACycleFactory(project=world["project_a"], title="Try SBAR", study="Better")
    cycle.measures.set([world["measure_a"]])
    edit = project_url(world, "pdsa_cycle_update", cycle_pk=cycle.pk)
    own, other = client_for(world["member_a"]), client_for(world["member_b"])
    assert "PDSA 1: Try SBAR" in own.get(project_url(world, "project_detail")).text

    ProjectPDSACycle.objects.filter(pk=cycle.pk).update(title="Try SBAR on nights", act="adopt")
    page = own.get(project_url(world, "project_detail")).text
    seen_by_other = other.get(project_url(world, "project_detail")).text

    assert "PDSA 1: Try SBAR on nights" in page
    assert "Measures: Handovers using SBAR" in page
    assert edit in page
    assert "PDSA 1: Try SBAR on nights" in seen_by_other
    assert edit not in seen_by_other
