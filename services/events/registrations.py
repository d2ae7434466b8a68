"""Registration across nodes: the registrant's node asks, the owner node alone decides.

The registrant's node keeps each request as *pending* in ``my_registrations`` and sends
``RegistrationRequested`` to the event's owner (shared/contracts/events_register.py). The
owner, in inbox arrival order, loads the event and the ``SeatBook`` of that date, lets
lapsed offers go (``expire_offers``), looks the registrant's organisation up among the
members it knows (``MemberDirectory``), runs ``register`` and answers every decision the
rule made with ``RegistrationDecided`` to that registrant's node. For its own events a
node decides at once, in the same transaction, through the same functions.

Personal data (contact name and email) is stored only here, on both ends: ``attendees``
on the owner, ``my_registrations`` on the registrant's node; it travels only as direct
messages, which the hub does not keep.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from services.events.domain import Event, Name
from services.events.fees import TicketCode
from services.events.registration import (
    LIVE,
    MAX_PARTY,
    Decided,
    Decision,
    Outcome,
    Registrant,
    RegistrationRequest,
    SeatBook,
    accept_offer,
    cancel,
    cancel_event,
    change_capacity,
    decline_offer,
    expire_offers,
    leave_waiting_list,
    register,
)
from services.events.registrations_store import (
    MY_REGISTRATIONS,
    SEAT_BOOKS,
    Books,
    MemberDirectory,
    capacity_on,
    terms_of,
)
from services.events.store import EventsUnitOfWork
from shared.contracts.direct import MessageRefused
from shared.contracts.events_register import (
    Change,
    RegistrationChanged,
    RegistrationDecided,
    RegistrationRequested,
    SeatOffered,
)
from shared.errors import DomainError, NotFound, shorten
from shared.ids import new_id
from shared.store import Document

log = logging.getLogger(__name__)
PENDING = "pending"  # a request sent and not yet decided, as the registrant sees it
LIVE_STATES = tuple(status.value for status in LIVE)  # holding or awaiting seats
UNCHANGED = "unchanged"  # the owner could not make a change: the registration stands
EMAIL_SHAPE = r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s.\x00-\x1f]+$"  # no NUL
# ids are subject tokens (shared/subjects.py): letters, digits, dashes and underscores
AggregateId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,128}$")]


def _now() -> datetime:
    return datetime.now(UTC)


# --- what a registrant's node is asked -----------------------------------------------


class RegistrationForm(BaseModel):
    """A registration as the registrant's node takes it (API and page form)."""

    model_config = ConfigDict(extra="forbid")

    origin: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,31}$")]  # a node id
    event_id: AggregateId
    occurrence: date | None = None  # the date of a series; None: the event's first date
    ticket: TicketCode | None = None
    party: Annotated[int, Field(strict=True, ge=1, le=MAX_PARTY)] = 1
    organization_id: AggregateId | None = None
    contact_name: Name
    contact_email: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_SHAPE)
    ]


def registrant_id(email: str) -> str:
    """An opaque id of a person on their node: the same email is the same person (a
    second live registration of theirs for a date is a duplicate), and the owner learns
    nothing from the id itself."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


# --- metrics --------------------------------------------------------------------------


class RegistrationMetrics:
    """Registrations by outcome, waiting lists, expired offers, cross-node latency."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.decided = Counter(
            "alliance_event_registrations",
            "Registration decisions the owner node made, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.waiting = Gauge(
            "alliance_event_waiting_list",
            "People on the waiting list of one date of an own event.",
            ["event", "occurrence"],
            registry=registry,
        )
        self.expired = Counter(
            "alliance_event_offers_expired",
            "Offers of a freed seat that lapsed unaccepted.",
            registry=registry,
        )
        self.latency = Histogram(
            "alliance_event_registration_latency_seconds",
            "Registrant's node: from sending a request to the owner's first decision.",
            buckets=(0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 3600, 86400),
            registry=registry,
        )


_METRICS: WeakKeyDictionary[CollectorRegistry, RegistrationMetrics] = WeakKeyDictionary()


