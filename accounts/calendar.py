"""Module dates as an iCalendar file (RFC 5545), in Europe/London with its summer time rules."""

import datetime
import hashlib
import zoneinfo

import icalendar
from django.conf import settings

from common.memo import Memo

# Writing an .ics costs far more than reading its rows (icalendar folds each line character by
# character: 19 KB took 19 ms), and calendar programs poll feeds: made once per process for the same
# modules. The key holds every field the file shows, so an edited module is another key.
_CALENDARS = Memo(maxsize=256)


def modules_calendar(*, modules: list, name: str) -> bytes:
    """One event per module; times carry TZID=<TIME_ZONE> and the calendar its VTIMEZONE, so that a
    module in summer and one in winter both show at the time they were planned for."""
    host = settings.SITE_URL.split("://")[-1].split("/")[0].split(":")[0] or "leadership-cohorts"
    key = (name, settings.TIME_ZONE, host)
    key += tuple(
        (m.pk, m.updated_at, m.starts_at, m.ends_at, m.number, m.title, m.venue, m.cohort.name) for m in modules
    )
    return _CALENDARS.get_or_make(key, lambda: _calendar(modules=modules, name=name, host=host))


def _calendar(*, modules: list, name: str, host: str) -> bytes:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Leadership Cohorts//Module dates//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for module in modules:
        event = icalendar.Event()
        event.add("uid", f"module-{module.pk}@{host}")
        # Without a METHOD, DTSTAMP is the event's last revision (RFC 5545, 3.8.7.2), not the download's
        # time: the same modules give the same file.
        event.add("dtstamp", module.updated_at)
        event.add("last-modified", module.updated_at)
        event.add("dtstart", module.starts_at.astimezone(tz))
        event.add("dtend", module.ends_at.astimezone(tz))
        event.add("summary", f"{module.cohort.name}: module {module.number}, {module.title}")
        if module.venue:
            event.add("location", module.venue)
        calendar.add_component(event)
    if modules:
        # The VTIMEZONE covers the years the modules fall in, not 1970-2038: a small file.
        years = [m.starts_at.astimezone(tz).year for m in modules]
        calendar.add_missing_timezones(
            first_date=datetime.date(min(years) - 1, 1, 1), last_date=datetime.date(max(years) + 2, 1, 1)
        )
    return calendar.to_ical()


def token_hash(token: str) -> str:
    """What is stored of a calendar feed's token: its SHA-256 (the token has 256 random bits, so a
    plain hash cannot be reversed by guessing)."""
    return hashlib.sha256(token.encode()).hexdigest()
