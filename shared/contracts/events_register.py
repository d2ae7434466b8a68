"""Direct messages of registration: the registrant's node and the event's owner node.

A registration is personal data (a name, an email): it travels only as a direct message
(``shared.direct``), from the registrant's node to the owner node and back, and is stored
nowhere else (never on the ``alliance`` or local event channels, never on the hub).

- ``RegistrationRequested``: a person of the sender's network asks for seats;
- ``RegistrationChanged``: the registrant cancels, leaves the waiting list, accepts or
  declines an offer (the owner applies the rule of ``services/events/registration.py``);
- ``RegistrationDecided``: the owner's decision about one request (confirmed,
  waitlisted with its position, offered with its expiry, refused with the reason,
  cancelled ...), with the quote and the network whose membership earned a discount;
- ``SeatOffered``: a decision offering freed seats, held until ``offer_expires``.

The message ``id`` is the request id chosen by the registrant's node (one request, many
messages: each envelope has its own id, which the inbox handles once).
"""

from __future__ import annotations

from enum import StrEnum

from shared.contracts.base import Event


class RegistrationRequested(Event):
    """A person of the sender's network asks the owner node for seats at its event."""

    event_id: str
    occurrence: str  # ISO date of the event's date (each date of a series has its own seats)
    party: int = 1
    ticket: str | None = None
    registrant: str  # an opaque id of the person on the sender's node
    organization_id: str | None = None  # their organisation, as a member of the sender
    organization_name: str | None = None
    contact_name: str
    contact_email: str


class Change(StrEnum):
    """What a registrant may do to their registration, through their own node."""

    CANCEL = "cancel"
    LEAVE = "leave"  # the waiting list
    ACCEPT = "accept"  # an offer
    DECLINE = "decline"


class RegistrationChanged(Event):
    """The registrant changes their registration; the owner decides what follows."""

    event_id: str
    occurrence: str
    change: Change


class RegistrationDecided(Event):
    """The owner's decision about one request, as the registrant's node shows it."""

    event_id: str
    occurrence: str
    outcome: str  # services/events/registration.py ``Outcome``
    reason: str  # "waitlisted: position 3", "refused: registration closed on ..."
    position: int | None = None
    offer_expires: str | None = None  # RFC 3339
    currency: str | None = None
    total: int | None = None  # cents
    discount: int | None = None
    fee_reason: str | None = None
    membership_network: str | None = None


class SeatOffered(RegistrationDecided):
    """A seat freed (a cancellation, more capacity): it is held for the registrant until
    ``offer_expires``; they accept or decline through their node."""


# message class -> direct kind: the events service's DirectCatalogue includes this table
KINDS: dict[type[Event], str] = {
    RegistrationRequested: "registration-requested",
    RegistrationChanged: "registration-changed",
    RegistrationDecided: "registration-decided",
    SeatOffered: "seat-offered",
}