@dataclass(frozen=True)
class Desk:
    """What the registration functions need of the process: this node's id, its metrics,
    and how long it holds an offered seat (``ALLIANCE_OFFER_HOLD_HOURS``)."""

    node: str
    metrics: RegistrationMetrics
    hold: timedelta = timedelta(hours=48)

    @classmethod
    def of(cls, node: str, registry: CollectorRegistry, hold: timedelta | None = None) -> Desk:
        """One set of metrics per registry (per process), made the first time it is asked."""
        if registry not in _METRICS:
            _METRICS[registry] = RegistrationMetrics(registry)
        return cls(node, _METRICS[registry], hold or timedelta(hours=48))


def desk_of(kit: Any) -> Desk:
    """The desk of a running service kit."""
    hold = timedelta(hours=kit.settings.offer_hold_hours)
    return Desk.of(kit.identity.node, kit.metrics.registry, hold)


# --- deciding, on the owner ------------------------------------------------------------


def decided_message(decision: Decision) -> RegistrationDecided:
    """The wire form of one decision (an offer is a ``SeatOffered``, with its expiry)."""
    quote = decision.quote
    kind = SeatOffered if decision.outcome is Outcome.OFFERED else RegistrationDecided
    return kind(
        id=decision.request_id,
        event_id=decision.event_id,
        occurrence=decision.occurrence,
        outcome=decision.outcome.value,
        reason=decision.reason,
        position=decision.position,
        offer_expires=decision.offer_expires.isoformat() if decision.offer_expires else None,
        currency=quote.currency if quote else None,
        total=quote.total if quote else None,
        discount=quote.discount if quote else None,
        fee_reason=quote.reason if quote else None,
        membership_network=quote.membership_network if quote else None,
    )


async def tell(uow: EventsUnitOfWork, desk: Desk, decisions: Iterable[Decision]) -> None:
    """Send each decision to its registrant's node (or apply it here, for our own people),
    note it beside the attendee, and count it."""
    for decision in decisions:
        desk.metrics.decided.labels(decision.outcome.value).inc()
        await Books(uow).record(decision)
        message = decided_message(decision)
        if decision.registrant.node == desk.node:
            await apply_decision(uow, desk, message, desk.node)
        else:
            uow.send(decision.registrant.node, message)


def _refusal(request: RegistrationRequested, node: str, why: str) -> Decision:
    """A request the rules could not even be asked about (no such event, a field the
    owner cannot accept): refused with the reason, never dropped."""
    return Decision(
        request_id=request.id,
        registrant=Registrant(node=node, id=request.registrant[:128] or "unknown"),
        event_id=request.event_id,
        occurrence=request.occurrence,
        outcome=Outcome.REFUSED,
        reason=f"refused: {shorten(why)}",
    )


async def decide(
    uow: EventsUnitOfWork, desk: Desk, request: RegistrationRequested, sender: str
) -> None:
    """The owner decides one request, in arrival order, and answers every decision."""
    event = await uow.events.get(request.event_id)
    if event is None or event.deleted:
        await tell(uow, desk, [_refusal(request, sender, f"no event {request.event_id!r}")])
        return
    books, now = Books(uow), _now()
    book = await books.book(event, request.occurrence, desk.hold)
    lapsed = expire_offers(book, now)
    desk.metrics.expired.inc(sum(d.outcome is Outcome.EXPIRED for d in lapsed.decisions))
    membership = await MemberDirectory(uow, desk.node).find(sender, request.organization_id)
    try:
        asked = RegistrationRequest(
            id=request.id,
            event_id=request.event_id,
            occurrence=request.occurrence,
            registrant=Registrant(node=sender, id=request.registrant),
            party=request.party,
            ticket=request.ticket,
            organization=request.organization_name or request.organization_id,
            membership=membership,
        )
    except ValidationError as exc:
        why = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        refused = Decided(book=lapsed.book, decisions=(_refusal(request, sender, why),))
        await _keep(uow, desk, book, _after(lapsed, refused))
        return
    decided = register(lapsed.book, asked, terms_of(event, desk.node), now)
    if decided.decisions[-1].outcome is not Outcome.REFUSED:
        await books.attend(request, sender)
    await _keep(uow, desk, book, _after(lapsed, decided))


