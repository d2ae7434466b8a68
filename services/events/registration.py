"""Registration rules: how the owner node decides every registration for its events.

The owner node alone decides (issue 9): requests from any node reach it over the bus in
arrival order, and it answers confirmed, waitlisted or refused, then offers freed seats to
the waiting list. These rules are pure functions over frozen, serialisable state: no I/O,
no clock (``now`` is a parameter), so a handler only loads a ``SeatBook``, calls one rule,
saves the new book and sends the ``Decision``s. Each decision carries its ``Outcome`` (and
a ``Refusal`` code) for the metrics, and a ``reason`` a person can read on their node.

Policies (docs/events-registration.md):

- one ``SeatBook`` per occurrence (each date of a series, or the single event's one date);
  ``capacity`` None means unlimited; confirmed + offered seats never exceed the capacity;
- a party (group registration) is all or nothing;
- the waiting list is kept in arrival order; freed seats are offered to the *earliest
  waiting request that fits* (as pretix skips what it cannot serve): a group that does
  not fit keeps its place and is asked first whenever seats free again, but does not
  block later smaller ones;
- lowering the capacity below the seats confirmed or held by offers is refused.

Errors a caller can cause are ``shared.errors`` classes naming the field: ``NotFound``
(no registration with that request id) and ``DomainError`` (wrong state, capacity too low).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.events.domain import (
    EventStatus,
)  # one status vocabulary; only published takes registrations
from services.events.fees import Cents, FeeRules, PartnerDiscount, TicketCode, TicketType
from shared.errors import DomainError, NotFound

__all__ = [
    "Decided",
    "Decision",
    "EventCancelled",
    "EventStatus",
    "EventTerms",
    "Membership",
    "Outcome",
    "Quote",
    "Refusal",
    "Registrant",
    "Registration",
    "RegistrationRequest",
    "SeatBook",
    "accept_offer",
    "cancel",
    "cancel_event",
    "change_capacity",
    "decline_offer",
    "expire_offers",
    "leave_waiting_list",
    "quote",
    "register",
]

MAX_PARTY = 100  # one request for more people than this is a contract, not a registration
MAX_CAPACITY = 1_000_000
Id = Annotated[str, Field(min_length=1, max_length=128)]
Capacity = Annotated[int, Field(strict=True, ge=0, le=MAX_CAPACITY)]


class Outcome(StrEnum):
    """What a decision tells the registrant; a registration's status is one of these too."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    REFUSED = "refused"  # never stored: a refused request leaves the book as it was
    CANCELLED = "cancelled"
    DECLINED = "declined"
    EXPIRED = "expired"
    LEFT = "left"  # left the waiting list


LIVE = (Outcome.CONFIRMED, Outcome.OFFERED, Outcome.WAITLISTED)  # holding or awaiting seats


class Refusal(StrEnum):
    """Why a request was refused, as a label for metrics and translations."""

    NOT_PUBLISHED = "not_published"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    UNKNOWN_OCCURRENCE = "unknown_occurrence"
    UNKNOWN_TICKET = "unknown_ticket"
    DUPLICATE = "duplicate"
    PARTY_TOO_LARGE = "party_too_large"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Registrant(_Frozen):
    """A person, as the owner sees them: an opaque id on their own node."""

    node: Id
    id: Id


class Membership(_Frozen):
    """The member organisation the owner node found for the registrant in its replicas."""

    network: Id  # the node (network) whose member list holds the organisation
    organization_id: Id
    organization_name: Annotated[str, Field(min_length=1, max_length=200)]


class EventTerms(_Frozen):
    """What the rules need to know of an event (the event model owns the rest)."""

    event_id: Id
    owner_network: Id
    status: EventStatus
    occurrences: frozenset[str]  # the occurrence keys (ISO dates) open to registration
    registration_opens: AwareDatetime | None = None
    registration_closes: AwareDatetime | None = None
    fees: FeeRules = FeeRules()


