"""iCalendar (RFC 5545) feeds of the calendar, generated with the ``icalendar`` package.

One ``VEVENT`` per event, whatever feed it is in (one event, a node's own events, the
alliance's): a stable ``UID`` (``<id>@<origin>.clustersalliance.eu``), the owner's
``SEQUENCE`` (raised on every change it publishes, so a subscribed calendar replaces its
copy), ``STATUS:CANCELLED`` once cancelled, ``RRULE`` for a series, local times with
their ``TZID`` and one ``VTIMEZONE`` per zone used. Pure: takes the events' states (the
wire contract) and returns bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from services.events.domain import occurrences
from shared.contracts.events import EventState

UID_DOMAIN = "clustersalliance.eu"
PRODUCT = "-//European Clusters Alliance//Alliance federation//EN"
STATUSES = {"published": "CONFIRMED", "postponed": "TENTATIVE", "cancelled": "CANCELLED"}


def uid(origin: str, event_id: str) -> str:
    """The event's iCalendar identity: the same in every feed and on every node."""
    return f"{event_id}@{origin}.{UID_DOMAIN}"


def _text(texts: dict[str, str], language: str) -> str:
    """The text in the event's original language (it always has one for the title)."""
    return texts.get(language) or next(iter(texts.values()), "")


def _location(event: EventState) -> str:
    if event.venue is None:
        return event.online_url or ""
    venue = event.venue
    return ", ".join(part for part in (venue.address, venue.city, venue.country) if part)


def vevent(origin: str, event: EventState, page_url: str, stamp: datetime) -> icalendar.Event:
    """One event as a VEVENT; ``stamp`` is when the feed was made (DTSTAMP, UTC)."""
    zone = ZoneInfo(event.timezone)
    item = icalendar.Event()
    item.add("uid", uid(origin, event.id))
    item.add("dtstamp", stamp)
    item.add("sequence", event.sequence)
    item.add("summary", _text(event.title, event.language))
    description = _text(event.description, event.language)
    if description:
        item.add("description", description)
    item.add("dtstart", datetime.fromisoformat(event.start).replace(tzinfo=zone))
    item.add("dtend", datetime.fromisoformat(event.end).replace(tzinfo=zone))
    if event.recurrence:
        item.add("rrule", icalendar.vRecur.from_ical(event.recurrence))
    if event.status in STATUSES:
        item.add("status", STATUSES[event.status])
    item.add("categories", [event.kind, *event.nace_sections, *event.tags])
    item.add("url", page_url)
    location = _location(event)
    if location:
        item.add("location", location)
    return item


def calendar(name: str, events: Iterable[tuple[str, EventState, str]], stamp: datetime) -> bytes:
    """A VCALENDAR of ``(origin, event, page URL)`` items, with the zones they use."""
    feed = icalendar.Calendar()
    feed.add("prodid", PRODUCT)
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", name)
    spans: list[tuple[date, date]] = []
    for origin, event, url in events:
        feed.add_component(vevent(origin, event, url, stamp))
        spans.append(_span(event))
    if spans:  # each zone's transitions over the feed's dates only, not 1970 to 2038
        first = min(first for first, _ in spans) - timedelta(days=1)
        last = max(last for _, last in spans) + timedelta(days=1)
        feed.add_missing_timezones(first_date=first, last_date=last)
    return feed.to_ical()


def _span(event: EventState) -> tuple[date, date]:
    """The first and last day of an event (of its series' last date)."""
    dates = occurrences(
        datetime.fromisoformat(event.start),
        datetime.fromisoformat(event.end),
        ZoneInfo(event.timezone),
        event.recurrence,
        event.capacity,
    )
    return dates[0].start.date(), dates[-1].end.date()
