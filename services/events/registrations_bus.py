"""Bus in and periodic work of registration: the events service's direct handlers, its
subscription to its own cancelled events, and the owner's expiry of lapsed offers.

Each handler is a few lines around ``services/events/registrations.py``: the kit calls
it once per message, in inbox arrival order, inside a unit of work that may send.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pymongo.errors import PyMongoError

from services.events import inquiries, invitations, speakers
from services.events.personal import SentBox, refuse_sent
from services.events.registrations import (
    UNCHANGED,
    apply_decision,
    apply_refusal,
    cancel_all,
    capacity_changed,
    change,
    decide,
    desk_of,
    expire_all,
)
from services.events.store import EventsUnitOfWork
from shared.contracts import events as events_contract
from shared.contracts.base import Event as ContractEvent
from shared.contracts.direct import MessageRefused
from shared.contracts.events_register import (
    RegistrationChanged,
    RegistrationDecided,
    RegistrationRequested,
    SeatOffered,
)
from shared.direct import DirectDelivery, DirectHandler
from shared.errors import DomainError
from shared.service import Delivery, Subscription

log = logging.getLogger(__name__)
EXPIRY_SECONDS = 60.0  # how often the owner looks for lapsed offers
# the requests this node sends that wait for an answer: a refusal marks them refused
SENT_REQUESTS = (
    SentBox(inquiries.SENT, "event_origin", inquiries.WAITING),
    SentBox(speakers.SENT, "event_origin", speakers.PENDING),
    SentBox(invitations.SENT, "partner", invitations.PENDING),
)


async def on_registration_requested(
    kit: Any, message: ContractEvent, delivery: DirectDelivery, uow: EventsUnitOfWork
) -> None:
    """Owner: decide a partner node's request, in inbox arrival order."""
    assert isinstance(message, RegistrationRequested)
    await decide(uow, desk_of(kit), message, delivery.sender)


async def on_registration_changed(
    kit: Any, message: ContractEvent, delivery: DirectDelivery, uow: EventsUnitOfWork
) -> None:
    """Owner: a registrant's change; one it cannot make is answered, never dropped."""
    assert isinstance(message, RegistrationChanged)
    desk = desk_of(kit)
    try:
        await change(uow, desk, message, delivery.sender)
    except DomainError as exc:
        uow.send(delivery.sender, _unchanged(message, exc.reason))


def _unchanged(message: RegistrationChanged, why: str) -> RegistrationDecided:
    """The answer to a change the owner could not make: the registration stands."""
    return RegistrationDecided(
        id=message.id,
        event_id=message.event_id,
        occurrence=message.occurrence,
        outcome=UNCHANGED,
        reason=f"{message.change.value} refused: {why}",
    )


async def on_registration_decided(
    kit: Any, message: ContractEvent, delivery: DirectDelivery, uow: EventsUnitOfWork
) -> None:
    """Registrant's node: show the owner's decision."""
    assert isinstance(message, RegistrationDecided)
    await apply_decision(uow, desk_of(kit), message, delivery.sender)


async def on_message_refused(
    kit: Any, message: ContractEvent, delivery: DirectDelivery, uow: EventsUnitOfWork
) -> None:
    """Registrant's node: the owner refused our message unread (malformed): the pending
    request it was about shows "refused: <reason>" (personal requests likewise)."""
    assert isinstance(message, MessageRefused)
    if not await apply_refusal(uow, message, delivery.sender):
        await refuse_sent(uow, message, delivery.sender, SENT_REQUESTS)


async def on_own_event_cancelled(
    kit: Any, event: ContractEvent, delivery: Delivery, uow: EventsUnitOfWork
) -> None:
    """Owner: its event was cancelled: every registrant's node is told."""
    await cancel_all(uow, desk_of(kit), event.id)


async def on_own_event_revised(
    kit: Any, event: ContractEvent, delivery: Delivery, uow: EventsUnitOfWork
) -> None:
    """Owner: a raised capacity offers the freed seats to the waiting list."""
    await capacity_changed(uow, desk_of(kit), event.id)


async def expire_offers_every_minute(kit: Any) -> None:
    """Owner: offers not accepted in time go to the next in line (each expiry counted),
    even when no other request touches that date."""
    desk = desk_of(kit)
    while True:
        await asyncio.sleep(EXPIRY_SECONDS)
        try:
            await kit.transaction(lambda uow: expire_all(uow, desk))
        except PyMongoError as exc:  # the store is away: the next round tries again
            log.warning("lapsed offers wait for the store: %s", exc)


DIRECT_HANDLERS: dict[type[ContractEvent], DirectHandler] = {
    RegistrationRequested: on_registration_requested,
    RegistrationChanged: on_registration_changed,
    RegistrationDecided: on_registration_decided,
    SeatOffered: on_registration_decided,
}
SUBSCRIPTIONS = (
    Subscription(
        "registrations-cancelled",
        events_contract.CATALOGUE,
        (events_contract.EventCancelled,),
        on_own_event_cancelled,
    ),
    Subscription(
        "registrations-revised",
        events_contract.CATALOGUE,
        (events_contract.EventRevised,),
        on_own_event_revised,
    ),
)
