"""Direct messages of the events service's requests to an owner node: inquiries and
applications to speak.

A person asks the owner's staff about an event, or applies to speak at it, from their own
node; the request and the owner's answer travel as direct messages (``shared.direct``)
between the person's node and the event's owner node only, never on the alliance's
streams: they carry personal data (name, e-mail, organisation, bio). ``DIRECT`` is this
part of the events service's direct catalogue (``services/events/app.py`` joins it with
the others').
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


class ApplicationOutcome(StrEnum):
    ACCEPTED = "accepted"  # the owner's staff accepted the talk
    REJECTED = "rejected"  # the owner's staff declined it
    REFUSED = "refused"  # the owner node could not take it (no open call, too late, twice)


class SpeakerApplied(Event):
    """A person of the sender's network applied to speak at one of the target's events."""

    event_id: str
    applicant: Person
    title: str
    abstract: str
    bio: str
    language: str  # of the talk
    answers: list[str] = []  # one per question of the call, in its order
    applied_at: str  # RFC 3339, UTC: the call's deadline is judged by it


class ApplicationDecided(Event):
    """The owner node's decision on an application (``id`` is the application's)."""

    event_id: str
    outcome: ApplicationOutcome
    message: str
    decided_at: str  # RFC 3339, UTC


class InvitationKind(StrEnum):
    PROMOTE = "promote"  # invited to promote the event to the partner's members
    CO_ORGANISE = "co-organise"  # proposed as a co-organiser of the event


class PartnerInvited(Event):
    """The owner node invites the target network to promote or co-organise its event."""

    event_id: str
    kind: InvitationKind
    message: str = ""
    sent_at: str  # RFC 3339, UTC


class InvitationAnswered(Event):
    """The invited network's answer (``id`` is the invitation's), given by its staff."""

    event_id: str
    kind: InvitationKind
    accepted: bool
    answered_at: str  # RFC 3339, UTC


class PersonErased(Event):
    """The sender's node erased a person (GDPR) who made these requests to the target's
    events: the target erases its copies too (``requests``: the ids of the inquiries,
    applications and registrations the sender handed over; ``id`` is the message's own)."""

    requests: list[str]
    erased_at: str  # RFC 3339, UTC


DIRECT: dict[type[Event], str] = {
    InquiryAsked: "inquiry-asked",
    InquiryAnswered: "inquiry-answered",
    SpeakerApplied: "speaker-applied",
    ApplicationDecided: "application-decided",
    PartnerInvited: "partner-invited",
    InvitationAnswered: "invitation-answered",
    PersonErased: "person-erased",
}
