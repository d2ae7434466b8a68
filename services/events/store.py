"""The events service's collections: own events, the calendar, their keys and indexes.

Own events (the aggregates, drafts included) live in ``events``. The calendar a node
shows is one collection, ``calendar``: the kit's replicas of this node's own events (in
full, from its local channel) and of the events other nodes share (from its feed). So
every filter and the paging run on one collection, on scalar keys computed once per
event as it arrives (nx-27017 scans on a match into an array; only ``topics`` and
``languages`` are arrays, matched with ``$in``: docs/store.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from services.events.domain import Event, EventStatus, state_occurrences
from shared.calendar import filter_keys, narrowed
from shared.contracts import events as contract
from shared.contracts.base import Event as ContractEvent
from shared.envelope import EnvelopeRejected
from shared.replicas import page_of_replicas, replica_key
from shared.store import Document, Repository, ServiceDatabase, UnitOfWork, page_keys

EVENTS = "events"
CALENDAR = "calendar"
COLLECTIONS = (EVENTS,)
# the replica keys the calendar's filters and paging read (indexed by the kit)
CALENDAR_INDEXES = ("page", "kind", "country", "starts", "ends", "public")


async def create_indexes(db: ServiceDatabase) -> None:
    """What the staff's own look-ups use (migration step 1)."""
    await db.collection(EVENTS).create_index([("status", ASCENDING)])


MIGRATIONS = (create_indexes, page_keys(EVENTS))


def _instant(local: str, zone: ZoneInfo) -> str:
    """A local date-time of the event's zone as a sortable UTC string."""
    moment = datetime.fromisoformat(local).replace(tzinfo=zone).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def calendar_keys(event: ContractEvent) -> Document:
    """What the calendar filters and pages a (replicated) event by, all UTC instants.

    ``ends`` is the end of the last date of a series, so a date range finds a series
    that runs through it. An event another node sent that this node cannot read (an
    unknown zone or a rule it cannot expand) is refused, and so dead-lettered with why.
    """
    assert isinstance(event, contract.EventState)
    try:
        zone = ZoneInfo(event.timezone)
        dates = state_occurrences(event)
    except (ValueError, OverflowError, ZoneInfoNotFoundError) as exc:
        raise EnvelopeRejected("malformed", f"event {event.id}: {exc}") from None
    starts = _instant(event.start, zone)
    ends = dates[-1].end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        # calendar order, unique, so a cursor; compact, as nx-27017 compares a string that
        # starts like an ISO date-time as a date and ``$gt`` then finds nothing
        "page": f"{starts.replace('-', '').replace(':', '')}|{event.id}",
        **filter_keys(event),
        "status": event.status,
        "starts": starts,
        "ends": ends,
        "registration_from": _instant(event.registration_opens, zone)
        if event.registration_opens
        else ALWAYS,
        "registration_until": _instant(event.registration_closes, zone)
        if event.registration_closes
        else ends,
    }


@dataclass(frozen=True)
class CalendarFilter:
    """What a calendar request may narrow by; all optional. Instants are UTC strings."""

    kind: str | None = None
    country: str | None = None
    network: str | None = None
    start: str | None = None  # events ending after this instant
    end: str | None = None  # events starting before this instant
    topic: str | None = None
    language: str | None = None
    open_at: str | None = None  # open for registration at this instant
    public_only: bool = True

    def query(self) -> Document:
        query: Document = {"deleted": False}
        if self.public_only:
            query["keys.public"] = True
        query.update(narrowed(self))
        if self.start:
            query["keys.ends"] = {"$gt": self.start}
        if self.end:
            query["keys.starts"] = {"$lt": self.end}
        if self.open_at:
            query["keys.status"] = EventStatus.PUBLISHED.value
            query["keys.registration_from"] = {"$lte": self.open_at}
            query["keys.registration_until"] = {"$gt": self.open_at}
        return query


ALWAYS = "0000-01-01T00:00:00Z"  # no opening: a range query on "" is not portable
LOCAL_TIMES = ("start", "end", "registration_opens", "registration_closes")


class EventRepository(Repository[Event]):
    collection_name = EVENTS
    model = Event

    def to_document(self, aggregate: Event) -> Document:
        """Local times are stored as written (text): a BSON date would be read back as UTC."""
        document = super().to_document(aggregate)
        for name in LOCAL_TIMES:
            if document.get(name) is not None:
                document[name] = document[name].isoformat()
        return document

    async def counts_by_status(self) -> dict[str, int]:
        """How many live events of this node are in each status (for the metrics)."""
        counts = dict.fromkeys((s.value for s in EventStatus), 0)
        async for doc in self.collection.find({"deleted": False}, {"status": 1}):
            counts[str(doc["status"])] = counts.get(str(doc["status"]), 0) + 1
        return counts


class CalendarReads:
    """The calendar as the projection left it: own events and other nodes' shared ones."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    @property
    def _collection(self) -> AsyncCollection[Document]:
        return self.uow.collection(CALENDAR)

    async def page(
        self, filters: CalendarFilter, after: str | None, limit: int
    ) -> tuple[list[Document], str | None]:
        """One page in calendar order (start, then id), and the cursor of the next."""
        return await page_of_replicas(self._collection, filters.query(), after, limit)

    async def every(self, filters: CalendarFilter) -> list[Document]:
        """Every matching event in calendar order (feeds: bounded by what the node holds)."""
        cursor = self._collection.find(filters.query(), sort=[("keys.page", ASCENDING)])
        return [doc async for doc in cursor]

    async def one(self, origin: str, event_id: str, public_only: bool) -> Document | None:
        query: Document = {"_id": replica_key(origin, event_id), "deleted": False}
        if public_only:
            query["keys.public"] = True
        doc: Document | None = await self._collection.find_one(query)
        return doc


class EventsUnitOfWork(UnitOfWork):
    """The events service's repositories, bound to one transaction (or to none)."""

    @cached_property
    def events(self) -> EventRepository:
        return EventRepository(self)

    @cached_property
    def calendar(self) -> CalendarReads:
        return CalendarReads(self)
