"""Non-named survey figures never single out a group smaller than three (issue 9, point 3).

A facilitator knows every participant's profession (cohort page) and who has answered (survey page).
So a profession answered by one or two people names them in any breakdown, an export row, or as the
difference between the whole and the groups shown. Each test below uses a group of 1 and of 2.
"""

import csv
import datetime
import io
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone
from openpyxl import load_workbook

from cohorts.tests.factories import CohortFactory, MembershipFactory
from modules.tests.factories import ModuleFactory
from surveys.models import Invitation, Response, Survey
from surveys.services import (
    invitation_issue_token,
    question_set_default,
    response_submit,
    summary_send,
    survey_close,
    survey_open_for_module,
)

pytestmark = pytest.mark.django_db

POOLED_LABEL = "Other professions (pooled)"
DOCTOR_TEXT = "Only the doctor would say this"


def _answers(usefulness, went_well=""):
    return {
        "usefulness": str(usefulness),
        "confidence": "3",
        "pace": "About right",
        "recommend": "8",
        "went_well": went_well,
    }


def _survey(cohort, groups, *, privacy=Survey.Privacy.PSEUDONYMOUS, close=True):
    """A module 1 survey answered by ``groups``: [(profession, how many, usefulness, went_well)]."""
    module = ModuleFactory(cohort=cohort, number=1)
    memberships = {
        (profession, i): MembershipFactory(cohort=cohort, person__profession=profession)
        for profession, n, _useful, _text in groups
        for i in range(n)
    }
    survey = survey_open_for_module(module=module)
    survey.privacy = privacy
    survey.question_set = question_set_default()
    survey.save()
    for profession, n, useful, text in groups:
        for i in range(n):
            invitation = survey.invitations.get(membership=memberships[profession, i])
            token = invitation_issue_token(invitation=invitation)
            response_submit(invitation=invitation, token=token, raw_answers=_answers(useful, text))
    if close:
        survey_close(survey=survey)
    return survey


def _small_group(cohort, size, **kwargs):
    """Four nurses and ``size`` doctors who answer differently."""
    return _survey(cohort, [("nurse", 4, 5, "Fine day"), ("medicine", size, 1, DOCTOR_TEXT)], **kwargs)


def _mixed(cohort):
    """Two groups of 3 and three professions of 1, which together make a pool of 3."""
    return _survey(
        cohort,
        [
            ("nurse", 3, 5, ""),
            ("psychology", 3, 4, ""),
            ("medicine", 1, 1, ""),
            ("social_work", 1, 2, ""),
            ("occupational_therapy", 1, 2, ""),
        ],
    )


def _url(survey, name, **extra):
    return reverse(f"surveys:{name}", kwargs={"cohort_pk": survey.module.cohort_id, "number": 1, **extra})


