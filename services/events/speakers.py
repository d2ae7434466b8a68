"""Applications to speak: a person applies through their own node to an event's call.

The call (deadline, topics, questions) is part of the event (``CallForSpeakers`` in
domain.py), so every node that shows the event knows it. An application is kept on the
applicant's node (``applications_sent``, read back with a key given once) and travels to
the owner node as a direct message (``SpeakerApplied``); the owner node judges it again
on arrival by the same rule (``call_refusal``: its own copy of the event, the moment the
person applied) and either opens it for its staff (``applications_received``) or refuses
it back at once. The staff's decision (accepted or rejected, with a message) travels
back (``ApplicationDecided``). Only those two nodes ever hold the application.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pymongo import ASCENDING, DESCENDING

from services.events import personal
from services.events.domain import EventStatus, Language, Name, Text, Title, utc
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
from shared.contracts.events import EventState
from shared.contracts.events_requests import (
    ApplicationDecided,
    ApplicationOutcome,
    Person,
    SpeakerApplied,
)
from shared.direct import DirectDelivery
from shared.erasure import PersonRecords
from shared.errors import DomainError, Duplicate
from shared.ids import new_id
from shared.service import ServiceKit
from shared.store import Document, ServiceDatabase

SENT = "applications_sent"
RECEIVED = "applications_received"
COLLECTIONS = (SENT, RECEIVED)
PENDING = "pending"  # sent and not decided yet, or received and not reviewed yet
INBOX = Inbox(RECEIVED, "application", "to this node's events", PENDING, "decision")
CLOSED_STATUSES = (EventStatus.DRAFT.value, EventStatus.CANCELLED.value)

Kit = ServiceKit[EventsUnitOfWork]
LongText = Annotated[Text, StringConstraints(min_length=1)]


class ApplicationDraft(BaseModel):
    """What a person submits to speak; unknown fields are refused (a typo is a 422)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email
    organisation: Organisation = ""
    title: Title
    abstract: LongText
    bio: LongText
    language: Language
    answers: Annotated[list[Text], Field(max_length=10)] = []


class DecisionDraft(BaseModel):
    """What the owner's staff decide: accept or reject, with a message to the person."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["accepted", "rejected"]
    message: Text = ""


def counter(registry: CollectorRegistry) -> Counter:
    """alliance_event_applications_total{direction, outcome}: applied, accepted,
    rejected, refused."""
    return personal.counter(registry, "applications")


async def create_indexes(db: ServiceDatabase) -> None:
    """Duplicates are looked up by event and e-mail; consoles list by status (migration)."""
    await db.collection(SENT).create_index(
        [("event_origin", ASCENDING), ("event_id", ASCENDING), ("email_key", ASCENDING)]
    )
    await db.collection(RECEIVED).create_index([("event_id", ASCENDING), ("email_key", ASCENDING)])
    await db.collection(RECEIVED).create_index([("applied_at", DESCENDING)])


def call_refusal(event: EventState, applied_at: datetime, answers: int) -> DomainError | None:
    """Why an application made at ``applied_at`` (aware) cannot be taken, or None.

    Both nodes judge by this: the applicant's node before it sends (a 4xx naming the
    field), the owner node on arrival (a refusal sent back), so an application sent just
    before the deadline is judged by when it was made, not when it arrived.
    """
    call = event.call_for_speakers
    if call is None or event.status in CLOSED_STATUSES:
        return DomainError("this event has no open call for speakers", "call_for_speakers")
    deadline = utc(datetime.fromisoformat(call.deadline), ZoneInfo(event.timezone))
    if applied_at > deadline:
        closed = f"{call.deadline[:16].replace('T', ' ')} ({event.timezone})"
        return DomainError(f"the call for speakers closed at {closed}", "call_for_speakers")
    if answers != len(call.questions):
        return DomainError(
            f"give one answer to each of the call's {len(call.questions)} questions", "answers"
        )
    return None


def _email_key(email: str) -> str:
    return email.casefold()


async def apply(
    uow: EventsUnitOfWork, node: str, event: Document, draft: ApplicationDraft
) -> tuple[Document, str]:
    """Record an application to a calendar event's call and send it to its owner;
    returns the applicant's record and the key that reads it (given once)."""
    origin, data = str(event["origin"]), event["data"]
    state = EventState.model_validate(data)
    applied = now()
    refusal = call_refusal(state, datetime.fromisoformat(applied), len(draft.answers))
    if refusal is not None:
        raise refusal
    if await uow.collection(SENT).find_one(
        {
            "event_origin": origin,
            "event_id": state.id,
            "email_key": _email_key(draft.email),
            "status": {"$ne": ApplicationOutcome.REFUSED.value},
        },
        session=uow.session,
    ):
        raise Duplicate("this e-mail applied to speak at this event already", "email")
    message = SpeakerApplied(
        id=new_id(node),
        event_id=state.id,
        applicant=Person(name=draft.name, email=draft.email, organisation=draft.organisation),
        title=draft.title,
        abstract=draft.abstract,
        bio=draft.bio,
        language=draft.language,
        answers=draft.answers,
        applied_at=applied,
    )
    key, digest = new_key()
    record = {
        **_fields(message),
        "event_origin": origin,
        "event_title": title_of(data),
        "key": digest,
    }
    await uow.collection(SENT).insert_one(record, session=uow.session)
    await hand_over(
        uow, node, origin, message, lambda: _receive(uow, node, message, title_of(data))
    )
    return record, key


