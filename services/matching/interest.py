"""Expressions of interest: a member asks its network to be introduced to a partner.

The Enterprise Europe Network's practice: the networks make the introduction, so search
never shows a contact. A member of this node (one of its organisations; the person's
name and e-mail; a message) expresses interest in a result. The record stays here
(``interests_sent``, read back with a secret key given once, and listed in this node's
console) and an ``InterestExpressed`` travels as a direct message to the node of the
partner's network, where it waits in the staff's console (``interests_received``) with
the two organisations, the message and the match's reasons, never the person's name or
e-mail: those stay on this node, whose staff make the introduction. The partner's staff
answer (will introduce, or decline with a note) and ``InterestAnswered`` travels back.
Between two organisations of this node nothing travels: both records are written in one
transaction.

Who sees what: the person, with the key, their own record; this node's staff (a token or
a console session) every record sent or received here; the partner's staff only what the
message carries.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from services.matching.handlers import visible
from services.matching.metrics import MatchingMetrics
from services.matching.projection import REMOVING, WITHDRAWN, Projection, profile_key
from services.matching.ranking import explain
from services.matching.store import (
    INTERESTS_RECEIVED,
    INTERESTS_SENT,
    PROFILES,
    MatchingUnitOfWork,
)
from shared.contracts.base import Event as Message
from shared.contracts.base import Visibility
from shared.contracts.direct import MessageRefused
from shared.contracts.matching import (
    InterestAnswered,
    InterestExpressed,
    InterestOutcome,
    MatchReason,
    Organisation,
)
from shared.direct import DirectDelivery
from shared.erasure import PersonRecords
from shared.errors import DomainError, NotFound
from shared.fields import refuse_nul
from shared.ids import new_id
from shared.metrics import Metrics
from shared.personal import (
    Email,
    Inbox,
    SentBox,
    hand_over,
    keyed,
    listing,
    new_key,
    now,
    refuse_sent,
    settle,
)
from shared.service import ServiceKit
from shared.store import Document

WAITING = "waiting"  # sent, no answer yet
OPEN = "open"  # received, the staff have not answered yet
INBOX = Inbox(INTERESTS_RECEIVED, "expression of interest", "for this network", OPEN, "outcome")

Kit = ServiceKit[MatchingUnitOfWork]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    BeforeValidator(refuse_nul),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    BeforeValidator(refuse_nul),
]
Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    BeforeValidator(refuse_nul),
]


class InterestDraft(BaseModel):
    """What a member fills in from a result; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    partner: Id = Field(description='the result\'s "id": "<network>/<organisation id>"')
    organisation_id: Id = Field(description="the member's organisation, one of this node's")
    name: Name
    email: Email
    message: Text


class AnswerDraft(BaseModel):
    """What the partner network's staff answer."""

    model_config = ConfigDict(extra="forbid")

    outcome: InterestOutcome
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


def _organisation(projection: Projection, key: str) -> Organisation:
    assert projection.index is not None
    profile = projection.index.profile(key)
    assert profile is not None
    network, _, organisation_id = key.partition("/")
    return Organisation(
        id=organisation_id,
        network=network,
        legal_name=profile.legal_name,
        country=profile.country,
        city=profile.city,
    )


def prepare(
    projection: Projection, node: str, draft: InterestDraft, staff: bool
) -> InterestExpressed:
    """The message of an expression, checked: a partner the sender may see, an own member
    that may be named to another network, and the match's reasons (computed here)."""
    if not visible(projection, draft.partner, staff):
        raise NotFound(
            f"no organisation {draft.partner!r} in this node's partner search", "partner"
        )
    sender_key = profile_key(node, draft.organisation_id)
    known = projection.known.get(sender_key)
    if known is None:
        raise DomainError(
            "not one of this network's organisations (or not indexed yet)", "organisation_id"
        )
    if known.visibility is Visibility.NODE and not draft.partner.startswith(f"{node}/"):
        raise DomainError(
            "this organisation is not shared with the alliance: ask your network's staff",
            "organisation_id",
        )
    if sender_key == draft.partner:
        raise DomainError("an organisation cannot express interest in itself", "partner")
    score, reasons = _match(projection, sender_key, draft.partner)
    return InterestExpressed(
        id=new_id(node),
        sender=_organisation(projection, sender_key),
        partner=_organisation(projection, draft.partner),
        message=draft.message,
        score=score,
        reasons=reasons,
        expressed_at=now(),
    )


def _match(projection: Projection, sender: str, partner: str) -> tuple[float, list[MatchReason]]:
    """Why these two could work together, as ranking explains it, strongest first (all
    of them, at most one per kind: their points add up to the score)."""
    index = projection.index
    assert index is not None
    mine, theirs = index.profile(sender), index.profile(partner)
    my_vectors, their_vectors = index.vectors(sender), index.vectors(partner)
    assert mine and theirs and my_vectors is not None and their_vectors is not None
    reasons = explain(mine, my_vectors, theirs, their_vectors)
    score = round(sum(reason.points for reason in reasons), 1)
    return score, [MatchReason.model_validate(reason.model_dump()) for reason in reasons]


async def express(
    uow: MatchingUnitOfWork, node: str, message: InterestExpressed, draft: InterestDraft
) -> tuple[Document, str]:
    """Record the expression here and send it to the partner's network (or, for one of
    this node's own organisations, open it in this console at once)."""
    key, digest = new_key()
    record: Document = {
        "_id": message.id,
        "target": message.partner.network,
        "person": {"name": draft.name, "email": draft.email},
        **_shared(message),
        "status": WAITING,
        "note": "",
        "answered_at": None,
        "key": digest,
    }
    await uow.collection(INTERESTS_SENT).insert_one(record, session=uow.session)
    target = message.partner.network
    await hand_over(uow, node, target, message, lambda: _receive(uow, node, message))
    return record, key