def _csv_rows(client, survey):
    response = client.get(_url(survey, "survey_export", fmt="csv"))
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def _xlsx_rows(client, survey):
    response = client.get(_url(survey, "survey_export", fmt="xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def _column(rows, title):
    index = rows[0].index(title)
    return [row[index] for row in rows[1:]]


# Exports -----------------------------------------------------------------------------------------


PROFESSION_WORDS = re.compile(r"nurs|medicine|psycholog|social|profession", re.IGNORECASE)


@pytest.mark.parametrize("rows_of", [_csv_rows, _xlsx_rows])
@pytest.mark.parametrize("size", [1, 2])
def test_export_gives_no_profession_of_a_small_group(facilitator_client, cohort, size, rows_of):
    survey = _small_group(cohort, size)
    rows = rows_of(facilitator_client, survey)
    assert len(rows) == 4 + size + 1
    # Neither the profession nor a pooled label: see the test below for why pooling is not enough.
    assert not [cell for row in rows for cell in row if PROFESSION_WORDS.search(str(cell))]
    doctor_rows = [row for row in rows if DOCTOR_TEXT in row]
    assert len(doctor_rows) == size  # the answers themselves are all there


@pytest.mark.parametrize("rows_of", [_csv_rows, _xlsx_rows])
def test_export_non_named_has_no_times_and_no_row_ids(facilitator_client, cohort, rows_of):
    survey = _small_group(cohort, 1)
    rows = rows_of(facilitator_client, survey)
    questions = [h for h in rows[0] if re.match(r"^[a-z_]+: ", h)]
    # Only the pseudonym pairs a person's answers; no time or response number says who answered when.
    assert rows[0] == ["Pseudonym", *questions]
    assert all(re.fullmatch(r"[0-9a-f]{12}", p) for p in _column(rows, "Pseudonym"))
    assert not any(re.search(r"\d\d:\d\d", str(cell)) for row in rows for cell in row)
    pseudonyms = _column(rows, "Pseudonym")
    assert pseudonyms == sorted(pseudonyms)  # not the order in which people answered


def _fits(rows_by_module, professions, answered):
    """For each pseudonym, how many participants fit all the facilitator can know about it.

    The facilitator knows everyone's profession (``professions``: person -> label) and who answered
    each module (``answered``: module -> people); the exports give, per module, the pseudonyms that
    answered and, if there is such a column, a profession label.
    """
    appearances: dict[str, dict[int, str | None]] = {}
    shown_by_module = {}
    for number, rows in rows_by_module.items():
        has_profession = "Profession" in rows[0]
        pseudonyms = _column(rows, "Pseudonym")
        labels = _column(rows, "Profession") if has_profession else [None] * len(pseudonyms)
        shown_by_module[number] = set(labels) - {None, "", POOLED_LABEL}
        for pseudonym, label in zip(pseudonyms, labels, strict=True):
            appearances.setdefault(pseudonym, {})[number] = label
    fits = {}
    for pseudonym, seen in appearances.items():
        fits[pseudonym] = sum(
            1
            for person, profession in professions.items()
            if all((person in answered_by) == (number in seen) for number, answered_by in answered.items())
            and all(
                label is None or label == profession or (label in ("", POOLED_LABEL) and profession not in shown)
                for number, label in seen.items()
                for shown in [shown_by_module[number]]
            )
        )
    return fits


def test_exports_of_several_modules_together_leave_every_pseudonym_among_three(facilitator_client, cohort):
    # Module 1: three doctors, nurses and social workers. Module 2: one doctor, three nurses, two
    # social workers. Pooled per survey, the doctor's pseudonym reads "Medicine" in module 1 and
    # "Other" in module 2, where only one doctor answered: the two exports together name him.
    people = {("medicine", i): MembershipFactory(cohort=cohort, person__profession="medicine") for i in range(3)} | {
        (p, i): MembershipFactory(cohort=cohort, person__profession=p)
        for p in ["nurse", "social_work"]
        for i in range(3)
    }
    answering = {
        1: list(people),
        2: [("medicine", 0), *[("nurse", i) for i in range(3)], ("social_work", 0), ("social_work", 1)],
    }
    rows_by_module, answered = {}, {}
    for number, who in answering.items():
        survey = survey_open_for_module(module=ModuleFactory(cohort=cohort, number=number))
        for key in who:
            invitation = survey.invitations.get(membership=people[key])
            token = invitation_issue_token(invitation=invitation)
            response_submit(invitation=invitation, token=token, raw_answers=_answers(3))
        survey_close(survey=survey)
        rows_by_module[number] = _csv_rows(facilitator_client, survey)
        answered[number] = {people[key].pk for key in who}
    labels = {"medicine": "Medicine / psychiatry", "nurse": "Nursing", "social_work": "Social work"}
    professions = {membership.pk: labels[profession] for (profession, _i), membership in people.items()}
    fits = _fits(rows_by_module, professions, answered)
    assert len(fits) == 9
    assert min(fits.values()) >= 3


def test_export_anonymous_has_only_answers(facilitator_client, cohort):
    survey = _small_group(cohort, 1, privacy=Survey.Privacy.ANONYMOUS)
    rows = _csv_rows(facilitator_client, survey)
    assert all(re.match(r"^[a-z_]+: ", h) for h in rows[0])
    assert len(rows) == 6


def test_export_named_is_unchanged(facilitator_client, cohort):
    survey = _small_group(cohort, 1, privacy=Survey.Privacy.NAMED)
    rows = _csv_rows(facilitator_client, survey)
    assert rows[0][:5] == ["Response", "Submitted", "Last changed", "Name", "Profession"]
    assert sorted(_column(rows, "Profession")) == ["medicine"] + ["nurse"] * 4
    assert all(re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d$", value) for value in _column(rows, "Submitted"))


# Results page --------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2])
def test_results_page_gives_no_breakdown_that_singles_out_a_small_group(facilitator_client, cohort, size):
    survey = _small_group(cohort, size)
    page = facilitator_client.get(_url(survey, "survey_results")).content.decode()
    # "Nurses: mean 5" beside "everyone: mean 4.3" would give the doctors' answers by subtraction.
    assert "Mean by profession" not in page
    assert "Nursing" not in page
    assert "Medicine" not in page
    assert DOCTOR_TEXT in page  # free text is still shown, without a name or a profession


def test_results_page_pools_small_groups_so_groups_add_up(facilitator_client, cohort):
    survey = _mixed(cohort)
    page = facilitator_client.get(_url(survey, "survey_results")).content.decode()
    rows = re.findall(r'<tr><th scope="row" class="fw-normal">([^<]+)</th><td>(\d+)</td><td>[\d.]+</td></tr>', page)
    usefulness = rows[:3]
    assert sorted(usefulness) == sorted([(POOLED_LABEL, "3"), ("Nursing", "3"), ("Psychology", "3")])
    assert "Medicine" not in page
    assert "Social work" not in page


def test_results_page_lists_free_text_in_no_order_of_answering(facilitator_client, cohort):
    survey = _survey(
        cohort, [("nurse", 1, 4, "Zebra crossing"), ("social_work", 1, 4, ""), ("psychology", 1, 4, "Apples")]
    )
    page = facilitator_client.get(_url(survey, "survey_results")).content.decode()
    assert page.index("Apples") < page.index("Zebra crossing")


# Summary mail and admin ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2])
def test_summary_mail_gives_no_profession_figures(cohort, facilitator, size, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    survey = _small_group(cohort, size)
    summary_send(survey_id=survey.pk)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    bodies = [message.body] + [content for content, _type in message.alternatives]
    for body in bodies:
        assert f"{4 + size} of {4 + size}" in body
        assert "Nursing" not in body
        assert "Medicine" not in body
        assert DOCTOR_TEXT not in body


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize("size", [1, 2])
def test_admin_response_pages_show_neither_profession_nor_time_of_non_named(staff_client, cohort, size):
    survey = _small_group(cohort, size)
    doctor = Response.objects.get(survey=survey, profession="medicine") if size == 1 else None
    moment = timezone.localtime(Response.objects.filter(survey=survey).latest("submitted_at").submitted_at)
    changelist = staff_client.get(reverse("admin:surveys_response_changelist")).content.decode()
    assert formats.date_format(moment, "TIME_FORMAT") not in changelist
    assert formats.date_format(moment.date(), "DATE_FORMAT") in changelist
    assert "medicine" not in changelist.lower()
    for response in Response.objects.filter(survey=survey):
        page = staff_client.get(reverse("admin:surveys_response_change", args=[response.pk])).content.decode()
        assert "medicine" not in page.lower()
        assert "nurs" not in page.lower()
        assert formats.date_format(moment, "TIME_FORMAT") not in page
    if doctor:
        page = staff_client.get(reverse("admin:surveys_response_change", args=[doctor.pk])).content.decode()
        assert DOCTOR_TEXT in page  # the answers themselves stay readable to staff


def test_admin_invitations_of_a_non_named_survey_say_whether_not_when_people_answered(staff_client, cohort):
    """Responses are listed in the order they came in; the time each named person answered, beside
    them, would tell which pseudonymous response is whose. Named surveys keep the time."""
    survey = _small_group(cohort, 1)
    # A time of its own, unlike the invitations' sending time, so the pages can be searched for it.
    answered = datetime.datetime(2026, 3, 3, 13, 47, tzinfo=datetime.UTC)
    Invitation.objects.filter(survey=survey).update(responded_at=answered)
    changelist = staff_client.get(reverse("admin:surveys_invitation_changelist")).content.decode()
    for invitation in Invitation.objects.filter(survey=survey):
        moment = timezone.localtime(invitation.responded_at)
        page = staff_client.get(reverse("admin:surveys_invitation_change", args=[invitation.pk])).content.decode()
        for html in (changelist, page):
            assert formats.localize(moment) not in html
        assert "yes" in page
    named = _small_group(CohortFactory(), 1, privacy=Survey.Privacy.NAMED)
    Invitation.objects.filter(survey=named).update(responded_at=answered)
    for invitation in Invitation.objects.filter(survey=named):
        page = staff_client.get(reverse("admin:surveys_invitation_change", args=[invitation.pk])).content.decode()
        assert formats.localize(timezone.localtime(invitation.responded_at)) in page


def test_admin_named_response_keeps_profession_and_time(staff_client, cohort):
    survey = _small_group(cohort, 1, privacy=Survey.Privacy.NAMED)
    doctor = Response.objects.get(survey=survey, profession="medicine")
    page = staff_client.get(reverse("admin:surveys_response_change", args=[doctor.pk])).content.decode()
    assert "Medicine / psychiatry" in page
    assert formats.date_format(timezone.localtime(doctor.submitted_at), "TIME_FORMAT") in page


def test_export_rows_in_pseudonym_order_keep_their_own_answers(facilitator_client, cohort):
    # Rows, answers and chosen labels are three streams merged in pseudonym order, not id order:
    # every row must still carry its own answers (on PostgreSQL this also checks the collation).
    module = ModuleFactory(cohort=cohort, number=1)
    memberships = [MembershipFactory(cohort=cohort) for _ in range(20)]
    survey = survey_open_for_module(module=module)
    for i, membership in enumerate(memberships):
        invitation = survey.invitations.get(membership=membership)
        response_submit(
            invitation=invitation,
            token=invitation_issue_token(invitation=invitation),
            raw_answers={**_answers(1 + i % 5, f"useful {1 + i % 5}"), "pace": ["Too slow", "Too fast"][i % 2]},
        )
    survey_close(survey=survey)
    rows = _csv_rows(facilitator_client, survey)
    columns = {h.split(":")[0]: h for h in rows[0]}
    usefulness, went_well, pace = (_column(rows, columns[c]) for c in ["usefulness", "went_well", "pace"])
    assert len(usefulness) == 20
    assert [f"useful {u}" for u in usefulness] == went_well
    assert sorted(pace) == ["Too fast"] * 10 + ["Too slow"] * 10
    assert _column(rows, "Pseudonym") == sorted(_column(rows, "Pseudonym"))


# Figures wait for the survey to close --------------------------------------------------------------
# While a survey is open the facilitator sees who has just answered; results that change with each
# answer would show what that person said (the new text, the bar that moved, the new export row).


@pytest.mark.parametrize("privacy", [Survey.Privacy.PSEUDONYMOUS, Survey.Privacy.ANONYMOUS])
def test_results_page_of_open_non_named_survey_shows_no_figures_until_closed(facilitator_client, cohort, privacy):
    survey = _small_group(cohort, 1, privacy=privacy, close=False)
    page = facilitator_client.get(_url(survey, "survey_results")).content.decode()
    assert "5 of 5 invited have responded" in page
    assert DOCTOR_TEXT not in page
    assert "Mean 4.20" not in page
    assert "export.csv" not in page
    survey_close(survey=survey)
    page = facilitator_client.get(_url(survey, "survey_results")).content.decode()
    assert DOCTOR_TEXT in page
    assert "Mean 4.20" in page


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_of_open_non_named_survey_waits_until_closed(facilitator_client, cohort, fmt):
    survey = _small_group(cohort, 1, close=False)
    response = facilitator_client.get(_url(survey, "survey_export", fmt=fmt))
    assert response.status_code == 302
    survey_close(survey=survey)
    assert facilitator_client.get(_url(survey, "survey_export", fmt=fmt)).status_code == 200


def test_export_of_open_named_survey_is_available(facilitator_client, cohort):
    survey = _small_group(cohort, 1, privacy=Survey.Privacy.NAMED, close=False)
    assert facilitator_client.get(_url(survey, "survey_export", fmt="csv")).status_code == 200


def test_trends_page_leaves_out_open_non_named_survey(facilitator_client, cohort):
    survey = _small_group(cohort, 1, close=False)
    url = reverse("surveys:survey_trends", kwargs={"cohort_pk": cohort.pk})
    page = facilitator_client.get(url).content.decode()
    assert "4.20" not in page
    assert "Nursing" not in page
    survey_close(survey=survey)
    assert "4.20" in facilitator_client.get(url).content.decode()


def test_pdsa_pages_show_headline_of_non_named_survey_only_once_closed(facilitator_client, cohort):
    survey = _small_group(cohort, 1, close=False)
    url = reverse("surveys:pdsa_timeline", kwargs={"cohort_pk": cohort.pk})
    page = facilitator_client.get(url).content.decode()
    assert "5 of 5 invited responded" in page
    assert "4.2<" not in page
    assert "when the survey closes" in page
    survey_close(survey=survey)
    page = facilitator_client.get(url).content.decode()
    assert "4.2<" in page
    assert "Nursing" not in page
