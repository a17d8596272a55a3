"""Browser test: a participant who was only imported (never touched in the admin) asks for a sign-in
link, the real Celery worker mails it to a real SMTP server, they follow it, land on "my programme"
and download their module dates as a calendar file. PostgreSQL, Redis, a worker, aiosmtpd, Chromium."""

import datetime
import re
import zoneinfo

import icalendar
import pytest
from django.urls import reverse

from cohorts import services
from cohorts.models import Person
from cohorts.tests.factories import CohortFactory
from common.models import OutboxMail, SentEmail
from modules.tests.factories import ModuleFactory
from tests.acceptance.test_survey_mail import plain_text, wait_until

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]
LONDON = zoneinfo.ZoneInfo("Europe/London")
LINK = re.compile(r"https?://[^/\s]+(/sign-in/link/use/\?sesame=\S+)")


def _imported_cohort():
    cohort = CohortFactory(name="Tamar Vale Cohort 2")
    summer, winter = (
        datetime.datetime(2026, 6, 4, 9, 30, tzinfo=LONDON),
        datetime.datetime(2026, 11, 5, 9, 30, tzinfo=LONDON),
    )
    for number, when in ((1, summer), (2, winter)):
        ModuleFactory(
            cohort=cohort,
            number=number,
            title=f"Module {number} day",
            starts_at=when,
            ends_at=when + datetime.timedelta(hours=7),
        )
    rows = [
        {"full_name": "Morwenna Pascoe", "email": "morwenna.pascoe@tamarvale.example", "profession": "nurse"},
        {"full_name": "Jago Penrose", "email": "jago.penrose@tamarvale.example", "profession": "medicine"},
    ]
    services.participants_import(cohort=cohort, rows=rows)
    return cohort


def test_imported_participant_signs_in_by_mailed_link_and_downloads_the_calendar(worker, smtp, page, live_server):
    cohort = _imported_cohort()
    email = "morwenna.pascoe@tamarvale.example"
    assert Person.objects.get(email=email).user.has_usable_password() is False

    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_role("link", name=re.compile("sign-in link", re.I)).click()
    page.get_by_label("Your work e-mail address").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()

    wait_until(lambda: smtp.messages_to(email), timeout=30, message="the sign-in link mail")
    (message,) = smtp.messages_to(email)
    assert message["Subject"] == "Your sign-in link for Leadership Cohorts"
    assert message.get_body(preferencelist=("html",)) is not None
    path = LINK.search(plain_text(message)).group(1)
    wait_until(
        lambda: OutboxMail.objects.get(to=email).status == OutboxMail.Status.SENT, message="the outbox row marked sent"
    )
    assert "sesame=[personal link removed]" in SentEmail.objects.get(to=email).body

    page.goto(f"{live_server.url}{path}")
    page.get_by_role("button", name="Sign in to Leadership Cohorts").click()
    page.wait_for_url(re.compile(r"/me/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "My programme"
    assert page.get_by_role("heading", name=cohort.name).is_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add module dates to my calendar (.ics)").click()
    download = download_info.value
    calendar = icalendar.Calendar.from_ical(open(download.path(), "rb").read())  # noqa: SIM115

    assert download.suggested_filename == "my-module-dates.ics"
    starts = sorted(event.decoded("dtstart") for event in calendar.walk("VEVENT"))
    utc = datetime.UTC
    assert [s.astimezone(utc) for s in starts] == [
        datetime.datetime(2026, 6, 4, 8, 30, tzinfo=utc),  # BST
        datetime.datetime(2026, 11, 5, 9, 30, tzinfo=utc),  # GMT
    ]
