"""Wire contracts of the events service: the calendar's events, and what they carry.

Every event carries the calendar event's whole state (like ``OrganizationState``), so a
replica never needs an older event to be complete. On the node's own ``local`` channel
every event travels, drafts and ``node``-only ones included; on the ``alliance`` channel
only published (or postponed, or cancelled) ``public`` and ``alliance`` events, and a
withdrawal when one leaves the alliance's view.

Times are local date-times (``2027-03-18T09:30:00``) with the IANA zone they are in:
what the organiser typed, so a change of a zone's rules keeps the event at its hour.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from shared.contracts.base import Contract, Event, Visibility, Withdrawal
from shared.contracts.catalogue import EventCatalogue

SERVICE = "events"


class WithdrawalReason(StrEnum):
    WITHDRAWN = "withdrawn"  # taken off the calendar by the owner's admin
    RESTRICTED = "restricted"  # made node-only: gone from the alliance's view


class Venue(Contract):
    """Where an event takes place in person."""

    address: str = ""
    city: str
    country: str


class Speaker(Contract):
    """A speaker's public information only."""

    name: str
    organisation: str = ""
    title: str = ""


class CallForSpeakers(Contract):
    """An open call for speakers: proposals until ``deadline`` (local, in the event's
    zone), on ``topics``, answering ``questions`` (applications: events_requests)."""

    deadline: str
    topics: list[str] = []
    questions: list[str] = []


class EventState(Event):
    """The whole state of a calendar event, as its owner node holds it."""

    kind: str
    language: str  # the language the texts were written in
    title: dict[str, str]  # language code -> text
    description: dict[str, str] = {}
    start: str  # local date-time in ``timezone``
    end: str
    timezone: str  # IANA, e.g. Europe/Bucharest
    online_url: str | None = None
    venue: Venue | None = None
    fees: dict[str, Any] = {}  # services/events/fees.py: FeeRules, as JSON
    capacity: int | None = None
    registration_opens: str | None = None  # local date-times in ``timezone``
    registration_closes: str | None = None
    speakers: list[Speaker] = []
    co_organisers: list[str] = []  # node ids of networks that accepted
    visibility: Visibility
    nace_sections: list[str] = []
    tags: list[str] = []
    recurrence: str | None = None  # RFC 5545 RRULE value, without "RRULE:"
    status: str
    sequence: int = 0  # raised on every change the owner publishes (iCalendar SEQUENCE)
    updated_at: str
    call_for_speakers: CallForSpeakers | None = None  # additive: older readers ignore it


class EventPublished(EventState):
    """An event was published (or, on the local channel, drafted)."""


class EventRevised(EventState):
    """A published event changed: times, texts, status (postponed, published again)."""


class EventCancelled(EventState):
    """The owner cancelled the event; it stays on calendars, marked cancelled."""


class EventWithdrawn(Withdrawal):
    """The event was withdrawn, or is no longer shared: forget its data."""


CATALOGUE = EventCatalogue(
    SERVICE,
    {
        EventPublished: "event.published",
        EventRevised: "event.revised",
        EventCancelled: "event.cancelled",
        EventWithdrawn: "event.withdrawn",
    },
)
