"""Keyboard-only journeys in Chromium: Tab, Shift+Tab, Enter, Space and the arrow keys, never the mouse.

At every stop the focused element must show its focus (WCAG 2.4.7), and after each submit focus
must land where a sighted user looks: the error summary when something needs fixing, the
confirmation when it is done. Each journey starts from the demo (``manage.py load_demo``).
"""

import contextlib
import datetime
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from cohorts.models import Cohort
from demo import scenario as demo
from modules.models import Attendance, Module
from projects.models import DataPoint, Measure
from surveys.models import Response, Survey
from surveys.services import cohort_survey_settings_update, invitation_issue_token, survey_open_for_module
from surveys.tests.factories import ChoiceFactory, QuestionFactory, QuestionSetFactory

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

# The focused element draws an outline or a shadow. Bootstrap's toggle buttons hide their radio
# and draw its focus on the label that follows it. Tabbing on through a date field, Chromium stops
# on the field's own calendar button: the field is then the active element without matching
# :focus, and the browser draws that button's focus ring itself, out of a page's reach.
FOCUS_SHOWN = """() => {
  let el = document.activeElement;
  if (!el || el === document.body) return "nothing has focus";
  if (el.matches("input[type=date]") && !el.matches(":focus")) return "";
  if (el.matches("input.btn-check")) el = document.querySelector(`label[for="${el.id}"]`);
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  if (outline || style.boxShadow !== "none") return "";
  return `no visible focus on <${el.tagName.toLowerCase()} id="${el.id}">${(el.textContent || "").trim().slice(0, 60)}`;
}"""
MAX_TABS = 250


@pytest.fixture
def demo_cohort(transactional_db):
    call_command("load_demo", "--force", verbosity=0)
    return Cohort.objects.get(name=demo.COHORT)


def assert_focus_shown(page):
    # The browser asks for reduced motion, so Bootstrap draws the focus ring at once; a busy machine
    # may still paint late, so give it up to three seconds to show before judging.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(f"() => ({FOCUS_SHOWN})() === ''", timeout=3000)
    problem = page.evaluate(FOCUS_SHOWN)
    assert problem == "", problem


def is_focused(locator):
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page, locator, *, key="Tab"):
    """Press Tab (or Shift+Tab) until ``locator`` has focus; focus must show at every stop."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press(key)
        assert_focus_shown(page)
        if is_focused(locator):
            return presses
    raise AssertionError(f"{locator} was not reached with {MAX_TABS} presses of {key}")


def press(page, key):
    """Press a key on the focused element and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def assert_focus_on(locator):
    assert is_focused(locator), f"focus is not on {locator}"
    assert_focus_shown(locator.page)


def sign_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    username_field = page.get_by_label("Username")
    assert_focus_on(username_field)  # the sign-in form's autofocus
    page.keyboard.type(username)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(password)
    press(page, "Enter")
    assert page.url.rstrip("/") != f"{live_server.url}/accounts/login"


def test_facilitator_records_attendance_and_marks_the_module_delivered(page, live_server, demo_cohort):
    module = demo_cohort.modules.get(number=4)
    people = list(demo_cohort.memberships.filter(role="participant").order_by("person__full_name"))
    sign_in(page, live_server, *demo.FACILITATOR_LOGIN)
    page.goto(f"{live_server.url}/cohorts/{demo_cohort.pk}/modules/4/")

    # Everyone present with the shortcut, then one person moved to apologies with the arrow keys.
    fill = page.get_by_role("button", name="Mark everyone not yet recorded as present")
    tab_to(page, fill)
    page.keyboard.press("Space")
    first = page.get_by_role("group", name=re.compile(re.escape(people[0].person.full_name)))
    tab_to(page, first.get_by_role("radio", name="Present"))
    page.keyboard.press("ArrowRight")
    assert first.get_by_role("radio", name="Apologies").is_checked()
    tab_to(page, page.get_by_role("button", name="Save attendance"))
    press(page, "Enter")

    confirmation = page.get_by_role("status").filter(has_text="Attendance saved")
    assert_focus_on(confirmation)
    statuses = dict(Attendance.objects.filter(module=module).values_list("membership_id", "status"))
    assert statuses[people[0].pk] == Attendance.Status.APOLOGIES
    assert [statuses[p.pk] for p in people[1:]] == [Attendance.Status.PRESENT] * (len(people) - 1)

    tab_to(page, page.get_by_role("link", name="Mark delivered…"))
    press(page, "Enter")
    tab_to(page, page.get_by_role("button", name="Yes, mark delivered"))
    press(page, "Space")

    confirmation = page.get_by_role("status").filter(has_text="Module 4 is marked delivered")
    assert_focus_on(confirmation)
    module.refresh_from_db()
    assert module.state == Module.State.DELIVERED


