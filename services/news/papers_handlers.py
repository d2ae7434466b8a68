"""The use cases of position papers, on both sides, and the handlers of their direct
messages (rules: ``papers.py``; who may call which: ``papers_routes.py``).

Owner side: draft, edit (every invited network is sent the new text), invite (each new
co-signer is sent the text), publish (the owner signs and the paper goes on the alliance
channel); a ``PaperSigned`` or ``PaperDeclined`` is taken, or refused with a
``PaperSignatureRefused`` that says why. Signer side: a ``PaperInvited`` waits in
``papers_to_sign`` with the text and the hash this node computes from it (so its staff
sign exactly what they read); the staff sign or decline it; a refusal from the owner is
shown with the invitation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from services.news.papers import PaperDraft, PositionPaper, SignatureRefused, StaleText
from services.news.papers_store import TO_SIGN, PaperRepository, invitation
from shared import paper_signatures
from shared.contracts.base import Event as Message
from shared.contracts.direct import MessageRefused
from shared.contracts.news_papers import (
    PaperDeclined,
    PaperInvited,
    PaperSignatureRefused,
    PaperSigned,
    Signature,
)
from shared.direct import DirectDelivery, DirectHandler
from shared.errors import Duplicate, NotFound
from shared.identity import NodeIdentity
from shared.ids import new_id
from shared.instants import wire_time
from shared.replicas import replica_key
from shared.service import ServiceKit
from shared.store import Document, UnitOfWork

ASKED, SIGNED, DECLINED, REFUSED = "asked", "signed", "declined", "refused"


@functools.cache
def counter(registry: CollectorRegistry) -> Counter:
    """alliance_news_paper_signatures_total{direction, outcome}: signatures this node
    collected as owner (``in``: ``collected`` or the refusal's reason) and answers its
    staff gave as co-signer (``out``: ``signed``, ``declined``). Made once per registry."""
    signatures = Counter(
        "alliance_news_paper_signatures_total",
        "Position paper signatures: collected or refused as owner (in), given as co-signer (out).",
        ["direction", "outcome"],
        registry=registry,
    )
    for direction, outcome in (("in", "collected"), ("out", "signed")):
        signatures.labels(direction, outcome)  # the main series exist from the start
    return signatures


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def own_paper(uow: UnitOfWork, paper_id: str) -> PositionPaper:
    """One of this node's papers, or 404."""
    paper = await PaperRepository(uow).get(paper_id)
    if paper is None or paper.deleted:
        raise NotFound(f"no position paper {paper_id!r} on this node", "id")
    return paper


def _ask(uow: UnitOfWork, paper: PositionPaper, nodes: list[str], now: datetime) -> None:
    """Send the current text and hash to each of ``nodes``."""
    for node in nodes:
        uow.send(
            node,
            PaperInvited(
                id=paper.id,
                owner_name=paper.owner_name,
                language=paper.language,
                title=paper.title,
                text=paper.text,
                hash=paper.hash,
                revision=paper.revision,
                invited_at=wire_time(now),
            ),
        )


async def draft_paper(uow: UnitOfWork, identity: NodeIdentity, draft: PaperDraft) -> PositionPaper:
    """A new draft owned by this node."""
    paper = PositionPaper.draft(new_id(identity.node), identity.node, identity.name, draft, _now())
    PaperRepository(uow).add(paper)
    return paper


async def edit_paper(uow: UnitOfWork, paper_id: str, draft: PaperDraft) -> PositionPaper:
    """A new text voids the signatures: every invited network is asked again."""
    paper = await own_paper(uow, paper_id)
    now, before = _now(), paper.version
    again = paper.edit(draft, now)
    if paper.version != before:  # an edit that changes nothing is no revision
        await PaperRepository(uow).save(paper)
    _ask(uow, paper, again, now)
    return paper


async def invite_cosigners(
    uow: UnitOfWork, paper_id: str, nodes: list[str], known: list[str]
) -> PositionPaper:
    """New co-signers (admitted networks), each sent the exact text."""
    paper = await own_paper(uow, paper_id)
    now = _now()
    _ask(uow, paper, paper.invite(nodes, known, now), now)
    await PaperRepository(uow).save(paper)
    return paper


async def publish_paper(uow: UnitOfWork, identity: NodeIdentity, paper_id: str) -> PositionPaper:
    """The owner signs the current hash and the paper goes to the whole alliance."""
    paper = await own_paper(uow, paper_id)
    now = _now()
    mine = Signature(
        node=identity.node,
        name=identity.name,
        public_key=identity.public_key_b64,
        signature=paper_signatures.sign(identity, paper.hash),
        signed_at=wire_time(now),
    )
    paper.publish(mine, now)
    await PaperRepository(uow).save(paper)
    return paper


async def on_paper_signed(
    kit: ServiceKit[Any], message: Message, delivery: DirectDelivery, uow: UnitOfWork
) -> None:
    """Owner side: take the signature, or tell the signer why not."""
    assert isinstance(message, PaperSigned)
    signature = Signature(
        node=delivery.sender,
        name=message.name,
        public_key=message.public_key,
        signature=message.signature,
        signed_at=message.signed_at,
    )
    admitted = kit.context.keyring.public_key(delivery.sender) or ""
    await _answer(
        kit,
        uow,
        message.id,
        message.hash,
        delivery.sender,
        "collected",
        lambda p: p.sign(signature, message.hash, admitted, _now()),
    )


async def on_paper_declined(
    kit: ServiceKit[Any], message: Message, delivery: DirectDelivery, uow: UnitOfWork
) -> None:
    """Owner side: note the refusal to sign this text (or tell why it does not count)."""
    assert isinstance(message, PaperDeclined)
    await _answer(
        kit,
        uow,
        message.id,
        message.hash,
        delivery.sender,
        "declined",
        lambda p: p.decline(delivery.sender, message.hash, _now()),
    )


async def _answer(
    kit: ServiceKit[Any],
    uow: UnitOfWork,
    paper_id: str,
    digest: str,
    sender: str,
    outcome: str,
    apply: Callable[[PositionPaper], None],
) -> None:
    """Apply a co-signer's answer to the paper; a refused one is answered, not retried."""
    paper = await PaperRepository(uow).get(paper_id)
    try:
        if paper is None:
            raise SignatureRefused(f"no position paper {paper_id!r} here", "id")
        apply(paper)
    except SignatureRefused as refused:
        uow.send(
            sender,
            PaperSignatureRefused(
                id=paper_id, hash=digest, reason=refused.code.value, detail=refused.reason
            ),
        )
        counter(kit.metrics.registry).labels("in", refused.code.value).inc()
        return
    await PaperRepository(uow).save(paper)
    if outcome == "collected":
        counter(kit.metrics.registry).labels("in", outcome).inc()


async def on_paper_invited(
    kit: ServiceKit[Any], message: Message, delivery: DirectDelivery, uow: UnitOfWork
) -> None:
    """Signer side: the (new) text waits for the staff; any earlier answer is void. The
    hash kept is the one this node computes from the text it shows."""
    assert isinstance(message, PaperInvited)
    digest = paper_signatures.paper_hash(
        message.id, delivery.sender, message.language, message.title, message.text
    )
    record = {
        "_id": replica_key(delivery.sender, message.id),
        "origin": delivery.sender,
        "paper_id": message.id,
        "owner_name": message.owner_name,
        "language": message.language,
        "title": message.title,
        "text": message.text,
        "hash": digest,
        "stated_hash": message.hash,
        "revision": message.revision,
        "invited_at": message.invited_at,
        "status": ASKED,
        "answered_at": None,
        "signature": None,
        "refusal": None,
    }
    await uow.collection(TO_SIGN).replace_one(
        {"_id": record["_id"]}, record, upsert=True, session=uow.session
    )


async def on_signature_refused(
    kit: ServiceKit[Any], message: Message, delivery: DirectDelivery, uow: UnitOfWork
) -> None:
    """Signer side: the owner did not take our answer; the console shows why."""
    assert isinstance(message, PaperSignatureRefused)
    found = await invitation(uow, delivery.sender, message.id)
    if found is None:
        return
    refusal = {"reason": message.reason, "detail": message.detail, "hash": message.hash}
    change: Document = {"refusal": refusal}
    if found["hash"] == message.hash:  # about the text shown now (else: an earlier one)
        change["status"] = REFUSED
    await uow.collection(TO_SIGN).update_one(
        {"_id": found["_id"]}, {"$set": change}, session=uow.session
    )


async def on_message_refused(
    kit: ServiceKit[Any], message: Message, delivery: DirectDelivery, uow: UnitOfWork
) -> None:
    """Signer side: the owner's node refused our answer unread (it cannot read it, or
    runs no papers): the invitation shows it refused, with the kit's reason. Refusals of
    the owner's own invitations are only logged and counted by the kit."""
    assert isinstance(message, MessageRefused)
    if not message.kind.endswith((".paper-signed", ".paper-declined")):
        return
    found = await invitation(uow, delivery.sender, message.about)
    if found is None:
        return
    refusal = {"reason": message.reason, "detail": message.detail, "hash": found["hash"]}
    await uow.collection(TO_SIGN).update_one(
        {"_id": found["_id"]},
        {"$set": {"status": REFUSED, "refusal": refusal}},
        session=uow.session,
    )


async def _asked(uow: UnitOfWork, origin: str, paper_id: str, digest: str) -> Document:
    """The invitation the staff answer, if it still waits for this very text."""
    found = await invitation(uow, origin, paper_id)
    if found is None:
        raise NotFound(f"no invitation to co-sign {origin}'s paper {paper_id!r}", "id")
    if found["hash"] != digest:
        raise StaleText(
            f"the text changed: {digest} is not the current {found['hash']}; read it again",
            "hash",
        )
    if found["status"] != ASKED:
        raise Duplicate(f"this text was {found['status']} already", "hash")
    return found


async def sign_paper(
    uow: UnitOfWork, identity: NodeIdentity, origin: str, paper_id: str, digest: str
) -> Document:
    """Signer side: sign the hash the staff read, with this node's key; the owner hears."""
    found = await _asked(uow, origin, paper_id, digest)
    now = wire_time(_now())
    signature = paper_signatures.sign(identity, digest)
    uow.send(
        origin,
        PaperSigned(
            id=paper_id,
            hash=digest,
            name=identity.name,
            public_key=identity.public_key_b64,
            signature=signature,
            signed_at=now,
        ),
    )
    change = {"status": SIGNED, "answered_at": now, "signature": signature, "refusal": None}
    await uow.collection(TO_SIGN).update_one(
        {"_id": found["_id"]}, {"$set": change}, session=uow.session
    )
    return {**found, **change}


async def decline_paper(uow: UnitOfWork, origin: str, paper_id: str, digest: str) -> Document:
    """Signer side: decline this text; the owner hears."""
    found = await _asked(uow, origin, paper_id, digest)
    now = wire_time(_now())
    uow.send(origin, PaperDeclined(id=paper_id, hash=digest, declined_at=now))
    change = {"status": DECLINED, "answered_at": now, "refusal": None}
    await uow.collection(TO_SIGN).update_one(
        {"_id": found["_id"]}, {"$set": change}, session=uow.session
    )
    return {**found, **change}


DIRECT_HANDLERS: dict[type[Message], DirectHandler] = {
    PaperInvited: on_paper_invited,
    PaperSigned: on_paper_signed,
    PaperDeclined: on_paper_declined,
    PaperSignatureRefused: on_signature_refused,
}
"""What the news service's declaration hands each paper message to."""