class RegistrationRequest(_Frozen):
    """One request for one occurrence, for ``party`` people, all or nothing."""

    id: Id  # chosen by the registrant's node; the same id again is the same request
    event_id: Id
    occurrence: str
    registrant: Registrant
    party: Annotated[int, Field(strict=True, ge=1, le=MAX_PARTY)] = 1
    ticket: TicketCode | None = None  # None: the event's first ticket type
    organization: Annotated[str, Field(max_length=200)] | None = None  # as the registrant gave it
    membership: Membership | None = None  # what the owner node found, if anything


class Quote(_Frozen):
    """What the request costs, and why (which membership gave a discount, or why none)."""

    currency: str
    ticket: TicketCode | None  # None: a free event without ticket types
    unit_fee: Cents
    party: int
    base: Cents  # unit fee times party
    discount: Cents
    total: Cents
    membership_network: str | None  # the network whose membership earned the discount
    reason: str


class Registration(_Frozen):
    """A request the book holds, with where it stands."""

    request_id: Id
    registrant: Registrant
    party: int
    quote: Quote
    status: Outcome
    arrived: AwareDatetime  # when the owner decided it first; the book's order is arrival
    offer_expires: AwareDatetime | None = None
    reason: str


class SeatBook(_Frozen):
    """The seats of one occurrence: its capacity, and every request kept, in arrival order."""

    event_id: Id
    occurrence: str
    capacity: Capacity | None  # None: unlimited
    hold: timedelta = timedelta(hours=48)  # how long an offer is held
    registrations: tuple[Registration, ...] = ()

    def seats(self, *statuses: Outcome) -> int:
        """Seats taken by registrations in these states."""
        return sum(r.party for r in self.registrations if r.status in statuses)

    def free(self) -> int | None:
        """Seats neither confirmed nor held by an offer; None when unlimited."""
        if self.capacity is None:
            return None
        return self.capacity - self.seats(Outcome.CONFIRMED, Outcome.OFFERED)

    def waiting(self) -> tuple[Registration, ...]:
        """The waiting list, first in line first."""
        return tuple(r for r in self.registrations if r.status is Outcome.WAITLISTED)

    def find(self, request_id: str) -> Registration:
        """The registration of that request, or NotFound naming ``request_id``."""
        for registration in self.registrations:
            if registration.request_id == request_id:
                return registration
        raise NotFound(f"no registration {request_id!r} for this date", "request_id")


class Decision(_Frozen):
    """What the owner tells one registrant's node."""

    request_id: str
    registrant: Registrant
    event_id: str
    occurrence: str
    outcome: Outcome
    reason: str  # e.g. "waitlisted: position 3", "refused: registration closed on 2026-12-01"
    refusal: Refusal | None = None
    position: int | None = None  # on the waiting list
    quote: Quote | None = None
    offer_expires: AwareDatetime | None = None


class Decided(_Frozen):
    """A rule's result: the new book, and every decision it made, in order."""

    book: SeatBook
    decisions: tuple[Decision, ...] = ()


class EventCancelled(_Frozen):
    """An event cancelled by its owner: the books, the decisions, and whom to notify."""

    books: tuple[SeatBook, ...]
    decisions: tuple[Decision, ...]
    notify: dict[str, tuple[Registrant, ...]]  # registrants by their node


# --- reading --------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    """A moment as people read it: the date alone at midnight, else date, time and zone."""
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.date().isoformat()
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"


def _places(party: int) -> str:
    return "1 place" if party == 1 else f"{party} places"


def _money(cents: int, currency: str) -> str:
    return f"{cents // 100}.{cents % 100:02d} {currency}"


# --- fees -----------------------------------------------------------------------------


def _discount_percent(request: RegistrationRequest, terms: EventTerms) -> tuple[int, str]:
    """The member discount the request earns (0 to 100) and why, in words."""
    fees, member = terms.fees, request.membership
    if member is None:
        given = request.organization
        why = f"no member organisation found for {given!r}" if given else "no organisation given"
        return 0, f"{why}: base fee"
    who = f"{member.organization_name} is a member of {member.network}"
    if fees.partner_discount is PartnerDiscount.NONE:
        return 0, f"{who}, but this event has no member discount: base fee"
    if member.network == terms.owner_network and not fees.own_members_discounted:
        return 0, f"{who}, the organiser's own network, whose members pay the base fee"
    if fees.partner_discount is PartnerDiscount.FREE:
        return 100, f"free for members of partner networks: {who}"
    return fees.discount_percent, f"{fees.discount_percent}% member discount: {who}"