# code, kind, text, choices, extra fields: every kind of question, and one shown only after an answer.
QUESTIONS = [
    ("useful", "likert5", "The day was useful for my work.", [], {}),
    ("pace", "single_choice", "How did the pace feel?", ["Too slow", "About right", "Too fast"], {}),
    ("rushed", "short_text", "Which part felt rushed?", [], {"required": False, "condition": ("pace", "Too fast")}),
    (
        "helped",
        "multiple_choice",
        "What helped you most?",
        ["Group work", "Input", "Reflection"],
        {"required": False, "max_choices": 2},
    ),
    ("well", "long_text", "What went well?", [], {"required": False}),
    ("recommend", "rating0_10", "How likely are you to recommend the programme?", [], {}),
]


@pytest.fixture
def survey_link(demo_cohort):
    """Module 4's survey, opened with a question set of all six kinds and a conditional question."""
    question_set = QuestionSetFactory(name="Every kind of question")
    made = {}
    for order, (code, kind, text, choices, extra) in enumerate(QUESTIONS):
        condition = extra.pop("condition", None)
        made[code] = QuestionFactory(
            question_set=question_set,
            order=order,
            code=code,
            kind=kind,
            text=text,
            condition_question=made[condition[0]] if condition else None,
            condition_value=condition[1] if condition else "",
            **extra,
        )
        for number, label in enumerate(choices):
            ChoiceFactory(question=made[code], order=number, label=label)
    cohort_survey_settings_update(cohort=demo_cohort, question_set=question_set, privacy=Survey.Privacy.NAMED)
    survey = survey_open_for_module(module=demo_cohort.modules.get(number=4))
    invitation = survey.invitations.get(membership__person__user__username=demo.PARTICIPANT_LOGIN[0])
    return survey, invitation_issue_token(invitation=invitation)