def _after(lapsed: Decided, decided: Decided) -> Decided:
    """The book after both rules, and the decisions of the first, then of the second."""
    return Decided(book=decided.book, decisions=lapsed.decisions + decided.decisions)


async def _keep(uow: EventsUnitOfWork, desk: Desk, before: SeatBook, decided: Decided) -> None:
    """Save the book and show its waiting list if it changed (a refused request for a
    date that does not exist leaves nothing behind, not even a metric label), and tell
    everyone concerned."""
    book = decided.book
    if book != before:
        await Books(uow).save(book)
        desk.metrics.waiting.labels(book.event_id, book.occurrence).set(len(book.waiting()))
    await tell(uow, desk, decided.decisions)


RULES = {
    Change.CANCEL: cancel,
    Change.LEAVE: leave_waiting_list,
    Change.ACCEPT: accept_offer,
    Change.DECLINE: decline_offer,
}


async def change(
    uow: EventsUnitOfWork,
    desk: Desk,
    message: RegistrationChanged,
    sender: str,
    by_owner: bool = False,
) -> None:
    """The owner applies a registrant's (or its own staff's) change to a registration."""
    event = await uow.events.get(message.event_id)
    if event is None:
        raise NotFound(f"no event {message.event_id!r} on this node", "event_id")
    book = await Books(uow).book(event, message.occurrence, desk.hold)
    registration = book.find(message.id)
    if registration.registrant.node != sender and not by_owner:
        raise NotFound(f"no registration {message.id!r} of {sender}", "request_id")
    now = _now()
    lapsed = expire_offers(book, now)
    if message.change is Change.CANCEL:
        decided = cancel(lapsed.book, message.id, now, by_owner=by_owner)
    else:
        decided = RULES[message.change](lapsed.book, message.id, now)
    await _keep(uow, desk, book, _after(lapsed, decided))


async def check_capacity(uow: EventsUnitOfWork, event: Event) -> None:
    """Refuse a revision whose capacity is below the seats confirmed or offered on any
    date (a 422 naming ``capacity``): taking a seat back is a cancellation, one by one."""
    for book in await Books(uow).every_book(event.id):
        change_capacity(book, capacity_on(event, book.occurrence), _now())


async def capacity_changed(uow: EventsUnitOfWork, desk: Desk, event_id: str) -> None:
    """The owner revised its event: each date's book takes the new capacity, and seats
    it frees are offered to the waiting list."""
    event = await uow.events.get(event_id)
    if event is None:
        return
    for book in await Books(uow).every_book(event_id):
        try:
            decided = change_capacity(book, capacity_on(event, book.occurrence), _now())
        except DomainError as exc:  # lowered below what is held: the book keeps its own
            log.warning(
                "event %s, %s keeps capacity %s: %s", event_id, book.occurrence, book.capacity, exc
            )
            continue
        await _keep(uow, desk, book, decided)


async def cancel_all(uow: EventsUnitOfWork, desk: Desk, event_id: str) -> None:
    """The owner cancelled the event: every live registration is cancelled, and every
    registrant's node told."""
    cancelled = cancel_event(await Books(uow).every_book(event_id))
    for book in cancelled.books:
        await Books(uow).save(book)
    await tell(uow, desk, cancelled.decisions)


async def expire_all(uow: EventsUnitOfWork, desk: Desk, now: datetime | None = None) -> int:
    """Move lapsed offers on, in every book that holds one (the owner's periodic task);
    returns how many lapsed."""
    collection = uow.collection(SEAT_BOOKS)
    held = collection.find({"offers": {"$gt": 0}}, session=uow.session)
    books = [SeatBook.model_validate(doc["book"]) async for doc in held]
    lapsed = 0
    for book in books:
        decided = expire_offers(book, now or _now())
        expired = sum(d.outcome is Outcome.EXPIRED for d in decided.decisions)
        if expired:
            lapsed += expired
            desk.metrics.expired.inc(expired)
            await _keep(uow, desk, book, decided)
    return lapsed