def quote(request: RegistrationRequest, terms: EventTerms) -> Quote | None:
    """What the request costs (base fee times party, less the member discount); None when the
    request names a ticket type the event does not have."""
    fees = terms.fees
    ticket: TicketType | None = fees.ticket(request.ticket)
    if ticket is None and (fees.tickets or request.ticket is not None):
        return None
    unit = ticket.fee if ticket else 0
    base = unit * request.party
    percent, reason = _discount_percent(request, terms)
    if base == 0:
        percent, reason = 0, "no fee for this ticket" if ticket else "free event"
    discount = (base * percent + 50) // 100  # half a cent rounds in the registrant's favour
    used = request.membership.network if percent and request.membership else None
    total = base - discount
    return Quote(
        currency=fees.currency,
        ticket=ticket.code if ticket else None,
        unit_fee=unit,
        party=request.party,
        base=base,
        discount=discount,
        total=total,
        membership_network=used,
        reason=f"{_money(total, fees.currency)}: {reason}",
    )


# --- deciding a request ---------------------------------------------------------------


def _closed_reason(terms: EventTerms, now: datetime) -> tuple[Refusal, str] | None:
    """Why the event takes no registration now, if it does not."""
    if terms.status is EventStatus.CANCELLED:
        return Refusal.CANCELLED, "the event is cancelled"
    if terms.status is EventStatus.POSTPONED:
        return Refusal.POSTPONED, "the event is postponed; registration reopens with its new date"
    if terms.status is not EventStatus.PUBLISHED:
        return Refusal.NOT_PUBLISHED, "the event is not published"
    opens, closes = terms.registration_opens, terms.registration_closes
    if opens is not None and now < opens:
        return Refusal.NOT_OPEN, f"registration opens on {_when(opens)}"
    if closes is not None and now >= closes:
        return Refusal.CLOSED, f"registration closed on {_when(closes)}"
    return None


def _admit(
    book: SeatBook, request: RegistrationRequest, terms: EventTerms, now: datetime
) -> Quote | tuple[Refusal, str]:
    """The request's quote when no rule forbids it; else the first rule it breaks, in the
    order a person would ask about them."""
    closed = _closed_reason(terms, now)
    if closed:
        return closed
    if request.occurrence not in terms.occurrences:
        return Refusal.UNKNOWN_OCCURRENCE, f"the event has no date {request.occurrence!r}"
    fee = quote(request, terms)
    if fee is None:
        return Refusal.UNKNOWN_TICKET, f"the event has no ticket type {request.ticket!r}"
    if book.capacity is not None and request.party > book.capacity:
        seats = f"{book.capacity} seats in all"
        return Refusal.PARTY_TOO_LARGE, f"a party of {request.party} is more than its {seats}"
    held = [r for r in book.registrations if r.registrant == request.registrant]
    live = next((r for r in held if r.status in LIVE), None)
    if live:
        return Refusal.DUPLICATE, f"already registered for this date ({live.status.value})"
    return fee


def _decision(book: SeatBook, registration: Registration) -> Decision:
    """What the registrant is told about where their registration stands now."""
    position, reason = None, registration.reason
    if registration.status is Outcome.WAITLISTED:  # the position moves as others leave
        ids = [r.request_id for r in book.waiting()]
        position = ids.index(registration.request_id) + 1
        reason = f"waitlisted: position {position}"
    return Decision(
        request_id=registration.request_id,
        registrant=registration.registrant,
        event_id=book.event_id,
        occurrence=book.occurrence,
        outcome=registration.status,
        reason=reason,
        position=position,
        quote=registration.quote,
        offer_expires=registration.offer_expires,
    )


