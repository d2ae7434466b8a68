"""The hub's alliance-wide iCalendar feed (``/alliance.ics``), built from the contract.

Services never import each other, so the portal does not call the events service's
feed builder; it builds the same VEVENT from the wire contract with the ``icalendar``
package: the owner's ``UID`` (``<id>@<origin>.clustersalliance.eu``, so a calendar that
subscribes to both the hub and a node keeps one copy), the owner's ``SEQUENCE``,
``STATUS:CANCELLED`` once cancelled, ``RRULE`` for a series, local times with ``TZID``
and one ``VTIMEZONE`` per zone, categories, and the URL of the event's page on its
owner's site. Pure: states in, bytes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from services.portal.calendar import event_span
from shared.contracts.events import EventState

UID_DOMAIN = "clustersalliance.eu"
PRODUCT = "-//European Clusters Alliance//Alliance hub//EN"
NAME = "European Clusters Alliance"
STATUSES = {"published": "CONFIRMED", "postponed": "TENTATIVE", "cancelled": "CANCELLED"}


@dataclass(frozen=True)
class FeedItem:
    """One event of the feed: its owner, its state and its page (None: no site known)."""

    origin: str
    event: EventState
    url: str | None


def uid(origin: str, event_id: str) -> str:
    """The owner's iCalendar identity of the event, the same in every feed."""
    return f"{event_id}@{origin}.{UID_DOMAIN}"


def vevent(item: FeedItem, stamp: datetime) -> icalendar.Event:
    """One event as a VEVENT; ``stamp`` is when the feed was made (DTSTAMP, UTC)."""
    event, zone = item.event, ZoneInfo(item.event.timezone)
    entry = icalendar.Event()
    entry.add("uid", uid(item.origin, event.id))
    entry.add("dtstamp", stamp)
    entry.add("sequence", event.sequence)
    entry.add("summary", _text(event.title, event.language))
    if description := _text(event.description, event.language):
        entry.add("description", description)
    entry.add("dtstart", datetime.fromisoformat(event.start).replace(tzinfo=zone))
    entry.add("dtend", datetime.fromisoformat(event.end).replace(tzinfo=zone))
    if event.recurrence:
        entry.add("rrule", icalendar.vRecur.from_ical(event.recurrence))
    if event.status in STATUSES:
        entry.add("status", STATUSES[event.status])
    entry.add("categories", [event.kind, *event.nace_sections, *event.tags])
    if item.url:
        entry.add("url", item.url)
    if location := _location(event):
        entry.add("location", location)
    return entry


def feed(items: Sequence[FeedItem], stamp: datetime) -> bytes:
    """The alliance's VCALENDAR, with the zones its events use over their dates only."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", NAME)
    for item in items:
        calendar.add_component(vevent(item, stamp))
    if items:  # each zone's transitions over the feed's dates, not 1970 to 2038
        spans = [event_span(item.event) for item in items]
        first = min(start for start, _ in spans).date() - timedelta(days=1)
        last = max(end for _, end in spans).date() + timedelta(days=1)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def _text(texts: dict[str, str], language: str) -> str:
    """The text in the event's own language (the title always has one)."""
    return texts.get(language) or next(iter(texts.values()), "")


def _location(event: EventState) -> str:
    if event.venue is None:
        return event.online_url or ""
    venue = event.venue
    return ", ".join(part for part in (venue.address, venue.city, venue.country) if part)
