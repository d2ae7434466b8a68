"""Direct messages of the events service's requests to an owner node: inquiries.

A person asks the owner's staff about an event from their own node; the question and
its answer travel as direct messages (``shared.direct``) between the asker's node and the
event's owner node only, never on the alliance's streams: they carry personal data
(name, e-mail, organisation). ``DIRECT`` is this feature's part of the events service's
direct catalogue (``services/events/app.py`` joins it with the others').
"""

from __future__ import annotations

from enum import StrEnum

from shared.contracts.base import Contract, Event


class InquiryOutcome(StrEnum):
    ANSWERED = "answered"  # the owner's staff answered
    REFUSED = "refused"  # the owner node could not take it (no such event there)


class Person(Contract):
    """Who asks: only the asker's node and the owner node ever hold it."""

    name: str
    email: str
    organisation: str = ""


class InquiryAsked(Event):
    """A person of the sender's network asked about one of the target node's events."""

    event_id: str
    asker: Person
    question: str
    asked_at: str  # RFC 3339, UTC


class InquiryAnswered(Event):
    """The owner node's answer to an inquiry (``id`` is the inquiry's)."""

    event_id: str
    outcome: InquiryOutcome
    answer: str
    answered_at: str  # RFC 3339, UTC


DIRECT: dict[type[Event], str] = {
    InquiryAsked: "inquiry-asked",
    InquiryAnswered: "inquiry-answered",
}