def _refused(request: RegistrationRequest, refusal: Refusal, why: str) -> Decision:
    return Decision(
        request_id=request.id,
        registrant=request.registrant,
        event_id=request.event_id,
        occurrence=request.occurrence,
        outcome=Outcome.REFUSED,
        reason=f"refused: {why}",
        refusal=refusal,
    )


def _fits(book: SeatBook, party: int) -> bool:
    """Whether the whole party fits the free seats (a party is all or nothing)."""
    free = book.free()
    return free is None or party <= free


def register(
    book: SeatBook, request: RegistrationRequest, terms: EventTerms, now: datetime
) -> Decided:
    """Decide a request in arrival order: confirmed if its whole party fits the free seats,
    else waitlisted; refused, with the reason, when a rule forbids it.

    ``book`` is the book of the request's occurrence (a new empty one for its first
    request; any empty one when the event has no such date: the request is refused and
    nothing changes). A request id the book already holds (a redelivery) is answered as
    it stands, changing nothing. Every waiting request that fits was offered its seats by
    the rule that freed them, so seats still free fit no one waiting: a newcomer may take
    them (the earliest-that-fits policy)."""
    mismatch = request.occurrence in terms.occurrences and request.occurrence != book.occurrence
    if {request.event_id, terms.event_id} != {book.event_id} or mismatch:
        raise ValueError("register needs the book of the request's own event and date")
    known = next((r for r in book.registrations if r.request_id == request.id), None)
    if known:
        return Decided(book=book, decisions=(_decision(book, known),))
    fee = _admit(book, request, terms, now)
    if not isinstance(fee, Quote):
        return Decided(book=book, decisions=(_refused(request, *fee),))
    confirmed = _fits(book, request.party)
    registration = Registration(
        request_id=request.id,
        registrant=request.registrant,
        party=request.party,
        quote=fee,
        status=Outcome.CONFIRMED if confirmed else Outcome.WAITLISTED,
        arrived=now,
        reason=f"confirmed: {_places(request.party)}" if confirmed else "waitlisted",
    )
    book = book.model_copy(update={"registrations": (*book.registrations, registration)})
    return Decided(book=book, decisions=(_decision(book, registration),))


# --- changing a registration ----------------------------------------------------------


def _replace(
    book: SeatBook,
    registration: Registration,
    status: Outcome,
    reason: str,
    expires: datetime | None = None,
) -> tuple[SeatBook, Decision]:
    """The book with the registration put in ``status``, and the decision telling it."""
    changed = registration.model_copy(
        update={"status": status, "reason": reason, "offer_expires": expires}
    )
    registrations = tuple(
        changed if r.request_id == registration.request_id else r for r in book.registrations
    )
    book = book.model_copy(update={"registrations": registrations})
    return book, _decision(book, changed)


def _offer_freed_seats(book: SeatBook, now: datetime) -> tuple[SeatBook, list[Decision]]:
    """Offer free seats to each waiting request that fits, earliest first, until none
    fits; a group that does not fit keeps its place and is asked first next time."""
    decisions: list[Decision] = []
    expires = now + book.hold
    for waiting in book.waiting():
        if _fits(book, waiting.party):
            reason = f"offered: {_places(waiting.party)} held for you until {_when(expires)}"
            book, decision = _replace(book, waiting, Outcome.OFFERED, reason, expires)
            decisions.append(decision)
    return book, decisions


def _set(
    book: SeatBook, registration: Registration, status: Outcome, reason: str, now: datetime
) -> Decided:
    """Put the registration in ``status``, then offer the seats that freed."""
    book, decision = _replace(book, registration, status, reason)
    book, offers = _offer_freed_seats(book, now)
    return Decided(book=book, decisions=(decision, *offers))


def _in_state(book: SeatBook, request_id: str, allowed: Iterable[Outcome]) -> Registration:
    """The registration, if it is in one of the ``allowed`` states; else a clear error."""
    registration = book.find(request_id)
    allowed = tuple(allowed)
    if registration.status not in allowed:
        wanted = " or ".join(status.value for status in allowed)
        raise DomainError(
            f"registration {request_id!r} is {registration.status.value}, not {wanted}",
            "request_id",
        )
    return registration