def test_participant_answers_every_kind_of_question_and_fixes_an_error_from_the_summary(
    phone_page, live_server, survey_link
):
    page = phone_page
    survey, token = survey_link
    page.goto(f"{live_server.url}/s/{token}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Your feedback on module 4")

    useful = page.get_by_role("group", name=re.compile("useful for my work"))
    tab_to(page, useful.get_by_role("radio").first)
    page.keyboard.press("Space")  # 1 – Strongly disagree
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert useful.get_by_role("radio", name="4 – Agree").is_checked()

    rushed = page.get_by_label("Which part felt rushed?")
    assert not rushed.is_visible()  # shown only if the pace was too fast
    pace = page.get_by_role("group", name=re.compile("pace"))
    tab_to(page, pace.get_by_role("radio").first)
    page.keyboard.press("Space")  # Too slow
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert pace.get_by_role("radio", name="Too fast").is_checked()
    tab_to(page, rushed)
    page.keyboard.type("The afternoon exercise")

    helped = page.get_by_role("group", name=re.compile("helped you most"))
    tab_to(page, helped.get_by_role("checkbox", name="Group work"))
    page.keyboard.press("Space")
    tab_to(page, helped.get_by_role("checkbox", name="Reflection"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("What went well?"))
    page.keyboard.type("Practising with real cases.")

    # The rating (required) is left out: the form comes back with an error summary.
    tab_to(page, page.get_by_role("button", name="Send my answers"))
    press(page, "Enter")
    summary = page.locator("#error-summary")
    assert_focus_on(summary)
    error_link = summary.get_by_role("link", name=re.compile("recommend the programme"))
    tab_to(page, error_link)
    page.keyboard.press("Enter")
    recommend = page.get_by_role("group", name=re.compile("recommend the programme"))
    assert_focus_on(recommend)
    page.keyboard.press("Tab")
    assert_focus_on(recommend.get_by_role("radio", name="0", exact=True))
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    assert recommend.get_by_role("radio", name="8", exact=True).is_checked()
    tab_to(page, page.get_by_role("button", name="Send my answers"))
    press(page, "Enter")

    assert_focus_on(page.get_by_role("status").filter(has_text="your answers are saved"))
    response = Response.objects.get(survey=survey)
    answers = {a.question.code: a for a in response.answers.select_related("question").prefetch_related("choices")}
    assert answers["useful"].number == 4
    assert [c.label for c in answers["pace"].choices.all()] == ["Too fast"]
    assert answers["rushed"].text == "The afternoon exercise"
    assert sorted(c.label for c in answers["helped"].choices.all()) == ["Group work", "Reflection"]
    assert answers["well"].text == "Practising with real cases."
    assert answers["recommend"].number == 8


def _participants_measure():
    return Measure.objects.filter(
        project__action_learning_set__set_memberships__membership__person__user__username=demo.PARTICIPANT_LOGIN[0]
    ).first()


def _day_read_alike():
    """Headless Chromium lays a date field out month first whatever the locale, so the day typed is
    one whose day and month are the same number: it reads alike either way round."""
    day = timezone.localdate() - datetime.timedelta(days=1)
    while day.day != day.month:
        day -= datetime.timedelta(days=1)
    return day


def test_participant_edits_a_data_point_of_a_measure(page, live_server, demo_cohort):
    measure = _participants_measure()
    point = measure.data_points.order_by("date").first()
    label = f"{point.date.day} {point.date:%b %Y}"
    sign_in(page, live_server, *demo.PARTICIPANT_LOGIN)
    project = measure.project
    measure_url = f"{live_server.url}/cohorts/{demo_cohort.pk}/projects/{project.pk}/measures/{measure.pk}/"
    page.goto(measure_url)

    # The data table beside the chart: each row has its own edit link, named after its date.
    tab_to(page, page.get_by_role("link", name=f"Edit {label}", exact=True))
    press(page, "Enter")
    assert page.get_by_role("heading", level=1).inner_text() == "Edit a data point"
    value = page.get_by_label("Value")
    tab_to(page, value)
    page.keyboard.press("Control+A")
    page.keyboard.type("not a number")
    tab_to(page, page.get_by_label("Note"))
    page.keyboard.press("Control+A")
    page.keyboard.type("Recounted from the ward log")
    tab_to(page, page.get_by_role("button", name="Save data point"))
    press(page, "Enter")

    # A number field keeps nothing that is not a number, so the browser sends it empty: the
    # server's check says so in the error summary, where focus lands.
    summary = page.locator("#error-summary")
    assert_focus_on(summary)
    tab_to(page, summary.get_by_role("link").first)
    page.keyboard.press("Enter")
    assert_focus_on(value)
    page.keyboard.type("17.25")
    tab_to(page, page.get_by_role("button", name="Save data point"))
    press(page, "Enter")

    assert_focus_on(page.get_by_role("status").filter(has_text=f"Data point for {label} saved"))
    assert page.url.startswith(measure_url)
    point.refresh_from_db()
    assert (point.value, point.note) == (Decimal("17.25"), "Recounted from the ward log")
    assert measure.data_points.count() == measure.data_points.values("date").distinct().count()


def test_participant_adds_a_data_point_to_a_measure(page, live_server, demo_cohort):
    measure = _participants_measure()
    day = _day_read_alike()
    assert not measure.data_points.filter(date=day).exists()
    sign_in(page, live_server, *demo.PARTICIPANT_LOGIN)
    project = measure.project
    page.goto(f"{live_server.url}/cohorts/{demo_cohort.pk}/projects/{project.pk}/measures/{measure.pk}/")

    form = page.get_by_role("region", name="Add a data point")
    presses = tab_to(page, form.get_by_label("Date"))
    page.keyboard.type(day.strftime("%d%m%Y"))
    tab_to(page, form.get_by_label("Value"))
    page.keyboard.type("12.5")
    tab_to(page, form.get_by_label("Note"))
    page.keyboard.type("Entered by keyboard")
    tab_to(page, form.get_by_role("button", name="Add data point"))
    press(page, "Enter")

    assert_focus_on(page.get_by_role("status").filter(has_text="Data point added"))
    point = DataPoint.objects.get(measure=measure, date=day)
    assert (point.value, point.note) == (Decimal("12.5"), "Entered by keyboard")
    # The form comes after the data table, whose rows each have an edit and a delete link.
    assert presses < MAX_TABS


def test_signed_in_person_signs_out_from_the_header_with_the_keyboard(page, live_server, demo_cohort):
    # The header is drawn once per process (common.drawn); its button posts the sign-out form that
    # base.html draws outside it with the request's CSRF token.
    sign_in(page, live_server, *demo.FACILITATOR_LOGIN)
    page.set_viewport_size({"width": 1280, "height": 800})  # the navigation shows without its toggler
    sign_out = page.get_by_role("button", name="Sign out")
    tab_to(page, sign_out)
    press(page, "Enter")

    assert page.url.rstrip("/").endswith("/accounts/login")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url  # signed out: home sends them to sign in
    assert page.get_by_role("button", name="Sign out").count() == 0
