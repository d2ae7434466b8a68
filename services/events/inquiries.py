"""Inquiries: a person asks the owner's staff about an event, from their own node.

The question is kept on the asker's node (``inquiries_sent``, with a secret key the asker
reads the answer with) and travels to the event's owner node as a direct message
(``InquiryAsked``); there it waits in the staff's console (``inquiries_received``) until
they answer, and the answer travels back (``InquiryAnswered``). Both messages go from one
node to the other only (``shared.direct``): the asker's name and e-mail are held by these
two nodes and nowhere else. A question about this node's own event takes no message: both
records are written in the one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pymongo import ASCENDING, DESCENDING

from services.events.domain import Name, Text
from services.events.store import EventsUnitOfWork
from shared.contracts.base import Event as Message
from shared.contracts.events_requests import Asker, InquiryAnswered, InquiryAsked, InquiryOutcome
from shared.direct import DirectDelivery
from shared.errors import Duplicate, NotFound
from shared.ids import new_id
from shared.service import ServiceKit
from shared.store import Document, ServiceDatabase

SENT = "inquiries_sent"
RECEIVED = "inquiries_received"
COLLECTIONS = (SENT, RECEIVED)
WAITING = "waiting"  # a sent inquiry the owner has not answered yet
OPEN = "open"  # a received inquiry the staff have not answered yet
_EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"

Kit = ServiceKit[EventsUnitOfWork]


def _refuse_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Email = Annotated[
    str,
    BeforeValidator(_refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, max_length=254, pattern=_EMAIL_SHAPE),
]
Organisation = Annotated[
    str,
    BeforeValidator(_refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, max_length=200),
]
Question = Annotated[Text, StringConstraints(min_length=1)]


class InquiryDraft(BaseModel):
    """What a person types to ask; unknown fields are refused (a typo is a 422)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email
    organisation: Organisation = ""
    question: Question


class AnswerDraft(BaseModel):
    """What the owner's staff type to answer."""

    model_config = ConfigDict(extra="forbid")

    answer: Question


@cache
def counter(registry: CollectorRegistry) -> Counter:
    """alliance_event_inquiries_total{direction, outcome}: one per process registry."""
    return Counter(
        "alliance_event_inquiries_total",
        "Inquiries about events: asked by this node's people (out) or about this node's "
        "events (in), by outcome (asked, answered, refused).",
        ["direction", "outcome"],
        registry=registry,
    )


async def create_indexes(db: ServiceDatabase) -> None:
    """The consoles list inquiries by status and event, newest first (migration step)."""
    await db.collection(RECEIVED).create_index(
        [("status", ASCENDING), ("event_id", ASCENDING), ("asked_at", DESCENDING)]
    )
    await db.collection(SENT).create_index([("asked_at", DESCENDING)])


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_digest(key: str) -> str:
    """The asker's key is stored only as its digest: a leaked store reveals no key."""
    return hashlib.sha256(key.encode()).hexdigest()


def title_of(data: Document) -> str:
    """An event's title in the language it was written in (what the consoles show)."""
    titles: dict[str, str] = data.get("title", {})
    return titles.get(data.get("language", "")) or next(iter(titles.values()), "")


async def ask(
    uow: EventsUnitOfWork, node: str, event: Document, draft: InquiryDraft
) -> tuple[Document, str]:
    """Record a question about a calendar event and send it to its owner; returns the
    asker's record and the key that reads it (given once, never stored)."""
    key = secrets.token_urlsafe(24)
    origin, data = str(event["origin"]), event["data"]
    message = InquiryAsked(
        id=new_id(node),
        event_id=str(data["id"]),
        asker=Asker(name=draft.name, email=draft.email, organisation=draft.organisation),
        question=draft.question,
        asked_at=_now(),
    )
    record: Document = {
        "_id": message.id,
        "event_origin": origin,
        "event_id": message.event_id,
        "event_title": title_of(data),
        "asker": message.asker.model_dump(),
        "question": message.question,
        "asked_at": message.asked_at,
        "status": WAITING,
        "answer": "",
        "answered_at": None,
        "key": key_digest(key),
    }
    await uow.collection(SENT).insert_one(record, session=uow.session)
    if origin == node:
        await _receive(uow, node, message, title_of(data))
    else:
        uow.send(origin, message)
    return record, key


async def _receive(uow: EventsUnitOfWork, sender: str, message: InquiryAsked, title: str) -> None:
    """An inquiry about an own event, open in the staff's console."""
    await uow.collection(RECEIVED).insert_one(
        {
            "_id": message.id,
            "sender": sender,
            "event_id": message.event_id,
            "event_title": title,
            "asker": message.asker.model_dump(),
            "question": message.question,
            "asked_at": message.asked_at,
            "received_at": _now(),
            "status": OPEN,
            "answer": "",
            "answered_at": None,
        },
        session=uow.session,
    )


