"""Invitations between networks: to promote an event, or to co-organise it.

The owner's staff invite partner networks (``PartnerInvited``, a direct message to each);
the invitation waits in the partner's console (``invitations_received``) until its staff
accept or decline (``InvitationAnswered`` back to the owner). A network that accepts to
promote lists the event on its public site (``promoted``); a network that accepts to
co-organise is added to the event's ``co_organisers`` by the owner, who republishes the
event, so every calendar shows it. The owner keeps what it sent (``invitations_sent``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pymongo import ASCENDING

from services.events import personal
from services.events.domain import Text
from services.events.handlers import existing_event
from services.events.personal import Inbox, listing, now, settle, title_of
from services.events.store import EventsUnitOfWork
from shared.contracts.base import Event as Message
from shared.contracts.events_requests import InvitationAnswered, InvitationKind, PartnerInvited
from shared.direct import DirectDelivery
from shared.errors import DomainError, Duplicate
from shared.ids import new_id
from shared.replicas import replica_key
from shared.service import ServiceKit
from shared.store import Document, ServiceDatabase

SENT = "invitations_sent"
RECEIVED = "invitations_received"
PROMOTED = "promoted"
COLLECTIONS = (SENT, RECEIVED, PROMOTED)
PENDING = "pending"
INBOX = Inbox(RECEIVED, "invitation", "to this node", PENDING, "accept")

Kit = ServiceKit[EventsUnitOfWork]
NodeId = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, max_length=80)]


class InvitationDraft(BaseModel):
    """Whom the owner's staff invite, to do what, with a word for their staff."""

    model_config = ConfigDict(extra="forbid")

    partners: Annotated[list[NodeId], Field(min_length=1, max_length=50)]
    kind: InvitationKind
    message: Text = ""


class ReplyDraft(BaseModel):
    """The invited network's staff accept or decline."""

    model_config = ConfigDict(extra="forbid")

    accept: bool


def counter(registry: CollectorRegistry) -> Counter:
    """alliance_event_invitations_total{direction, outcome}: invited, accepted, declined."""
    return personal.counter(registry, "invitations")


async def create_indexes(db: ServiceDatabase) -> None:
    """An event's invitations are looked up by event and partner (migration step)."""
    await db.collection(SENT).create_index([("event_id", ASCENDING), ("partner", ASCENDING)])


def check_partners(partners: list[str], node: str, known: list[str]) -> list[str]:
    """The partners once each, every one an admitted node other than this one."""
    unique = list(dict.fromkeys(partners))
    strangers = [p for p in unique if p == node or p == "hub" or p not in known]
    if strangers:
        raise DomainError(f"not a partner network of this node: {', '.join(strangers)}", "partners")
    return unique


async def invite(
    uow: EventsUnitOfWork, node: str, event_id: str, draft: InvitationDraft, known: list[str]
) -> list[Document]:
    """One invitation per partner, each sent to it; the event must reach them."""
    event = await existing_event(event_id, uow)
    if not event.is_shared:
        raise DomainError("only a published event the alliance sees can be shared", "visibility")
    sent = uow.collection(SENT)
    records = []
    for partner in check_partners(draft.partners, node, known):
        same = {"event_id": event_id, "partner": partner, "kind": draft.kind.value}
        if await sent.find_one({**same, "status": {"$ne": "declined"}}, session=uow.session):
            raise Duplicate(f"{partner} is invited to {draft.kind.value} already", "partners")
        message = PartnerInvited(
            id=new_id(node),
            event_id=event_id,
            kind=draft.kind,
            message=draft.message,
            sent_at=now(),
        )
        record = {
            "_id": message.id,
            **same,
            "event_title": event.title.get(event.language, ""),
            "message": draft.message,
            "sent_at": message.sent_at,
            "status": PENDING,
        }
        await sent.insert_one(record, session=uow.session)
        uow.send(partner, message)
        records.append(record)
    return records


async def on_partner_invited(
    kit: Kit, message: Message, delivery: DirectDelivery, uow: EventsUnitOfWork
) -> None:
    """Partner side: the invitation waits for the staff (with the event's title, when
    the calendar holds it already)."""
    assert isinstance(message, PartnerInvited)
    replica = await uow.calendar.one(delivery.sender, message.event_id, public_only=False)
    await uow.collection(RECEIVED).insert_one(
        {
            "_id": message.id,
            "sender": delivery.sender,
            "event_id": message.event_id,
            "event_title": title_of(replica["data"]) if replica else message.event_id,
            "kind": message.kind.value,
            "message": message.message,
            "sent_at": message.sent_at,
            "status": PENDING,
        },
        session=uow.session,
    )
    counter(kit.metrics.registry).labels("in", "invited").inc()


async def reply(uow: EventsUnitOfWork, invitation_id: str, draft: ReplyDraft) -> Document:
    """Partner side: the staff's answer, sent to the owner; promoting lists the event."""
    found = await INBOX.undecided(uow, invitation_id)
    status = "accepted" if draft.accept else "declined"
    answered = await INBOX.decide(uow, found, {"status": status})
    kind = InvitationKind(found["kind"])
    if draft.accept and kind is InvitationKind.PROMOTE:
        key = replica_key(str(found["sender"]), str(found["event_id"]))
        await uow.collection(PROMOTED).update_one(
            {"_id": key},
            {"$set": {"origin": found["sender"], "event_id": found["event_id"], "since": now()}},
            upsert=True,
            session=uow.session,
        )
    uow.send(
        str(found["sender"]),
        InvitationAnswered(
            id=invitation_id,
            event_id=str(found["event_id"]),
            kind=kind,
            accepted=draft.accept,
            answered_at=now(),
        ),
    )
    return answered


async def on_invitation_answered(
    kit: Kit, message: Message, delivery: DirectDelivery, uow: EventsUnitOfWork
) -> None:
    """Owner side: record the answer; a co-organiser who accepted joins the event, which
    is republished (a higher sequence) so every calendar shows it."""
    assert isinstance(message, InvitationAnswered)
    status = "accepted" if message.accepted else "declined"
    await settle(
        uow,
        SENT,
        {"_id": message.id, "partner": delivery.sender, "status": PENDING},
        {"status": status, "answered_at": message.answered_at},
        f"no invitation {message.id!r} to {delivery.sender} waits for an answer",
    )
    if message.accepted and message.kind is InvitationKind.CO_ORGANISE:
        event = await uow.events.get(message.event_id)
        if (
            event is not None
            and not event.deleted
            and event.add_co_organiser(delivery.sender, datetime.now(UTC))
        ):
            await uow.events.save(event)
    counter(kit.metrics.registry).labels("out", status).inc()


async def promoted(uow: EventsUnitOfWork) -> list[Document]:
    """The public calendar entries of the events this network promotes, in calendar
    order (one withdrawn or made non-public since is not shown)."""
    found = []
    async for doc in uow.collection(PROMOTED).find({}):
        entry = await uow.calendar.one(str(doc["origin"]), str(doc["event_id"]), public_only=True)
        if entry is not None:
            found.append(entry)
    return sorted(found, key=lambda entry: str(entry["keys"]["page"]))


async def listing_of(uow: EventsUnitOfWork, side: str, status: str | None) -> list[Document]:
    """Invitations this node sent (``sent``) or received (``received``), pending first."""
    collection = uow.collection(SENT if side == "sent" else RECEIVED)
    return await listing(collection, {"status": status} if status else {}, (PENDING,), "sent_at")
