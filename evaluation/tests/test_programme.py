"""The programme pages: staff only, the figures of the demo's cohorts (computed here from the data), no
group under 3, and a query count that does not grow with the number of cohorts."""

import re
import statistics

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort, Membership
from cohorts.tests.factories import CohortFactory, MembershipFactory, ProgrammeFactory, UserFactory, client_for
from demo import scenario as demo
from evaluation import demo_finished, programme_selectors, result_selectors
from modules.models import Attendance, Module
from modules.tests.factories import add_participants, make_modules
from surveys.models import Answer, Invitation, Question, Response, Survey
from surveys.services.question_sets import question_set_default
from surveys.tests.factories import (
    CohortSurveyFactory,
    QuestionFactory,
    QuestionSetFactory,
    SurveyFactory,
    responses_bulk_create,
)
from surveys.tokens import pseudonym_for

pytestmark = pytest.mark.django_db

ITEMS = ("hlm-engaging-the-team-1", "prog-coaching-grow-1")


def detail_url(programme):
    return reverse("evaluation:programme_detail", kwargs={"programme_pk": programme.pk})


def cell(html: str, cohort, figure: str) -> str:
    """The text of one figure's cell of the cohorts table, tags and spacing removed."""
    match = re.search(rf'data-cohort="{cohort.pk}" data-figure="{figure}">(.*?)</td>', html, re.S)
    assert match, f"no {figure} cell for {cohort}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


# -- who may see the pages -------------------------------------------------------------------------


@pytest.fixture
def programme_with_cohort():
    cohort = CohortFactory()
    return cohort.programme, cohort


@pytest.mark.parametrize("name", ["evaluation:programme_list", "evaluation:programme_detail", "modules:cohort_create"])
def test_programme_pages_are_for_staff_only(programme_with_cohort, client, staff_user, name):
    programme, cohort = programme_with_cohort
    url = reverse(name, kwargs={} if name.endswith("list") else {"programme_pk": programme.pk})
    assert client_for(staff_user).get(url).status_code == 200
    # A facilitator of one of the programme's cohorts does not see the others' figures or people.
    facilitator = MembershipFactory(cohort=cohort, role=Membership.Role.FACILITATOR, person__user=UserFactory())
    assert client_for(facilitator.person.user).get(url).status_code == 404
    participant = MembershipFactory(cohort=cohort, person__user=UserFactory())
    assert client_for(participant.person.user).get(url).status_code == 404
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unknown_programme_is_404(staff_user):
    assert (
        client_for(staff_user).get(reverse("evaluation:programme_detail", kwargs={"programme_pk": 999999})).status_code
        == 404
    )


def test_programme_list_counts_cohorts_by_status(staff_user):
    programme = ProgrammeFactory()
    CohortFactory(programme=programme, status=Cohort.Status.FINISHED)
    CohortFactory(programme=programme, status=Cohort.Status.RUNNING)
    CohortFactory(programme=programme, status=Cohort.Status.RUNNING)
    listed = {p.pk: p for p in programme_selectors.programme_list()}[programme.pk]
    assert (listed.cohorts_planned, listed.cohorts_running, listed.cohorts_finished, listed.cohorts_total) == (
        0,
        2,
        1,
        3,
    )
    html = client_for(staff_user).get(reverse("evaluation:programme_list")).content.decode()
    assert detail_url(programme) in html


# -- the demo's cohorts ------------------------------------------------------------------------------


def _visible_module_surveys(cohort):
    return [
        s
        for s in Survey.objects.filter(cohort=cohort, kind=Survey.Kind.MODULE).select_related("module")
        if s.status == Survey.Status.CLOSED and s.responses.count() >= 3
    ]


def _expected_usefulness(cohort):
    numbers = Answer.objects.filter(
        response__survey__in=_visible_module_surveys(cohort), question__code="usefulness", number__isnull=False
    ).values_list("number", flat=True)
    return statistics.fmean(numbers)


def _expected_nps(cohort):
    numbers = list(
        Answer.objects.filter(
            response__survey__in=_visible_module_surveys(cohort), question__code="recommend", number__isnull=False
        ).values_list("number", flat=True)
    )
    return 100 * (sum(n >= 9 for n in numbers) - sum(n <= 6 for n in numbers)) / len(numbers)


