"""A person erased (GDPR) from the events service, here and at the owners of their events.

A person's inquiries, speaker applications and registrations are kept on their node
(``*_sent``, ``my_registrations``) and, once handed over, at the owner node of the event
(``*_received``, ``attendees``). Erasing them here (``shared/erasure.py``) tells each
owner node, by one direct message ``PersonErased`` in the same transaction, which of the
requests it received from this node name the person, and the owner erases its copies
the same way: the records stay, the name and e-mail become ``erased``. The message names
request ids only, never the person; an owner erases only what this sender handed it.
"""

from __future__ import annotations

from collections import defaultdict

from services.events import inquiries, registrations_store, speakers
from services.events.personal import now
from services.events.store import EventsUnitOfWork
from shared.contracts.base import Event as Message
from shared.contracts.events_requests import PersonErased
from shared.direct import DirectDelivery
from shared.erasure import erasing
from shared.ids import new_id
from shared.service import ServiceKit

Kit = ServiceKit[EventsUnitOfWork]

# where each kind of request keeps the person, on both sides, and the field naming the
# owner node on the sender's record
KINDS = (
    (inquiries.ASKERS_SENT, inquiries.ASKERS_RECEIVED, "event_origin"),
    (speakers.APPLICANTS_SENT, speakers.APPLICANTS_RECEIVED, "event_origin"),
    (registrations_store.REGISTRANTS_SENT, registrations_store.REGISTRANTS_RECEIVED, "owner"),
)
erase_here = erasing(*(records for sent, received, _ in KINDS for records in (sent, received)))


async def tell_owners(kit: Kit, email: str, uow: EventsUnitOfWork) -> dict[str, list[str]]:
    """One ``PersonErased`` to each other node that received a request of the person's
    (sent before the records lose the e-mail, so it runs first); returns the nodes told."""
    handed: defaultdict[str, list[str]] = defaultdict(list)
    for sent, _, owner in KINDS:
        for record in await sent.holding(uow, email, owner):
            if record.get(owner) and record[owner] != kit.identity.node:
                handed[record[owner]].append(record["_id"])
    for node, ids in sorted(handed.items()):
        message = PersonErased(id=new_id(kit.identity.node), requests=ids, erased_at=now())
        uow.send(node, message)
    return {"owners_told": sorted(handed)}


async def on_person_erased(
    kit: Kit, message: Message, delivery: DirectDelivery, uow: EventsUnitOfWork
) -> None:
    """Owner side: erase the person from the copies of the requests this sender handed
    over (an id another node sent is not the sender's to erase)."""
    assert isinstance(message, PersonErased)
    sender, ids = delivery.sender, message.requests
    await inquiries.ASKERS_RECEIVED.replace(uow, {"_id": {"$in": ids}, "sender": sender})
    await speakers.APPLICANTS_RECEIVED.replace(uow, {"_id": {"$in": ids}, "sender": sender})
    attendees = [f"{sender}:{request}" for request in ids]  # registrations_store.attend
    await registrations_store.REGISTRANTS_RECEIVED.replace(uow, {"_id": {"$in": attendees}})
