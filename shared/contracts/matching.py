"""Wire contracts of the matching service: what it sends between nodes.

Partner search publishes no events of its own: it projects the membership service's
(``shared.contracts.membership``). What travels is an *expression of interest* (the
Enterprise Europe Network's practice: a member asks its network to be introduced to an
organisation another network holds) and the answer of that network's staff. Both are
direct messages (``shared.direct``) between the sender's node and the node of the other
organisation's network only. They never carry the member's name or e-mail: those stay
on the sender's node, and the introduction goes through the sender network's staff.
"""

from __future__ import annotations

from enum import StrEnum

from shared.contracts.base import Contract, Event
from shared.contracts.direct import DirectCatalogue

SERVICE = "matching"


class Organisation(Contract):
    """An organisation as an expression of interest names it (public fields only)."""

    id: str
    network: str
    legal_name: str
    country: str
    city: str | None = None


class NaceCode(Contract):
    code: str
    title: str


class MatchReason(Contract):
    """One reason of the match the member saw, so the receiving staff judge it too."""

    kind: str
    points: float
    text: str  # in English; pages write their own from the fields
    seeker_text: str | None = None
    partner_text: str | None = None
    similarity: float | None = None
    codes: list[NaceCode] = []  # shared NACE codes, with their titles
    values: list[str] = []  # countries, cooperation types, technologies, languages, sizes


class InterestExpressed(Event):
    """A member of the sender's network wants to be introduced to one of the target
    network's organisations (``id`` is the expression's)."""

    sender: Organisation  # the member organisation, one of the sender network's
    partner: Organisation  # the target network's organisation it wants to meet
    message: str
    score: float | None = None
    reasons: list[MatchReason] = []  # every reason: their points add up to the score
    expressed_at: str  # RFC 3339, UTC


class InterestOutcome(StrEnum):
    INTRODUCE = "introduce"  # the target's staff will make the introduction
    DECLINE = "decline"  # they will not (the note says why)
    REFUSED = "refused"  # the target node could not take it (no such organisation there)


class InterestAnswered(Event):
    """The target network's answer to an expression of interest (``id`` is its id)."""

    outcome: InterestOutcome
    note: str = ""
    answered_at: str  # RFC 3339, UTC


KINDS: dict[type[Event], str] = {
    InterestExpressed: "interest-expressed",
    InterestAnswered: "interest-answered",
}


def direct_catalogue() -> DirectCatalogue:
    """The matching service's direct messages (built when the service is declared)."""
    return DirectCatalogue(SERVICE, KINDS)
