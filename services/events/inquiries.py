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

from typing import Annotated

from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, ConfigDict, StringConstraints
from pymongo import ASCENDING, DESCENDING

from services.events import personal
from services.events.domain import Name, Text
from services.events.personal import (
    Email,
    Inbox,
    Organisation,
    hand_over,
    keyed,
    listing,
    new_key,
    now,
    settle,
    title_of,
)
from services.events.store import EventsUnitOfWork
from shared.contracts.base import Event as Message
from shared.contracts.events_requests import InquiryAnswered, InquiryAsked, InquiryOutcome, Person
from shared.direct import DirectDelivery
from shared.erasure import PersonRecords
from shared.ids import new_id
from shared.service import ServiceKit
from shared.store import Document, ServiceDatabase

SENT = "inquiries_sent"
RECEIVED = "inquiries_received"
COLLECTIONS = (SENT, RECEIVED)
WAITING = "waiting"  # a sent inquiry the owner has not answered yet
OPEN = "open"  # a received inquiry the staff have not answered yet
INBOX = Inbox(RECEIVED, "inquiry", "about this node's events", OPEN, "answer")

Kit = ServiceKit[EventsUnitOfWork]


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


def counter(registry: CollectorRegistry) -> Counter:
    """alliance_event_inquiries_total{direction, outcome}: asked, answered, refused."""
    return personal.counter(registry, "inquiries")


async def create_indexes(db: ServiceDatabase) -> None:
    """The consoles list inquiries by status and event, newest first (migration step)."""
    await db.collection(RECEIVED).create_index(
        [("status", ASCENDING), ("event_id", ASCENDING), ("asked_at", DESCENDING)]
    )
    await db.collection(SENT).create_index([("asked_at", DESCENDING)])


async def ask(
    uow: EventsUnitOfWork, node: str, event: Document, draft: InquiryDraft
) -> tuple[Document, str]:
    """Record a question about a calendar event and send it to its owner; returns the
    asker's record and the key that reads it (given once, never stored)."""
    key, digest = new_key()
    origin, data = str(event["origin"]), event["data"]
    message = InquiryAsked(
        id=new_id(node),
        event_id=str(data["id"]),
        asker=Person(name=draft.name, email=draft.email, organisation=draft.organisation),
        question=draft.question,
        asked_at=now(),
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
        "key": digest,
    }
    await uow.collection(SENT).insert_one(record, session=uow.session)
    await hand_over(
        uow, node, origin, message, lambda: _receive(uow, node, message, title_of(data))
    )
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
            "received_at": now(),
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
        answered_at=now(),
    )


async def answer(uow: EventsUnitOfWork, node: str, inquiry_id: str, draft: AnswerDraft) -> Document:
    """The staff's answer: recorded here and sent back to the asker's node, once."""
    found = await INBOX.undecided(uow, inquiry_id)
    message = InquiryAnswered(
        id=inquiry_id,
        event_id=str(found["event_id"]),
        outcome=InquiryOutcome.ANSWERED,
        answer=draft.answer,
        answered_at=now(),
    )
    changes = {"status": message.outcome.value, "answer": message.answer}
    changes["answered_at"] = message.answered_at
    answered = await INBOX.decide(uow, found, changes)
    asker = str(found["sender"])
    await hand_over(uow, node, asker, message, lambda: _record_answer(uow, node, message))
    return answered


async def _record_answer(uow: EventsUnitOfWork, owner: str, message: InquiryAnswered) -> None:
    """Person side: the answer (or refusal) on the asker's record. Only the event's owner
    may answer it: an answer from any other node is an error, dead-lettered with why."""
    await settle(
        uow,
        SENT,
        {"_id": message.id, "event_origin": owner, "status": WAITING},
        {
            "status": message.outcome.value,
            "answer": message.answer,
            "answered_at": message.answered_at,
        },
        f"no inquiry {message.id!r} to {owner} waits for an answer",
    )


async def on_inquiry_answered(
    kit: Kit, message: Message, delivery: DirectDelivery, uow: EventsUnitOfWork
) -> None:
    """Person side: the owner's answer reached this node."""
    assert isinstance(message, InquiryAnswered)
    await _record_answer(uow, delivery.sender, message)
    counter(kit.metrics.registry).labels("out", message.outcome.value).inc()


async def asker_record(uow: EventsUnitOfWork, inquiry_id: str, key: str | None) -> Document:
    """The asker's record, for whoever holds its key (or staff: ``key`` None)."""
    return await keyed(uow.collection(SENT), inquiry_id, key, "inquiry")


async def listing_of(uow: EventsUnitOfWork, side: str, status: str | None) -> list[Document]:
    """The inquiries of one side (``received``: about own events; ``sent``: asked here),
    open or waiting ones first, then the newest."""
    collection = uow.collection(RECEIVED if side == "received" else SENT)
    query = {"status": status} if status else {}
    return await listing(collection, query, (OPEN, WAITING), "asked_at")


# a GDPR erasure (shared/erasure.py): the inquiry stays for the staff, without the person;
# the asker's key stops working
ASKERS_SENT = PersonRecords(SENT, "asker.email", ("asker.name", "key"))
ASKERS_RECEIVED = PersonRecords(RECEIVED, "asker.email", ("asker.name",))
