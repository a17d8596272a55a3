"""Module dates in the participant's calendar: the .ics download and the personal feed."""

import datetime
import re
import zoneinfo

import icalendar
import pytest
from django.urls import reverse

from accounts.models import CalendarFeed
from cohorts.services import membership_withdraw
from cohorts.tests.factories import MembershipFactory, UserFactory, client_for
from common.logging import redact_link_secrets
from modules.tests.factories import ModuleFactory

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def member(cohort):
    user = UserFactory()
    membership = MembershipFactory(cohort=cohort, person__user=user)
    # 09:30 to 16:30 London time: in summer (BST, UTC+1) and in winter (GMT, UTC+0).
    ModuleFactory(
        cohort=cohort,
        number=1,
        title="Team dynamics",
        venue="Seminar Room 2",
        starts_at=datetime.datetime(2026, 7, 2, 9, 30, tzinfo=LONDON),
        ends_at=datetime.datetime(2026, 7, 2, 16, 30, tzinfo=LONDON),
    )
    ModuleFactory(
        cohort=cohort,
        number=2,
        title="Wicked problems",
        starts_at=datetime.datetime(2026, 12, 3, 9, 30, tzinfo=LONDON),
        ends_at=datetime.datetime(2026, 12, 3, 16, 30, tzinfo=LONDON),
    )
    return membership


def _events(content: bytes):
    calendar = icalendar.Calendar.from_ical(content)
    return calendar, sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))


def test_calendar_download_has_each_module_at_its_london_time_summer_and_winter(member):
    response = client_for(member.person.user).get(reverse("accounts:my_calendar"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == 'attachment; filename="my-module-dates.ics"'
    text = response.content.decode()
    assert "DTSTART;TZID=Europe/London:20260702T093000" in text
    assert "DTSTART;TZID=Europe/London:20261203T093000" in text
    calendar, (summer, winter) = _events(response.content)
    utc = datetime.UTC
    assert summer.decoded("dtstart").astimezone(utc) == datetime.datetime(2026, 7, 2, 8, 30, tzinfo=utc)
    assert winter.decoded("dtstart").astimezone(utc) == datetime.datetime(2026, 12, 3, 9, 30, tzinfo=utc)
    assert str(summer["summary"]) == f"{member.cohort.name}: module 1, Team dynamics"
    assert str(summer["location"]) == "Seminar Room 2"
    # The VTIMEZONE itself says BST is UTC+1 and GMT UTC+0, so a program without a zone database agrees.
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert str(vtimezone["tzid"]) == "Europe/London"
    offsets = {(c.name, str(c["tzname"])): c.decoded("tzoffsetto") for c in vtimezone.subcomponents if "tzname" in c}
    assert offsets[("DAYLIGHT", "BST")] == datetime.timedelta(hours=1)
    assert offsets[("STANDARD", "GMT")] == datetime.timedelta(0)
    tz = vtimezone.to_tz()
    assert datetime.datetime(2026, 7, 2, 9, 30, tzinfo=tz).utcoffset() == datetime.timedelta(hours=1)
    assert datetime.datetime(2026, 12, 3, 9, 30, tzinfo=tz).utcoffset() == datetime.timedelta(0)


def test_calendar_download_leaves_out_cohorts_the_person_withdrew_from(member, cohort):
    other = MembershipFactory(person=member.person).cohort
    ModuleFactory(cohort=other, number=1, title="Elsewhere")
    membership_withdraw(membership=member)

    response = client_for(member.person.user).get(reverse("accounts:my_calendar"))

    _calendar, events = _events(response.content)
    assert [str(e["summary"]) for e in events] == [f"{other.name}: module 1, Elsewhere"]


def test_my_programme_links_to_the_calendar(member):
    response = client_for(member.person.user).get(reverse("accounts:my_programme"))

    assert reverse("accounts:my_calendar") in response.text
    assert reverse("accounts:calendar_feed_manage") in response.text


def _make_feed(client):
    response = client.post(reverse("accounts:calendar_feed_manage"))
    assert response.status_code == 200
    return re.search(r'value="(http://testserver/calendar/[^"]+\.ics)"', response.text).group(1)


def test_calendar_feed_address_works_without_signing_in_and_only_its_hash_is_kept(member, client):
    url = _make_feed(client_for(member.person.user))
    token = url.rsplit("/", 1)[1].removesuffix(".ics")

    response = client.get(url.removeprefix("http://testserver"))

    assert len(token) >= 43  # 32 random bytes, base64
    assert response.status_code == 200
    assert "Team dynamics" in response.content.decode()
    feed = CalendarFeed.objects.get(user=member.person.user)
    assert token not in feed.token_hash
    assert len(feed.token_hash) == 64
    assert token not in redact_link_secrets(f"GET {url.removeprefix('http://testserver')} HTTP/1.1")


def test_calendar_feed_new_address_replaces_the_old_and_switching_off_ends_it(member, client):
    owner = client_for(member.person.user)
    first = _make_feed(owner).removeprefix("http://testserver")
    second = _make_feed(owner).removeprefix("http://testserver")

    old = client.get(first)
    new = client.get(second)
    owner.post(reverse("accounts:calendar_feed_revoke"))
    after = client.get(second)

    assert (old.status_code, new.status_code, after.status_code) == (404, 200, 404)
    assert not CalendarFeed.objects.exists()


def test_calendar_feed_of_a_withdrawn_member_stops(member, client):
    url = _make_feed(client_for(member.person.user)).removeprefix("http://testserver")

    membership_withdraw(membership=member)

    assert client.get(url).status_code == 404


def test_calendar_feed_with_an_unknown_token_is_404(client):
    assert client.get(reverse("accounts:calendar_feed", kwargs={"token": "x" * 43})).status_code == 404


def test_calendar_feed_page_says_whether_there_is_one(member):
    owner = client_for(member.person.user)
    before = owner.get(reverse("accounts:calendar_feed_manage"))
    _make_feed(owner)
    after = owner.get(reverse("accounts:calendar_feed_manage"))

    assert "You have no calendar feed address yet." in before.text
    assert "You have a calendar feed address" in after.text
    assert "testserver/calendar/" not in after.text  # the address is shown once only


def test_calendar_feed_for_someone_in_no_cohort_is_refused(staff_user):
    response = client_for(staff_user).post(reverse("accounts:calendar_feed_manage"))

    assert response.status_code == 400
    assert "Only members of a cohort" in response.text
    assert not CalendarFeed.objects.exists()


def test_calendar_is_the_same_file_for_the_same_modules_and_shows_an_edit_at_once(member):
    client = client_for(member.person.user)
    first = client.get(reverse("accounts:my_calendar")).content
    assert client.get(reverse("accounts:my_calendar")).content == first
    _calendar, (summer, _winter) = _events(first)
    # No METHOD: DTSTAMP is the last revision of the event (RFC 5545), not the moment of the download.
    assert summer.decoded("dtstamp") == summer.decoded("last-modified")

    module = member.cohort.modules.get(number=1)
    module.title = "Team dynamics in practice"
    module.save()

    _calendar, (summer, _winter) = _events(client.get(reverse("accounts:my_calendar")).content)
    assert str(summer["summary"]) == f"{member.cohort.name}: module 1, Team dynamics in practice"
    # (iCalendar times have whole seconds.)
    assert summer.decoded("dtstamp") == summer.decoded("last-modified") == module.updated_at.replace(microsecond=0)