def test_programme_page_compares_the_demo_cohorts(staff_user):
    call_command("load_demo", "--force", verbosity=0)
    finished = Cohort.objects.get(name=demo_finished.NAME)
    running = Cohort.objects.get(name=demo.COHORT)
    planned = Cohort.objects.get(name=demo.SECOND_COHORT)
    assert finished.programme_id == running.programme_id == planned.programme_id
    html = client_for(staff_user).get(detail_url(finished.programme)).content.decode()

    for cohort in (finished, running):
        marks = Attendance.objects.filter(
            module__cohort=cohort, module__state=Module.State.DELIVERED, membership__role=Membership.Role.PARTICIPANT
        )
        present, recorded = marks.filter(status=Attendance.Status.PRESENT).count(), marks.count()
        assert recorded, f"the demo records no attendance for {cohort}"
        assert cell(html, cohort, "attendance") == f"{round(100 * present / recorded)}% ({present} / {recorded})"
        invitations = Invitation.objects.filter(survey__cohort=cohort, survey__kind=Survey.Kind.MODULE)
        invited, responded = invitations.count(), invitations.filter(responded_at__isnull=False).count()
        assert cell(html, cohort, "module-response") == f"{round(100 * responded / invited)}% ({responded} / {invited})"
        assert cell(html, cohort, "usefulness") == f"{_expected_usefulness(cohort):.2f}"
        assert cell(html, cohort, "recommend") == f"{_expected_nps(cohort):.0f}"
        active = Membership.objects.filter(cohort=cohort, role=Membership.Role.PARTICIPANT, status="active").count()
        assert cell(html, cohort, "participants") == str(active)
    # The finished cohort has all five module surveys to compare; the running one only its closed ones.
    assert cell(html, finished, "surveys-shown") == "5"
    assert cell(html, running, "surveys-shown") == str(len(_visible_module_surveys(running)))
    finished.refresh_from_db()
    assert cell(html, finished, "dates") == f"{finished.start_date:%-d %b %Y} – {finished.end_date:%-d %b %Y}"
    assert cell(html, planned, "attendance") == "none yet"
    assert cell(html, planned, "usefulness") == "not yet"

    # The self-assessment change per cohort is the cohort page's own, figure for figure.
    comparison = programme_selectors.programme_comparison(programme=finished.programme)
    own = {row.code: row.post_pre for row in result_selectors.self_assessment_results(cohort=finished).rows}
    column = next(c for c in comparison.columns if c.cohort == finished)
    assert column.self_assessment.state == "shown"
    assert own
    assert set(own) == set(column.self_assessment.dimensions)
    for code, change in own.items():
        batched = column.self_assessment.dimensions[code].change
        assert (batched.n_pairs, batched.mean_change) == (change.n_pairs, change.mean_change)
    first = next(iter(own.values()))
    assert f"{first.mean_change:+.2f}" in html
    running_column = next(c for c in comparison.columns if c.cohort == running)
    assert running_column.self_assessment.state == "none"

    # The chart's table: each cohort's usefulness, module by module, from its closed surveys only.
    for survey in _visible_module_surveys(finished):
        numbers = Answer.objects.filter(response__survey=survey, question__code="usefulness").values_list(
            "number", flat=True
        )
        assert (survey.module.number, pytest.approx(statistics.fmean(numbers))) in column.points
    assert 'role="img"' in html
    assert "<desc" in html


def test_chart_question_can_be_chosen_and_a_bad_choice_is_refused(staff_user):
    cohort = CohortFactory()
    modules = make_modules(cohort, delivered=1)
    add_participants(cohort, modules, 4)
    _closed_module_survey(cohort, modules[0], 4)
    client = client_for(staff_user)
    html = client.get(detail_url(cohort.programme), {"question": "recommend"}).content.decode()
    assert "Would recommend (NPS), module by module" in html
    html = client.get(detail_url(cohort.programme), {"question": "<script>"}).content.decode()
    assert "There is a problem" in html
    assert "Useful for my work (mean, 1-5), module by module" in html
    assert "<script>" not in html.split("</header>", 1)[1].split("<script")[0]


# -- small groups ------------------------------------------------------------------------------------


def _closed_module_survey(cohort, module, responses, *, status=Survey.Status.CLOSED):
    extra = {"closed_at": timezone.now()} if status == Survey.Status.CLOSED else {}
    survey = SurveyFactory(
        module=module,
        cohort=cohort,
        question_set=question_set_default(),
        privacy=Survey.Privacy.PSEUDONYMOUS,
        status=status,
        **extra,
    )
    members = list(Membership.objects.participants().filter(cohort=cohort).order_by("pk"))
    Invitation.objects.bulk_create(
        Invitation(survey=survey, membership=m, responded_at=timezone.now() if i < responses else None)
        for i, m in enumerate(members)
    )
    responses_bulk_create(survey, responses)
    return survey


def _self_assessments(cohort, changes):
    """Closed pre and post self-assessments of ``cohort``: one person per (pre, post) pair in ``changes``."""
    now = timezone.now()
    surveys = []
    for kind, then in ((Survey.Kind.SELF_PRE, False), (Survey.Kind.SELF_POST, True)):
        question_set = QuestionSetFactory()
        for order, code in enumerate(ITEMS):
            QuestionFactory(
                question_set=question_set, code=code, order=order, kind=Question.Kind.LIKERT5, asks_then=then
            )
        surveys.append(
            CohortSurveyFactory(
                cohort=cohort, kind=kind, question_set=question_set, status=Survey.Status.CLOSED, closed_at=now
            )
        )
    for pre_value, post_value in changes:
        member = MembershipFactory(cohort=cohort)
        for survey, value in zip(surveys, (pre_value, post_value), strict=True):
            response = Response.objects.create(
                survey=survey, pseudonym=pseudonym_for(member.pk), profession="nurse", submitted_at=now, updated_at=now
            )
            Answer.objects.bulk_create(
                Answer(
                    response=response,
                    question=q,
                    number=value,
                    then_number=value if survey.kind == "self_post" else None,
                )
                for q in survey.question_set.questions.all()
            )
    return surveys


