"""Use cases of brokerage sessions: one function each, ``(uow, …)``: load, rule, save.

The rules are in ``brokerage.py``; scheduling (schedule all, lock, move) is in
``brokerage_schedule.py``. A participant is known by their id and the secret key they
were given once (only its digest is stored: a leaked store reveals no key).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from services.matching import brokerage_store as store
from services.matching.brokerage import (
    OPEN_STATUSES,
    JoinDraft,
    ProfileDraft,
    RequestDraft,
    RequestStatus,
    SessionDraft,
    check_decision,
    check_request,
    check_slots,
    requests_open,
)
from services.matching.profiles import PartnerProfile
from shared.auth import token_digest
from shared.calendar import original_text
from shared.errors import DomainError, Duplicate, NotFound
from shared.ids import new_id
from shared.instants import wire_now
from shared.store import Document, UnitOfWork

BROKERAGE = "brokerage"
OPEN_EVENT = ("published", "postponed")


async def create_session(uow: UnitOfWork, node: str, draft: SessionDraft) -> Document:
    """A session for one of this node's brokerage events (one per event)."""
    event = await store.own_event(uow, node, draft.event_id)
    if event.get("kind") != BROKERAGE:
        raise DomainError(
            f"event {draft.event_id!r} is a {event.get('kind')}, not a brokerage event", "event_id"
        )
    if event.get("status") == "cancelled":
        raise DomainError("the event is cancelled", "event_id")
    if await uow.collection(store.SESSIONS).find_one({"_id": draft.event_id}, session=uow.session):
        raise Duplicate("this event has a session already", "event_id")
    session = {
        "_id": draft.event_id,
        "event_id": draft.event_id,
        "title": original_text(event.get("title", {}), event.get("language", "")),
        "timezone": event["timezone"],
        "days": [day.isoformat() for day in draft.days],
        "start": draft.start.isoformat(timespec="minutes"),
        "slot_minutes": draft.slot_minutes,
        "slots_per_day": draft.slots_per_day,
        "tables": draft.tables,
        "request_deadline": draft.request_deadline.isoformat(timespec="minutes"),
        "created_at": wire_now(),
    }
    await store.put(uow, store.SESSIONS, session)
    return session


async def joinable(uow: UnitOfWork, node: str, session: Document) -> None:
    """People join while the event is on the calendar (published or postponed)."""
    try:
        event = await store.own_event(uow, node, session["event_id"])
    except NotFound:
        event = {}
    if event.get("status") not in OPEN_EVENT:
        raise DomainError("this event takes no participants now", "session")


async def join(
    uow: UnitOfWork,
    node: str,
    session_id: str,
    draft: JoinDraft,
    prefilled: tuple[ProfileDraft, Document] | None = None,
) -> tuple[Document, str]:
    """A participant record and the key to it (shown once, stored as a digest), with
    its event profile and vectors when it was prefilled from a known organisation."""
    session = await store.session_of(uow, session_id)
    await joinable(uow, node, session)
    key = secrets.token_urlsafe(24)
    participant = {
        "_id": new_id(node),
        "session_id": session_id,
        "key": token_digest(key),
        **draft.model_dump(),
        "network": draft.network or node,
        "profile": prefilled[0].model_dump() if prefilled else None,
        "vectors": prefilled[1] if prefilled else None,
        "unavailable": [],
        "joined_at": wire_now(),
    }
    await store.put(uow, store.PARTICIPANTS, participant)
    return participant, key


async def keyed(uow: UnitOfWork, participant_id: str, key: str | None) -> Document:
    """A participant's record for whoever holds its key (staff: ``key`` None); a wrong
    key looks exactly like an unknown participant."""
    found: Document | None = await uow.collection(store.PARTICIPANTS).find_one(
        {"_id": participant_id}, session=uow.session
    )
    if found is None or (
        key is not None and not secrets.compare_digest(str(found["key"]), token_digest(key))
    ):
        raise NotFound(f"no participant {participant_id!r} with this key on this node", "key")
    return found


def partner_profile(participant: Document, profile: ProfileDraft | Document) -> PartnerProfile:
    """A participant's event profile as partner search ranks it."""
    fields = profile.model_dump() if isinstance(profile, ProfileDraft) else profile
    return PartnerProfile(
        id=participant["_id"],
        network=participant["network"],
        legal_name=participant["organisation"],
        country=participant["country"],
        nace_codes=participant["nace_codes"],
        offers=fields["offers"],
        needs=fields["needs"],
        cooperation_types=fields["cooperation_types"],
        technologies=fields.get("technologies") or [],
    )


async def publish_profile(
    uow: UnitOfWork, participant: Document, draft: ProfileDraft, vectors: Document
) -> Document:
    """The participant's cooperation profile, with its vectors for recommendations."""
    changes = {"profile": draft.model_dump(), "vectors": vectors, "profiled_at": wire_now()}
    await store.change(uow, store.PARTICIPANTS, participant["_id"], changes)
    return {**participant, **changes}


async def set_unavailable(uow: UnitOfWork, participant: Document, slots: list[int]) -> Document:
    """The slots the participant cannot attend (the scheduler never uses them)."""
    session = await store.session_of(uow, participant["session_id"])
    unavailable = check_slots(session, slots, "slots")
    await store.change(uow, store.PARTICIPANTS, participant["_id"], {"unavailable": unavailable})
    return {**participant, "unavailable": unavailable}


async def send_request(
    uow: UnitOfWork, node: str, sender: Document, draft: RequestDraft, now: datetime
) -> Document:
    """A meeting request to another participant; one open request per pair."""
    session = await store.session_of(uow, sender["session_id"])
    if not requests_open(session, now):
        raise DomainError("the deadline for meeting requests has passed", "to")
    addressee = await uow.collection(store.PARTICIPANTS).find_one(
        {"_id": draft.to}, session=uow.session
    )
    if addressee is None:
        raise NotFound(f"no participant {draft.to!r} in this session", "to")
    check_request(sender, addressee)
    request = {
        "_id": new_id(node),
        "session_id": session["_id"],
        "from": sender["_id"],
        "to": addressee["_id"],
        "message": draft.message,
        "status": RequestStatus.PENDING.value,
        "created_at": wire_now(),
        "decided_at": None,
        store.OPEN_PAIR: store.open_pair(session["_id"], sender["_id"], addressee["_id"]),
    }
    await store.add_request(uow, request)
    return request


STATUS_OF = {
    "accept": RequestStatus.ACCEPTED,
    "decline": RequestStatus.DECLINED,
    "withdraw": RequestStatus.WITHDRAWN,
}


async def decide(uow: UnitOfWork, participant: Document, request_id: str, verb: str) -> Document:
    """The addressee accepts or declines; the sender withdraws (even once accepted: the
    next schedule run drops the meeting)."""
    request = await store.request_of(uow, request_id)
    if request["session_id"] != participant["session_id"]:
        raise NotFound(f"no meeting request {request_id!r} on this node", "id")
    check_decision(request, participant["_id"], verb)
    status = STATUS_OF[verb]
    changes: dict[str, Any] = {"status": status.value, "decided_at": wire_now()}
    closed = status.value not in OPEN_STATUSES  # the pair may ask again
    await store.change(
        uow, store.REQUESTS, request_id, changes, unset=(store.OPEN_PAIR,) if closed else ()
    )
    return {**request, **changes}


def now() -> datetime:
    return datetime.now(UTC)
