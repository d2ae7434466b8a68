"""What a place at an event costs: ticket types, and the Declaration's partner discount.

Bucharest Declaration, §1: "apply discounts on registration fees for events to the
respective members when registering for our events". The owner node alone applies it,
after checking the registrant's organisation against its own replicas of the partner
networks' members (cross-membership); the rules here are pure and shared by the event
model (what the owner publishes) and the registration rules (what it decides).

Amounts are integer minor units (cents) with an ISO 4217 currency, never floats.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Cents = Annotated[int, Field(strict=True, ge=0, le=10_000_000_00)]
TicketCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]


class PartnerDiscount(StrEnum):
    """How members of partner networks are treated."""

    NONE = "none"  # everyone pays the base fee
    PERCENT = "percent"  # ``discount_percent`` off the base fee
    FREE = "free"  # free for members of partner networks


class TicketType(BaseModel):
    """One kind of place (e.g. ``standard``, ``student``), with its base fee."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: TicketCode
    name: Annotated[str, Field(min_length=1, max_length=120)]
    fee: Cents = 0


class FeeRules(BaseModel):
    """The fees of one event. No ticket types: the event is free for everyone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    tickets: Annotated[list[TicketType], Field(max_length=20)] = []
    partner_discount: PartnerDiscount = PartnerDiscount.NONE
    discount_percent: Annotated[int, Field(strict=True, ge=0, le=100)] = 0
    # members of the owner's own network are treated like partner members when set
    own_members_discounted: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> FeeRules:
        codes = [ticket.code for ticket in self.tickets]
        if len(codes) != len(set(codes)):
            raise ValueError("each ticket type needs its own code")
        if self.partner_discount is PartnerDiscount.PERCENT and not self.discount_percent:
            raise ValueError("a percent discount needs discount_percent between 1 and 100")
        return self

    def ticket(self, code: str | None) -> TicketType | None:
        """The ticket type asked for (the first when none is named); None if unknown."""
        if not self.tickets:
            return None
        if code is None:
            return self.tickets[0]
        return next((ticket for ticket in self.tickets if ticket.code == code), None)