def test_groups_under_three_are_not_shown(staff_user):
    programme = ProgrammeFactory()
    small = CohortFactory(programme=programme, name="Small cohort")
    modules = make_modules(small, delivered=2)
    add_participants(small, modules, 2)  # two people's attendance
    _closed_module_survey(small, modules[0], 2)  # two responses
    _self_assessments(small, [(2, 4), (3, 5)])  # two pairs (and two responses each)
    # Enough responses to show the self-assessments, but only two people answered both.
    paired = CohortFactory(programme=programme, name="Paired cohort")
    _pre, post = _self_assessments(paired, [(2, 4), (3, 5), (3, 3)])
    extra = MembershipFactory(cohort=paired)
    Response.objects.filter(
        # One of the three who answered both (memberships sort by name, so ``extra`` may come first).
        survey=post,
        pseudonym=pseudonym_for(
            Membership.objects.filter(cohort=paired).exclude(pk=extra.pk).order_by("pk").first().pk
        ),
    ).update(pseudonym=pseudonym_for(extra.pk))
    # An open survey with plenty of answers: its figures wait for it to close.
    open_cohort = CohortFactory(programme=programme, name="Open cohort")
    open_modules = make_modules(open_cohort, delivered=1)
    add_participants(open_cohort, open_modules, 5)
    _closed_module_survey(open_cohort, open_modules[0], 5, status=Survey.Status.OPEN)

    comparison = programme_selectors.programme_comparison(programme=programme)
    columns = {c.cohort.name: c for c in comparison.columns}
    assert columns["Small cohort"].attendance.value is None
    assert columns["Small cohort"].attendance.too_few
    assert all(h.value is None for h in columns["Small cohort"].headline)
    assert columns["Small cohort"].self_assessment.state == "waiting"
    assert columns["Paired cohort"].self_assessment.state == "shown"
    assert all(d.change.suppressed for d in columns["Paired cohort"].self_assessment.dimensions.values())
    assert all(h.value is None for h in columns["Open cohort"].headline)
    assert comparison.series == []

    html = client_for(staff_user).get(detail_url(programme)).content.decode()
    assert cell(html, small, "attendance") == "fewer than 3 people"
    assert cell(html, small, "module-response") == "fewer than 3 people"
    assert cell(html, small, "usefulness") == "not yet"
    assert "fewer than 3 pairs" in html
    # Neither small group's mean change appears: +2.00 (the small cohort), +1.00 (the two pairs).
    assert "+2.00" not in html
    assert "+1.00" not in html


# -- queries ------------------------------------------------------------------------------------------


def _changes(k):
    """Each cohort's own (pre, post) pairs, so that mixing cohorts up would show in the means."""
    return [(2, 2 + k), (3, 3 + k), (3, 4), (1, 2)]


def _cohort_with_everything(programme, k):
    cohort = CohortFactory(programme=programme)
    modules = make_modules(cohort, delivered=3)
    add_participants(cohort, modules, 4)
    for module in modules[:2]:
        _closed_module_survey(cohort, module, 4)
    _self_assessments(cohort, _changes(k))
    return cohort


@pytest.mark.parametrize("cohorts", [2, 5])
def test_programme_page_query_count_is_constant_in_the_number_of_cohorts(
    staff_user, django_assert_max_num_queries, cohorts
):
    programme = ProgrammeFactory()
    made = [_cohort_with_everything(programme, k % 3) for k in range(cohorts)]
    client = client_for(staff_user)
    # The selector's nine, the programme, the session and user, and the request's BEGIN and COMMIT.
    with django_assert_max_num_queries(14):
        response = client.get(detail_url(programme))
    assert response.status_code == 200
    assert response.content.decode().count('data-figure="usefulness"') == cohorts
    with CaptureQueriesContext(connection) as queries:
        comparison = programme_selectors.programme_comparison(programme=programme)
    assert len(queries) == 9
    assert len(comparison.series) == cohorts
    assert all(column.self_assessment.state == "shown" for column in comparison.columns)
    assert all(not d.change.suppressed for c in comparison.columns for d in c.self_assessment.dimensions.values())
    assert {column.cohort for column in comparison.columns} == set(made)
    for k, cohort in enumerate(made):
        column = next(c for c in comparison.columns if c.cohort == cohort)
        expected = statistics.fmean(post - pre for pre, post in _changes(k % 3))
        for dimension in column.self_assessment.dimensions.values():
            assert dimension.change.mean_change == pytest.approx(expected)