async def on_inquiry_asked(
    kit: Kit, message: Message, delivery: DirectDelivery, uow: EventsUnitOfWork
) -> None:
    """Owner side: open the inquiry for the staff, or refuse it at once (no such event
    here, or withdrawn): the asker then reads why instead of waiting for ever."""
    assert isinstance(message, InquiryAsked)
    event = await uow.events.get(message.event_id)
    if event is None or event.deleted:
        uow.send(delivery.sender, _refusal(message, kit.identity.node))
        counter(kit.metrics.registry).labels("in", InquiryOutcome.REFUSED.value).inc()
        return
    await _receive(uow, delivery.sender, message, event.title.get(event.language, ""))
    counter(kit.metrics.registry).labels("in", "asked").inc()


def _refusal(message: InquiryAsked, node: str) -> InquiryAnswered:
    return InquiryAnswered(
        id=message.id,
        event_id=message.event_id,
        outcome=InquiryOutcome.REFUSED,
        answer=f"{node} has no event {message.event_id!r}",
        answered_at=_now(),
    )


async def answer(uow: EventsUnitOfWork, node: str, inquiry_id: str, draft: AnswerDraft) -> Document:
    """The staff's answer: recorded here and sent back to the asker's node, once."""
    received = uow.collection(RECEIVED)
    found: Document | None = await received.find_one({"_id": inquiry_id}, session=uow.session)
    if found is None:
        raise NotFound(f"no inquiry {inquiry_id!r} about this node's events", "id")
    if found["status"] != OPEN:
        raise Duplicate("this inquiry is answered already", "answer")
    message = InquiryAnswered(
        id=inquiry_id,
        event_id=str(found["event_id"]),
        outcome=InquiryOutcome.ANSWERED,
        answer=draft.answer,
        answered_at=_now(),
    )
    changes = {"status": message.outcome.value, "answer": message.answer}
    changes["answered_at"] = message.answered_at
    await received.update_one({"_id": inquiry_id}, {"$set": changes}, session=uow.session)
    if found["sender"] == node:
        await _record_answer(uow, node, message)
    else:
        uow.send(str(found["sender"]), message)
    return {**found, **changes}


async def _record_answer(uow: EventsUnitOfWork, owner: str, message: InquiryAnswered) -> None:
    """Asker side: the answer (or refusal) on the asker's record. Only the event's owner
    may answer it: an answer from any other node is an error, dead-lettered with why."""
    result = await uow.collection(SENT).update_one(
        {"_id": message.id, "event_origin": owner, "status": WAITING},
        {
            "$set": {
                "status": message.outcome.value,
                "answer": message.answer,
                "answered_at": message.answered_at,
            }
        },
        session=uow.session,
    )
    if result.matched_count == 0:
        raise LookupError(f"no inquiry {message.id!r} to {owner} waits for an answer")


async def on_inquiry_answered(
    kit: Kit, message: Message, delivery: DirectDelivery, uow: EventsUnitOfWork
) -> None:
    """Asker side: the owner's answer reached this node."""
    assert isinstance(message, InquiryAnswered)
    await _record_answer(uow, delivery.sender, message)
    counter(kit.metrics.registry).labels("out", message.outcome.value).inc()


async def asker_record(uow: EventsUnitOfWork, inquiry_id: str, key: str | None) -> Document:
    """The asker's record, for whoever holds its key (or staff: ``key`` None)."""
    found: Document | None = await uow.collection(SENT).find_one({"_id": inquiry_id})
    if found is None or (
        key is not None and not secrets.compare_digest(str(found["key"]), key_digest(key))
    ):
        raise NotFound(f"no inquiry {inquiry_id!r} with this key on this node", "id")
    return found


async def listing(uow: EventsUnitOfWork, side: str, status: str | None) -> list[Document]:
    """The inquiries of one side (``received``: about own events; ``sent``: asked here),
    open or waiting ones first, then the newest (bounded: a console page)."""
    query: Document = {"status": status} if status else {}
    cursor = uow.collection(RECEIVED if side == "received" else SENT).find(
        query, sort=[("asked_at", DESCENDING)], limit=500
    )
    found = [doc async for doc in cursor]
    return sorted(found, key=lambda doc: doc["status"] not in (OPEN, WAITING))


def public_view(record: Document) -> Document:
    """A record as the API shows it: its id as ``id``, never the key's digest."""
    return {"id": record["_id"], **{k: v for k, v in record.items() if k not in ("_id", "key")}}
