"""The alliance calendar's read model on the hub: what the portal keeps of each event.

Every network's shared events arrive on ALLIANCE as their whole state (the events
contracts); the portal keeps one replica per event with scalar keys the calendar's
filters and its order read, computed once as the event arrives. Only ``public`` events
that are not drafts are shown (``keys.public``); a withdrawal tombstones the replica, a
cancellation keeps it, marked cancelled. Times are UTC instants written compactly
(``20270318T073000Z``): nx-27017 compares a string that starts like an ISO date-time as
a date, and ``$gt`` on it then finds nothing (the events service met the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfoNotFoundError

from shared.calendar import event_span, filter_keys, narrowed
from shared.contracts import events as contract
from shared.contracts.base import Event
from shared.envelope import EnvelopeRejected
from shared.errors import DomainError
from shared.store import Document

EVENTS = "events"
# scalar keys only: nx-27017 scans on a match into an array (docs/store.md)
EVENT_INDEXES = ("page", "public", "kind", "country", "ends")
KINDS = ("conference", "brokerage", "training", "trade_mission", "webinar", "other")


def instant(moment: datetime) -> str:
    """An aware date-time as the calendar's keys write it: UTC, compact, sortable."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def day_instant(day: date) -> str:
    """The start of a day (UTC), for a date-range filter."""
    return instant(datetime.combine(day, time(), UTC))


def event_keys(event: Event) -> Document:
    """What the calendar filters and orders a replicated event by.

    An event the hub cannot read (an unknown zone, a rule it cannot expand) is refused,
    and so dead-lettered with the reason rather than shown with wrong dates.
    """
    assert isinstance(event, contract.EventState)
    try:
        first, last = event_span(event)
    except (ValueError, TypeError, ZoneInfoNotFoundError) as exc:
        raise EnvelopeRejected("malformed", f"event {event.id}: {exc}") from None
    return {
        "page": f"{instant(first)}|{event.id}",  # calendar order, a cursor (ids are ULIDs)
        **filter_keys(event),
        "starts": instant(first),
        "ends": instant(last),
    }


@dataclass(frozen=True)
class CalendarQuery:
    """What a visitor may narrow the alliance calendar by; all optional but ``after``."""

    after: str  # events still running at this instant (upcoming ones)
    kind: str | None = None
    country: str | None = None
    network: str | None = None
    start: date | None = None  # events running on or after this day
    end: date | None = None  # events starting on or before this day
    topic: str | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        """Refuse what can only find nothing because it is mistyped, naming the field."""
        if self.kind and self.kind not in KINDS:
            raise DomainError("unknown kind of event", "kind")
        if self.start and self.end and self.end < self.start:
            raise DomainError("the end of the range is before its start", "to")

    def filter(self) -> Document:
        """The store query: scalar keys first; arrays (topic, language) by ``$in``."""
        ends_after = max(self.after, day_instant(self.start)) if self.start else self.after
        query: Document = {"deleted": False, "keys.public": True, "keys.ends": {"$gt": ends_after}}
        if self.end:
            query["keys.starts"] = {"$lt": day_instant(self.end + timedelta(days=1))}
        return {**query, **narrowed(self)}