# --- on the registrant's node ----------------------------------------------------------


async def request_registration(
    uow: EventsUnitOfWork,
    desk: Desk,
    form: RegistrationForm,
    event: Document,
    key: str | None = None,
) -> Document:
    """Keep the request as pending and ask the owner (or decide at once, for our own);
    ``key`` is the digest of the key a person registering themselves reads it with."""
    occurrence = form.occurrence.isoformat() if form.occurrence else event["first_date"]
    node = desk.node
    message = RegistrationRequested(
        id=new_id(node),
        event_id=form.event_id,
        occurrence=occurrence,
        party=form.party,
        ticket=form.ticket,
        registrant=registrant_id(form.contact_email),
        organization_id=form.organization_id,
        contact_name=form.contact_name,
        contact_email=form.contact_email,
    )
    mine = {
        "_id": message.id,
        "owner": form.origin,
        "event_id": form.event_id,
        "title": event.get("title", ""),
        "occurrence": occurrence,
        "party": form.party,
        "ticket": form.ticket,
        "organization_id": form.organization_id,
        "contact_name": form.contact_name,
        "contact_email": form.contact_email,
        "registrant": message.registrant,
        "status": PENDING,
        "reason": "pending: sent to the organiser",
        "sent": _now(),
    }
    if key is not None:
        mine["key"] = key
    await uow.collection(MY_REGISTRATIONS).insert_one(mine, session=uow.session)
    if form.origin == node:
        await decide(uow, desk, message, node)
    else:
        uow.send(form.origin, message)
    return mine


async def apply_decision(
    uow: EventsUnitOfWork, desk: Desk, message: RegistrationDecided, owner: str
) -> None:
    """The registrant's node shows the owner's decision (and times the first one)."""
    mine = uow.collection(MY_REGISTRATIONS)
    found = await mine.find_one({"_id": message.id, "owner": owner}, session=uow.session)
    if found is None:
        return  # not ours (or erased meanwhile): nothing to show it on
    if message.outcome == UNCHANGED:  # a change the owner could not make: say why
        note = {"$set": {"note": message.reason}}
        await mine.update_one({"_id": message.id}, note, session=uow.session)
        return
    if found["status"] == PENDING:
        sent = found["sent"] if found["sent"].tzinfo else found["sent"].replace(tzinfo=UTC)
        desk.metrics.latency.observe(max(0.0, (_now() - sent).total_seconds()))
    fields = message.model_dump(exclude={"id", "event_id", "occurrence"})
    await mine.update_one(
        {"_id": message.id},
        {"$set": {**fields, "status": message.outcome, "decided": _now()}},
        session=uow.session,
    )


async def apply_refusal(uow: EventsUnitOfWork, refusal: MessageRefused, owner: str) -> bool:
    """The owner's node refused our request as malformed: it will never decide it, so the
    registrant sees it refused with the reason instead of pending forever."""
    result = await uow.collection(MY_REGISTRATIONS).update_one(
        {"_id": refusal.about, "owner": owner, "status": PENDING},
        {
            "$set": {
                "status": Outcome.REFUSED.value,
                "reason": f"refused: {refusal.reason} ({shorten(refusal.detail)})",
                "decided": _now(),
            }
        },
        session=uow.session,
    )
    return result.modified_count == 1


async def ask_change(uow: EventsUnitOfWork, desk: Desk, request_id: str, what: Change) -> Document:
    """A registrant's change, sent to the owner (applied here for our own events)."""
    mine = uow.collection(MY_REGISTRATIONS)
    found = await mine.find_one({"_id": request_id}, session=uow.session)
    if found is None:
        raise NotFound(f"no registration {request_id!r} on this node", "request_id")
    if found["status"] == PENDING:
        raise DomainError("the organiser has not decided it yet", "request_id")
    message = RegistrationChanged(
        id=request_id, event_id=found["event_id"], occurrence=found["occurrence"], change=what
    )
    if found["owner"] == desk.node:
        await change(uow, desk, message, desk.node)
    else:
        uow.send(found["owner"], message)
    return found