def _fields(message: SpeakerApplied) -> Document:
    """What both nodes keep of an application, before any decision."""
    return {
        "_id": message.id,
        "event_id": message.event_id,
        "applicant": message.applicant.model_dump(),
        "email_key": _email_key(message.applicant.email),
        "title": message.title,
        "abstract": message.abstract,
        "bio": message.bio,
        "language": message.language,
        "answers": message.answers,
        "applied_at": message.applied_at,
        "status": PENDING,
        "message": "",
        "decided_at": None,
    }


async def _receive(uow: EventsUnitOfWork, sender: str, message: SpeakerApplied, title: str) -> None:
    """An application to an own event, pending in the staff's console."""
    record = {**_fields(message), "sender": sender, "event_title": title, "received_at": now()}
    await uow.collection(RECEIVED).insert_one(record, session=uow.session)


async def _owner_refusal(uow: EventsUnitOfWork, message: SpeakerApplied) -> str | None:
    """Why the owner node does not take an application that arrived, or None."""
    event = await uow.events.get(message.event_id)
    if event is None or event.deleted:
        return f"no event {message.event_id!r} on this node"
    state = EventState.model_validate(event.model_dump(mode="json"))
    applied = datetime.fromisoformat(message.applied_at)
    refusal = call_refusal(state, applied, len(message.answers))
    if refusal is not None:
        return refusal.reason
    twice = {"event_id": message.event_id, "email_key": _email_key(message.applicant.email)}
    if await uow.collection(RECEIVED).find_one(twice, session=uow.session):
        return "this e-mail applied to speak at this event already"
    return None


async def on_speaker_applied(
    kit: Kit, message: Message, delivery: DirectDelivery, uow: EventsUnitOfWork
) -> None:
    """Owner side: open the application for the staff, or refuse it back with why (and
    keep nothing of it)."""
    assert isinstance(message, SpeakerApplied)
    reason = await _owner_refusal(uow, message)
    if reason is not None:
        uow.send(delivery.sender, _decision(message.id, message.event_id, "refused", reason))
        counter(kit.metrics.registry).labels("in", ApplicationOutcome.REFUSED.value).inc()
        return
    event = await uow.events.get(message.event_id)
    title = event.title.get(event.language, "") if event else ""
    await _receive(uow, delivery.sender, message, title)
    counter(kit.metrics.registry).labels("in", "applied").inc()


def _decision(application_id: str, event_id: str, outcome: str, text: str) -> ApplicationDecided:
    return ApplicationDecided(
        id=application_id,
        event_id=event_id,
        outcome=ApplicationOutcome(outcome),
        message=text,
        decided_at=now(),
    )


async def decide(
    uow: EventsUnitOfWork, node: str, application_id: str, draft: DecisionDraft
) -> Document:
    """The staff's decision: recorded here and sent back to the applicant's node, once."""
    found = await INBOX.undecided(uow, application_id)
    message = _decision(application_id, str(found["event_id"]), draft.decision, draft.message)
    changes = {
        "status": message.outcome.value,
        "message": message.message,
        "decided_at": message.decided_at,
    }
    decided = await INBOX.decide(uow, found, changes)
    applicant = str(found["sender"])
    await hand_over(uow, node, applicant, message, lambda: _record_decision(uow, node, message))
    return decided


async def _record_decision(uow: EventsUnitOfWork, owner: str, message: ApplicationDecided) -> None:
    """Applicant side: the decision on the applicant's record. Only the event's owner
    decides, once: any other decision is an error, dead-lettered with why."""
    await settle(
        uow,
        SENT,
        {"_id": message.id, "event_origin": owner, "status": PENDING},
        {
            "status": message.outcome.value,
            "message": message.message,
            "decided_at": message.decided_at,
        },
        f"no application {message.id!r} to {owner} waits for a decision",
    )


async def on_application_decided(
    kit: Kit, message: Message, delivery: DirectDelivery, uow: EventsUnitOfWork
) -> None:
    """Applicant side: the owner's decision reached this node."""
    assert isinstance(message, ApplicationDecided)
    await _record_decision(uow, delivery.sender, message)
    counter(kit.metrics.registry).labels("out", message.outcome.value).inc()


async def applicant_record(uow: EventsUnitOfWork, application_id: str, key: str | None) -> Document:
    """The applicant's record, for whoever holds its key (or staff: ``key`` None)."""
    return await keyed(uow.collection(SENT), application_id, key, "application")


async def listing_of(
    uow: EventsUnitOfWork, side: str, status: str | None, event_id: str | None = None
) -> list[Document]:
    """Applications to own events (``received``) or made here (``sent``), pending first."""
    query: Document = {"status": status} if status else {}
    if event_id:
        query["event_id"] = event_id
    collection = uow.collection(RECEIVED if side == "received" else SENT)
    return await listing(collection, query, (PENDING,), "applied_at")


# a GDPR erasure (shared/erasure.py): the application stays for the staff, without the
# person (nor the look-up key made of their e-mail); the applicant's key stops working
APPLICANTS_SENT = PersonRecords(SENT, "applicant.email", ("applicant.name", "email_key", "key"))
APPLICANTS_RECEIVED = PersonRecords(RECEIVED, "applicant.email", ("applicant.name", "email_key"))