def accept_offer(book: SeatBook, request_id: str, now: datetime) -> Decided:
    """The registrant takes the seats offered: confirmed, if the offer still holds."""
    registration = _in_state(book, request_id, [Outcome.OFFERED])
    expires = registration.offer_expires
    if expires is not None and now >= expires:
        raise DomainError(f"the offer expired on {_when(expires)}", "request_id")
    reason = f"confirmed: {_places(registration.party)} (offer accepted)"
    return _set(book, registration, Outcome.CONFIRMED, reason, now)


def decline_offer(book: SeatBook, request_id: str, now: datetime) -> Decided:
    """The registrant declines the offer: its seats go to the next in line."""
    registration = _in_state(book, request_id, [Outcome.OFFERED])
    return _set(book, registration, Outcome.DECLINED, "declined: offer declined", now)


def leave_waiting_list(book: SeatBook, request_id: str, now: datetime) -> Decided:
    """The registrant leaves the waiting list (they hold no seat, so nothing frees)."""
    registration = _in_state(book, request_id, [Outcome.WAITLISTED])
    return _set(book, registration, Outcome.LEFT, "left the waiting list", now)


def cancel(book: SeatBook, request_id: str, now: datetime, by_owner: bool = False) -> Decided:
    """Cancel a confirmed, offered or waiting registration; its seats go to the waiting
    list."""
    registration = _in_state(book, request_id, LIVE)
    who = "the organiser" if by_owner else "the registrant"
    return _set(book, registration, Outcome.CANCELLED, f"cancelled by {who}", now)


def expire_offers(book: SeatBook, now: datetime) -> Decided:
    """Offers not accepted by their time lapse; their seats go to the next in line."""
    decisions: list[Decision] = []
    for registration in book.registrations:
        expires = registration.offer_expires
        if registration.status is Outcome.OFFERED and expires is not None and expires <= now:
            reason = f"expired: the offer held until {_when(expires)} was not accepted"
            book, decision = _replace(book, registration, Outcome.EXPIRED, reason)
            decisions.append(decision)
    book, offers = _offer_freed_seats(book, now)
    return Decided(book=book, decisions=(*decisions, *offers))


def change_capacity(book: SeatBook, capacity: int | None, now: datetime) -> Decided:
    """Set the occurrence's capacity (None: unlimited); seats it frees are offered.

    Lowering it below the seats confirmed or held by offers is refused: taking a seat
    back is the organiser's decision per registration (``cancel(..., by_owner=True)``)."""
    taken = book.seats(Outcome.CONFIRMED, Outcome.OFFERED)
    if capacity is not None and (capacity < 0 or capacity > MAX_CAPACITY):
        raise DomainError(f"must be between 0 and {MAX_CAPACITY}, or none", "capacity")
    if capacity is not None and capacity < taken:
        confirmed, offered = book.seats(Outcome.CONFIRMED), book.seats(Outcome.OFFERED)
        raise DomainError(
            f"{capacity} is below the {confirmed} seats confirmed and {offered} offered",
            "capacity",
        )
    book, offers = _offer_freed_seats(book.model_copy(update={"capacity": capacity}), now)
    return Decided(book=book, decisions=tuple(offers))


def cancel_event(books: Sequence[SeatBook]) -> EventCancelled:
    """The owner cancels the event: every live registration of every date is cancelled,
    and each registrant's node is told (``notify``, registrants grouped by node)."""
    reason = "cancelled: the organiser cancelled the event"
    new_books: list[SeatBook] = []
    decisions: list[Decision] = []
    for book in books:
        for registration in book.registrations:
            if registration.status in LIVE:
                book, decision = _replace(book, registration, Outcome.CANCELLED, reason)
                decisions.append(decision)
        new_books.append(book)
    notify: dict[str, tuple[Registrant, ...]] = {}
    for decision in decisions:
        people = notify.get(decision.registrant.node, ())
        if decision.registrant not in people:
            notify[decision.registrant.node] = (*people, decision.registrant)
    return EventCancelled(books=tuple(new_books), decisions=tuple(decisions), notify=notify)