def _shared(message: InterestExpressed) -> Document:
    """What both records hold: the organisations, the message and the match."""
    return {
        "sender": message.sender.model_dump(),
        "partner": message.partner.model_dump(),
        "message": message.message,
        "score": message.score,
        "reasons": [reason.model_dump() for reason in message.reasons],
        "expressed_at": message.expressed_at,
    }


async def _receive(uow: MatchingUnitOfWork, sender: str, message: InterestExpressed) -> None:
    await uow.collection(INTERESTS_RECEIVED).insert_one(
        {
            "_id": message.id,
            "sender_node": sender,
            **_shared(message),
            "received_at": now(),
            "status": OPEN,
            "note": "",
            "answered_at": None,
        },
        session=uow.session,
    )


async def on_interest_expressed(
    kit: Kit, message: Message, delivery: DirectDelivery, uow: MatchingUnitOfWork
) -> None:
    """Partner side: open it for the staff, or refuse it at once when the organisation
    is not (or no longer) one of this network's: the member then reads why."""
    assert isinstance(message, InterestExpressed)
    node = kit.identity.node
    stored = None
    if message.partner.network == node:  # another network's organisation: no need to look
        stored = await uow.collection(PROFILES).find_one(
            {"_id": profile_key(node, message.partner.id)}, {"state": 1}, session=uow.session
        )
    metrics = kit.metrics
    if stored is None or stored["state"] in (REMOVING, WITHDRAWN):
        refusal = InterestAnswered(
            id=message.id,
            outcome=InterestOutcome.REFUSED,
            note=f"{node} has no organisation {message.partner.id!r}",
            answered_at=now(),
        )
        uow.send(delivery.sender, refusal)
        count(metrics, "in", "refused")
        return
    await _receive(uow, delivery.sender, message)
    count(metrics, "in", "received")


async def answer(
    uow: MatchingUnitOfWork, node: str, interest_id: str, draft: AnswerDraft
) -> Document:
    """The staff's answer: recorded here and sent back to the member's node, once."""
    if draft.outcome is InterestOutcome.REFUSED:
        raise DomainError("answer introduce or decline", "outcome")
    found = await INBOX.undecided(uow, interest_id)
    message = InterestAnswered(
        id=interest_id, outcome=draft.outcome, note=draft.note, answered_at=now()
    )
    answered = await INBOX.decide(uow, found, _answered(message))
    sender = str(found["sender_node"])
    await hand_over(uow, node, sender, message, lambda: _record_answer(uow, node, message))
    return answered


def _answered(message: InterestAnswered) -> Document:
    """What an answer changes on either side's record."""
    return {
        "status": message.outcome.value,
        "note": message.note,
        "answered_at": message.answered_at,
    }


async def _record_answer(uow: MatchingUnitOfWork, partner: str, message: InterestAnswered) -> None:
    """Member side: the answer on the record; only the partner's network may give it."""
    await settle(
        uow,
        INTERESTS_SENT,
        {"_id": message.id, "target": partner, "status": WAITING},
        _answered(message),
        f"no expression of interest {message.id!r} to {partner} waits for an answer",
    )


async def on_interest_answered(
    kit: Kit, message: Message, delivery: DirectDelivery, uow: MatchingUnitOfWork
) -> None:
    """Member side: the partner network's answer reached this node."""
    assert isinstance(message, InterestAnswered)
    await _record_answer(uow, delivery.sender, message)
    count(
        kit.metrics,
        "out",
        message.outcome.value if message.outcome is InterestOutcome.REFUSED else "answered",
    )


def count(metrics: Metrics, direction: str, outcome: str) -> None:
    """alliance_matching_interests_total{direction, outcome}, once a change committed."""
    MatchingMetrics.of(metrics.registry).interests.labels(direction, outcome).inc()


async def member_record(uow: MatchingUnitOfWork, interest_id: str, key: str | None) -> Document:
    """The member's record, for whoever holds its key (staff: ``key`` None)."""
    return await keyed(uow.collection(INTERESTS_SENT), interest_id, key, "expression of interest")


async def listing_of(uow: MatchingUnitOfWork, side: str) -> list[Document]:
    """One side's records (``received`` here, or ``sent`` from here): open first, newest next."""
    collection = uow.collection(INTERESTS_RECEIVED if side == "received" else INTERESTS_SENT)
    return await listing(collection, {}, (OPEN, WAITING), "expressed_at")


SENT_BOX = SentBox(INTERESTS_SENT, "target", WAITING)


async def on_message_refused(
    kit: Kit, message: Message, delivery: DirectDelivery, uow: MatchingUnitOfWork
) -> None:
    """The partner's node refused an expression unread: the member reads why."""
    assert isinstance(message, MessageRefused)
    if await refuse_sent(uow, message, delivery.sender, (SENT_BOX,)):
        count(kit.metrics, "out", "refused")


# a GDPR erasure (shared/erasure.py): the expression of interest stays for the staff,
# without the member's name and e-mail (kept on the sender's node only; the partner's
# network never had them); the member's key stops working
PERSONS = (PersonRecords(INTERESTS_SENT, "person.email", ("person.name", "key")),)
