"""Where brokerage sessions live: the node's own brokerage events and its sessions'
participants, meeting requests and schedules (one document per session's schedule).

Everything here is personal data or the organiser's planning: it never leaves this node
(nothing is announced on the bus). The node learns its own brokerage events from the
events service's local channel (``EVENTS_REPLICA``, own events only, in full): services
never import each other.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared.contracts import events as events_contract
from shared.contracts.base import Event
from shared.erasure import PersonRecords
from shared.errors import Duplicate, NotFound
from shared.replicas import Replicas
from shared.store import Document, ServiceDatabase, UnitOfWork

EVENTS = "brokerage_events"
SESSIONS = "brokerage_sessions"
PARTICIPANTS = "brokerage_participants"
REQUESTS = "brokerage_requests"
SCHEDULES = "brokerage_schedules"
COLLECTIONS = (SESSIONS, PARTICIPANTS, REQUESTS, SCHEDULES)
OPEN_PAIR = "open_pair"  # set while a request is pending or accepted: one per pair
LISTED = 2000  # a session's participants or requests: far more than any venue seats


def event_keys(event: Event) -> Document:
    """Only the kind is looked up: a session is for a brokerage event."""
    return {"kind": getattr(event, "kind", "")}


# this node's own calendar events (drafts included), to know which are brokerage events
EVENTS_REPLICA = Replicas(
    EVENTS, events_contract.CATALOGUE, "event", keys=event_keys, own=True, alliance=False
)


async def create_indexes(db: ServiceDatabase) -> None:
    """Participants and requests are read per session (scalar equality: nx-27017 uses
    the index only for that); two people have one open request at most, even when both
    ask at once (a unique key while it is open, dropped when it closes)."""
    await db.collection(PARTICIPANTS).create_index([("session_id", ASCENDING)])
    await db.collection(REQUESTS).create_index([("session_id", ASCENDING)])
    await db.collection(REQUESTS).create_index([(OPEN_PAIR, ASCENDING)], unique=True, sparse=True)


MIGRATIONS = (create_indexes,)


async def own_event(uow: UnitOfWork, node: str, event_id: str) -> Document:
    """This node's calendar event ``event_id`` as the events service last announced it."""
    found: Document | None = await uow.collection(EVENTS).find_one(
        {"_id": f"{node}:{event_id}", "deleted": False}, session=uow.session
    )
    if found is None or not found.get("data"):
        raise NotFound(f"no event {event_id!r} of this node", "event_id")
    data: Document = found["data"]
    return data


async def session_of(uow: UnitOfWork, session_id: str) -> Document:
    found: Document | None = await uow.collection(SESSIONS).find_one(
        {"_id": session_id}, session=uow.session
    )
    if found is None:
        raise NotFound(f"no brokerage session {session_id!r} on this node", "session")
    return found


async def participants_of(uow: UnitOfWork, session_id: str) -> list[Document]:
    cursor = uow.collection(PARTICIPANTS).find(
        {"session_id": session_id}, session=uow.session, sort=[("joined_at", ASCENDING)]
    )
    return [doc async for doc in cursor.limit(LISTED)]


async def requests_of(uow: UnitOfWork, session_id: str) -> list[Document]:
    cursor = uow.collection(REQUESTS).find(
        {"session_id": session_id}, session=uow.session, sort=[("created_at", ASCENDING)]
    )
    return [doc async for doc in cursor.limit(LISTED)]


async def request_of(uow: UnitOfWork, request_id: str) -> Document:
    found: Document | None = await uow.collection(REQUESTS).find_one(
        {"_id": request_id}, session=uow.session
    )
    if found is None:
        raise NotFound(f"no meeting request {request_id!r} on this node", "id")
    return found


async def schedule_of(uow: UnitOfWork, session_id: str) -> Document | None:
    found: Document | None = await uow.collection(SCHEDULES).find_one(
        {"_id": session_id}, session=uow.session
    )
    return found


async def put(uow: UnitOfWork, collection: str, document: Document) -> None:
    """Write one whole record (its ``_id`` in it, as nx-27017 needs)."""
    await uow.collection(collection).replace_one(
        {"_id": document["_id"]}, document, upsert=True, session=uow.session
    )


async def change(
    uow: UnitOfWork,
    collection: str,
    record_id: str,
    changes: dict[str, Any],
    unset: tuple[str, ...] = (),
) -> None:
    """Change some fields of one record (and drop those in ``unset``)."""
    update: Document = {"$set": changes}
    if unset:
        update["$unset"] = dict.fromkeys(unset, "")
    await uow.collection(collection).update_one({"_id": record_id}, update, session=uow.session)


def open_pair(session_id: str, a: str, b: str) -> str:
    """The key two participants' open request holds, whoever asked whom."""
    first, second = sorted((a, b))
    return f"{session_id}|{first}|{second}"


async def add_request(uow: UnitOfWork, request: Document) -> None:
    """A new request; a second open one between the same two is a 409 naming ``to``."""
    try:
        await uow.collection(REQUESTS).insert_one(request, session=uow.session)
    except DuplicateKeyError:
        raise Duplicate("you two have an open meeting request already", "to") from None


# a GDPR erasure (shared/erasure.py): the participant stays (their organisation's
# profile, requests and meetings are the session's), without the person; their key
# stops working, since it is how the person acts in the session
PERSONS = (PersonRecords(PARTICIPANTS, "email", ("name", "key")),)
