"""The owner's and the registrant's records of registration, and the owner's look-ups.

- ``seat_books`` (owner): one ``SeatBook`` per event and date, the registration rules'
  state, with the count of offers it holds (what the periodic expiry looks for);
- ``attendees`` (owner): who asked, with their contact: personal data, kept here and on
  the registrant's node only;
- ``my_registrations`` (registrant's node): what its people asked and where each stands.

Cross-membership is read, never written, in the membership service's database: the
events service imports none of its code; the two collection names below are the
interface (docs/events.md, "Registrations").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pymongo.asynchronous.collection import AsyncCollection

from services.events.domain import Event, EventStatus, utc
from services.events.registration import Decision, EventTerms, Membership, Outcome, SeatBook
from services.events.store import EventsUnitOfWork
from shared.contracts.events_register import RegistrationRequested
from shared.erasure import PersonRecords
from shared.store import Document, database_name

MY_REGISTRATIONS = "my_registrations"  # the registrant's node: what its people asked
ATTENDEES = "attendees"  # the owner: who asked for its events, with their contact
SEAT_BOOKS = "seat_books"  # the owner: one SeatBook per event and date
COLLECTIONS = (MY_REGISTRATIONS, ATTENDEES, SEAT_BOOKS)
MEMBERSHIP_DB, OWN_MEMBERS, MEMBER_REPLICAS = "membership", "organizations", "organization_replicas"


def _now() -> datetime:
    return datetime.now(UTC)


class MemberDirectory:
    """Cross-membership as the owner node knows it: its own members, and its replicas of
    partner networks' members, in the membership service's database (read only; the
    services share no code, only these documented collection names)."""

    def __init__(self, uow: EventsUnitOfWork, node: str) -> None:
        self.db = uow.database.client[database_name(node, MEMBERSHIP_DB)]
        self.node = node

    async def find(self, network: str, organization_id: str | None) -> Membership | None:
        """The live member ``organization_id`` of ``network``, if this node knows it."""
        if not organization_id:
            return None
        if network == self.node:
            doc = await self.db[OWN_MEMBERS].find_one({"_id": organization_id, "deleted": False})
            name = doc.get("legal_name") if doc else None
        else:
            key = f"{network}:{organization_id}"  # shared.replicas.replica_key
            doc = await self.db[MEMBER_REPLICAS].find_one({"_id": key, "deleted": False})
            name = (doc.get("data") or {}).get("legal_name") if doc else None
        if not name:
            return None
        return Membership(network=network, organization_id=organization_id, organization_name=name)


async def public_members(uow: EventsUnitOfWork, node: str) -> list[tuple[str, str]]:
    """This network's public member organisations, (id, legal name) by name: what a
    person registering themselves may choose from (the owner checks it for the fee)."""
    members = uow.database.client[database_name(node, MEMBERSHIP_DB)][OWN_MEMBERS]
    cursor = members.find(
        {"deleted": False, "visibility": "public"},
        {"legal_name": 1},
        sort=[("legal_name", 1)],
        limit=1000,
    )
    return [(str(doc["_id"]), str(doc.get("legal_name", ""))) async for doc in cursor]


def terms_of(event: Event, owner: str) -> EventTerms:
    """What the registration rules need of an own event (dates keyed by ISO date)."""
    zone = event.zone
    return EventTerms(
        event_id=event.id,
        owner_network=owner,
        status=EventStatus.CANCELLED if event.deleted else event.status,
        occurrences=frozenset(o.start.date().isoformat() for o in event.occurrences()),
        registration_opens=_utc_or_none(event.registration_opens, zone),
        registration_closes=_utc_or_none(event.registration_closes, zone),
        fees=event.fees,
    )


def _utc_or_none(local: datetime | None, zone: ZoneInfo) -> datetime | None:
    return utc(local, zone) if local is not None else None


def capacity_on(event: Event, occurrence: str) -> int | None:
    """The seats of that date (the event's capacity; None: unlimited)."""
    return next(
        (o.capacity for o in event.occurrences() if o.start.date().isoformat() == occurrence),
        event.capacity,
    )


class Books:
    """The owner's seat books and attendees, in the unit of work's transaction."""

    def __init__(self, uow: EventsUnitOfWork) -> None:
        self.uow = uow
        self.books: AsyncCollection[Document] = uow.collection(SEAT_BOOKS)
        self.attendees: AsyncCollection[Document] = uow.collection(ATTENDEES)

    async def book(self, event: Event, occurrence: str, hold: timedelta) -> SeatBook:
        """The book of that date (a new one for its first request); offers it makes from
        now on are held for ``hold`` (the node's setting, as it is now)."""
        doc = await self.books.find_one(
            {"_id": f"{event.id}|{occurrence}"}, session=self.uow.session
        )
        if doc:
            return SeatBook.model_validate({**doc["book"], "hold": hold})
        capacity = capacity_on(event, occurrence)
        return SeatBook(event_id=event.id, occurrence=occurrence, capacity=capacity, hold=hold)

    async def every_book(self, event_id: str) -> list[SeatBook]:
        cursor = self.books.find({"event_id": event_id}, session=self.uow.session)
        return [SeatBook.model_validate(doc["book"]) async for doc in cursor]

    async def save(self, book: SeatBook) -> None:
        key = f"{book.event_id}|{book.occurrence}"
        await self.books.replace_one(  # the replacement carries its _id (docs/store.md)
            {"_id": key},
            {
                "_id": key,
                "event_id": book.event_id,
                "offers": sum(r.status is Outcome.OFFERED for r in book.registrations),
                "book": book.model_dump(mode="json"),
            },
            upsert=True,
            session=self.uow.session,
        )

    async def attend(self, request: RegistrationRequested, node: str) -> None:
        """Keep who asked (personal data, here and on their node only)."""
        await self.attendees.update_one(
            {"_id": f"{node}:{request.id}"},
            {
                "$setOnInsert": {
                    "node": node,
                    "request_id": request.id,
                    "event_id": request.event_id,
                    "occurrence": request.occurrence,
                    "contact_name": request.contact_name,
                    "contact_email": request.contact_email,
                    "organization": request.organization_name or request.organization_id or "",
                    "party": request.party,
                    "arrived": _now(),
                }
            },
            upsert=True,
            session=self.uow.session,
        )

    async def record(self, decision: Decision) -> None:
        """The attendee's status as the owner last decided it."""
        await self.attendees.update_one(
            {"_id": f"{decision.registrant.node}:{decision.request_id}"},
            {"$set": {"status": decision.outcome.value, "reason": decision.reason}},
            session=self.uow.session,
        )


# a GDPR erasure (shared/erasure.py): the registration stays (seats, fees), without the
# contact person; a public registrant's key stops working. The seat book keeps only the
# registrant's opaque id (a digest of the e-mail), no name or e-mail.
REGISTRANTS_SENT = PersonRecords(MY_REGISTRATIONS, "contact_email", ("contact_name", "key"))
REGISTRANTS_RECEIVED = PersonRecords(ATTENDEES, "contact_email", ("contact_name",))
