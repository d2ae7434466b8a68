"""iCalendar (RFC 5545) from the events contract, and the dates of a bounded series.

Services never import each other, yet a node's events service and the hub's portal both
publish feeds of the same events and both read a series' dates; this is the one place
that does it, so that a calendar subscribed to a node and to the hub sees one event.
One ``VEVENT`` per event, whatever feed it is in: a stable ``UID``
(``<id>@<origin>.clustersalliance.eu``), the owner's ``SEQUENCE`` (raised on every
change it publishes, so a subscribed calendar replaces its copy), ``STATUS:CANCELLED``
once cancelled, ``RRULE`` for a series, local times with their ``TZID`` and one
``VTIMEZONE`` per zone used, categories, URL and location. Pure: states in, bytes out.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rrule, rrulestr

from shared.contracts.base import Visibility
from shared.contracts.events import EventState
from shared.errors import shorten

__all__ = [
    "MAX_SERIES_DATES",
    "PRODUCT",
    "UID_DOMAIN",
    "Appointment",
    "FeedItem",
    "Narrowing",
    "agenda",
    "event_span",
    "feed",
    "filter_keys",
    "narrowed",
    "original_text",
    "series_starts",
    "uid",
    "vevent",
]

UID_DOMAIN = "clustersalliance.eu"
PRODUCT = "-//European Clusters Alliance//Alliance federation//EN"
STATUSES = {"published": "CONFIRMED", "postponed": "TENTATIVE", "cancelled": "CANCELLED"}
# a series read from another node: longer than any owner may publish (its own bound is lower)
MAX_SERIES_DATES = 500
Document = dict[str, Any]  # as shared.store names it; this module does no I/O
# dateutil raises more than ValueError on odd rule parts
_RULE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError)


@dataclass(frozen=True)
class FeedItem:
    """One event of a feed: its owner, its state and its page (None: no page known)."""

    origin: str
    event: EventState
    url: str | None


def series_starts(rule: str, start: datetime, limit: int) -> list[datetime]:
    """Every start of one RRULE value from ``start`` (aware), refusing more than ``limit``.

    The bound is what keeps an endless or huge rule from being expanded; ValueError says
    what is wrong with the rule.
    """
    try:
        expanded = rrulestr(rule, dtstart=start)
        if not isinstance(expanded, rrule):
            raise ValueError("give one RRULE value such as FREQ=MONTHLY;COUNT=6")
        dates = list(itertools.islice(expanded, limit + 1))
    except _RULE_ERRORS as exc:
        raise ValueError(f"invalid RRULE: {shorten(str(exc) or type(exc).__name__, 120)}") from None
    if len(dates) > limit:
        raise ValueError(f"a series has at most {limit} dates")
    if not dates:
        raise ValueError("the rule gives no date at or after the start")
    return dates


def event_span(event: EventState, limit: int = MAX_SERIES_DATES) -> tuple[datetime, datetime]:
    """When an event starts and when its last date ends, aware, in its own zone.

    A series runs until its last date, so a date range finds it while it runs and a feed
    covers its zones' transitions up to then. Raises ValueError (or
    ZoneInfoNotFoundError) for what cannot be read.
    """
    zone = ZoneInfo(event.timezone)
    start = datetime.fromisoformat(event.start).replace(tzinfo=zone)
    length = datetime.fromisoformat(event.end).replace(tzinfo=zone) - start
    if length < timedelta(0):
        raise ValueError("the end is before the start")
    last = series_starts(event.recurrence, start, limit)[-1] if event.recurrence else start
    # aware arithmetic in one zone is wall-clock: 09:00 + 3 h is 12:00 whatever DST did
    return start, last + length


def filter_keys(event: EventState) -> Document:
    """What a calendar filters a stored event by (beside its dates): one rule for a
    node's calendar and the hub's, so a filter finds the same events on both."""
    return {
        "public": event.visibility == Visibility.PUBLIC.value and event.status != "draft",
        "kind": event.kind,
        "country": event.venue.country.upper() if event.venue else "",
        "languages": sorted({*event.title, *event.description}),
        "topics": sorted({*event.nace_sections, *event.tags}),
    }


class Narrowing(Protocol):
    """The filters both calendars offer beside dates (a node's also a registration one)."""

    @property
    def kind(self) -> str | None: ...
    @property
    def country(self) -> str | None: ...
    @property
    def network(self) -> str | None: ...
    @property
    def topic(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...


def narrowed(filters: Narrowing) -> Document:
    """The store query of those filters on ``filter_keys``: scalar keys by equality,
    arrays (topics, languages) by ``$in``, as nx-27017 has no array equality."""
    query: Document = {}
    if filters.kind:
        query["keys.kind"] = filters.kind
    if filters.country:
        query["keys.country"] = filters.country.upper()
    if filters.network:
        query["origin"] = filters.network
    if filters.topic:  # a NACE section (upper case) or a free tag (lower case)
        topic = filters.topic.upper() if len(filters.topic) == 1 else filters.topic.lower()
        query["keys.topics"] = {"$in": [topic]}
    if filters.language:
        query["keys.languages"] = {"$in": [filters.language.lower()]}
    return query


def uid(origin: str, event_id: str) -> str:
    """The event's iCalendar identity: the same in every feed and on every node."""
    return f"{event_id}@{origin}.{UID_DOMAIN}"


def vevent(item: FeedItem, stamp: datetime) -> icalendar.Event:
    """One event as a VEVENT; ``stamp`` is when the feed was made (DTSTAMP, UTC)."""
    event, zone = item.event, ZoneInfo(item.event.timezone)
    entry = icalendar.Event()
    entry.add("uid", uid(item.origin, event.id))
    entry.add("dtstamp", stamp)
    entry.add("sequence", event.sequence)
    entry.add("summary", original_text(event.title, event.language))
    if description := original_text(event.description, event.language):
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


def _calendar(name: str, product: str) -> icalendar.Calendar:
    """An empty VCALENDAR as every feed of the project starts."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", product)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def feed(name: str, items: Iterable[FeedItem], stamp: datetime, product: str = PRODUCT) -> bytes:
    """A VCALENDAR of ``items``, with the zones they use over their dates only."""
    calendar = _calendar(name, product)
    spans: list[tuple[date, date]] = []
    for item in items:
        calendar.add_component(vevent(item, stamp))
        first, last = event_span(item.event)
        spans.append((first.date(), last.date()))
    if spans:  # each zone's transitions over the feed's dates only, not 1970 to 2038
        first_day = min(first for first, _ in spans) - timedelta(days=1)
        last_day = max(last for _, last in spans) + timedelta(days=1)
        calendar.add_missing_timezones(first_date=first_day, last_date=last_day)
    return calendar.to_ical()


@dataclass(frozen=True)
class Appointment:
    """A one-off appointment of a person's agenda (a brokerage meeting): aware times in
    their zone, a ``uid`` that stays the same when it moves."""

    uid: str
    summary: str
    start: datetime
    end: datetime
    location: str = ""


def agenda(name: str, items: Iterable[Appointment], stamp: datetime) -> bytes:
    """A VCALENDAR of a person's appointments, with the zones they use on their days."""
    calendar = _calendar(name, PRODUCT)
    days: list[date] = []
    for item in items:
        entry = icalendar.Event()
        entry.add("uid", item.uid)
        entry.add("dtstamp", stamp)
        entry.add("summary", item.summary)
        entry.add("dtstart", item.start)
        entry.add("dtend", item.end)
        if item.location:
            entry.add("location", item.location)
        calendar.add_component(entry)
        days.append(item.start.date())
    if days:
        first_day, last_day = min(days) - timedelta(days=1), max(days) + timedelta(days=1)
        calendar.add_missing_timezones(first_date=first_day, last_date=last_day)
    return calendar.to_ical()


def original_text(texts: dict[str, str], language: str) -> str:
    """The text in the language the event was written in (the title always has one), else
    any: what a feed, a console or the hub shows when it does not follow the reader."""
    return texts.get(language) or next(iter(texts.values()), "")


def _location(event: EventState) -> str:
    """The venue's address, or the online link of an online event."""
    if event.venue is None:
        return event.online_url or ""
    venue = event.venue
    return ", ".join(part for part in (venue.address, venue.city, venue.country) if part)
