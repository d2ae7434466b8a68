"""Translation requests' use cases: the staff's (called by translation_routes.py) and the
direct messages' handlers (called by the kit, once per message, in inbox order).

The owner's side: open a request for an own shared item, decide claims (first claim
wins: ``ClaimGranted`` / ``ClaimRefused`` back to the claimer), take submissions, accept
one (published beside the original by ``handlers.publish_translation``, in the same
transaction), send one back, close a request, lapse claims past their time, and close
the live requests of an own item withdrawn or made ``node``-only (a subscription). The
claimer's side: claim a partner's open request (refused at once, 409, when its replica
shows another network holding it), submit the translation, and record the owner's
answers. Metrics: ``alliance_news_translation_requests{state}`` (the owner's requests by
state) and ``alliance_news_time_to_translation_seconds`` (request to publication).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, Histogram
from pydantic import ValidationError
from pymongo.errors import PyMongoError

from services.news import handlers
from services.news.domain import NotFound, same_language
from services.news.store import NewsUnitOfWork
from services.news.translations import (
    Conflict,
    RequestDraft,
    RequestStatus,
    SubmissionDraft,
    TranslationRequest,
    held_by_another,
)
from services.news.translations_store import (
    CLAIMS,
    my_claim,
    partner_request,
    record_claim,
    requests,
)
from shared.contracts import news as news_contract
from shared.contracts.base import Event as Message
from shared.contracts.base import Visibility
from shared.contracts.direct import MessageRefused
from shared.contracts.news import NewsItemState
from shared.contracts.news_translations import (
    ClaimGranted,
    ClaimRefused,
    TranslationClaimed,
    TranslationRequestState,
    TranslationSubmitted,
)
from shared.direct import DirectDelivery, DirectHandler
from shared.errors import DomainError
from shared.ids import new_id
from shared.instants import wire_time
from shared.replicas import replica_key
from shared.service import Delivery, Subscription
from shared.store import Document

log = logging.getLogger(__name__)
LAPSE_SECONDS = 60.0  # how often the owner looks for claims past their time
# the gauge's states: a returned submission is back with its claimer (claimed)
GAUGE_STATES = {
    RequestStatus.OPEN: "open",
    RequestStatus.CLAIMED: "claimed",
    RequestStatus.RETURNED: "claimed",
    RequestStatus.SUBMITTED: "submitted",
    RequestStatus.ACCEPTED: "done",
    RequestStatus.CLOSED: "closed",
}
# the claimer's record of a claim: waiting for the owner, taken, refused, translation sent
PENDING, GRANTED, REFUSED, SUBMITTED = "pending", "granted", "refused", "submitted"


def _now() -> datetime:
    return datetime.now(UTC)


def hold_of(kit: Any) -> timedelta:
    """How long a claim holds on this node (``ALLIANCE_TRANSLATION_CLAIM_DAYS``)."""
    return timedelta(days=kit.settings.translation_claim_days)


# --- metrics ------------------------------------------------------------------------------


@functools.cache
def request_gauge(registry: CollectorRegistry) -> Gauge:
    """alliance_news_translation_requests{state}: made once per registry."""
    gauge = Gauge(
        "alliance_news_translation_requests",
        "This node's translation requests by state (open, claimed, submitted, done, closed).",
        ["state"],
        registry=registry,
    )
    for state in set(GAUGE_STATES.values()):
        gauge.labels(state)
    return gauge


@functools.cache
def translation_time(registry: CollectorRegistry) -> Histogram:
    """alliance_news_time_to_translation_seconds: from request to published translation."""
    day = 86_400.0
    return Histogram(
        "alliance_news_time_to_translation_seconds",
        "Time from a translation request to its accepted, published translation.",
        buckets=(3600.0, 6 * 3600.0, day, 2 * day, 4 * day, 7 * day, 14 * day, 30 * day),
        registry=registry,
    )


async def count_states(kit: Any) -> None:
    """Count the owner's requests by state again (after a change, and every round)."""
    counts = dict.fromkeys(GAUGE_STATES.values(), 0)
    async for doc in requests(kit.reads()).collection.find({"deleted": False}, {"status": 1}):
        counts[GAUGE_STATES[RequestStatus(doc["status"])]] += 1
    gauge = request_gauge(kit.metrics.registry)
    for state, count in counts.items():
        gauge.labels(state).set(count)


# --- the owner ----------------------------------------------------------------------------


async def existing_request(uow: NewsUnitOfWork, request_id: str) -> TranslationRequest:
    found = await requests(uow).get(request_id)
    if found is None or found.deleted:
        raise NotFound(f"no translation request {request_id!r} of this node", "id")
    return found


async def request_translation(
    uow: NewsUnitOfWork, node: str, item_id: str, draft: RequestDraft
) -> TranslationRequest:
    """Owner's staff: ask partners to translate an own item the alliance sees."""
    item = await handlers.existing_item(item_id, uow)
    if not item.is_shared:
        raise DomainError(
            "only a published item the alliance sees can be translated by partners", "status"
        )
    request = TranslationRequest.open(new_id(node), item.id, item.language, draft, _now())
    requests(uow).add(request)
    return request


async def accept(uow: NewsUnitOfWork, request_id: str) -> tuple[TranslationRequest, list[str]]:
    """Owner's staff: the submission is published beside the original, with its
    translator; returns what sanitising removed from it."""
    request = await existing_request(uow, request_id)
    submission = request.accept(_now())
    await requests(uow).save(request)
    _item, removed = await handlers.publish_translation(
        request.item_id, submission.draft(request.language), submission.translator, uow
    )
    return request, removed


async def send_back(
    uow: NewsUnitOfWork, request_id: str, reason: str, hold: timedelta
) -> TranslationRequest:
    """Owner's staff: back to the claimer, with the reason (it reads it on its replica)."""
    request = await existing_request(uow, request_id)
    request.send_back(reason, _now(), hold)
    await requests(uow).save(request)
    return request


async def close(uow: NewsUnitOfWork, request_id: str) -> TranslationRequest:
    """Owner's staff: the request is withdrawn from the partners' consoles."""
    request = await existing_request(uow, request_id)
    request.close(_now())
    await requests(uow).save(request)
    return request


async def lapse_all(uow: NewsUnitOfWork, now: datetime) -> int:
    """Owner: every claim past its time goes back to open; how many did."""
    repository = requests(uow)
    lapsed = 0
    for request in await repository.lapsing(now):
        if request.lapse(now):
            await repository.save(request)
            lapsed += 1
    return lapsed


async def lapse_claims_every_minute(kit: Any) -> None:
    """Owner: claims lapse on time even when nothing else touches the request; the
    gauge is counted again each round."""
    while True:
        try:
            await kit.transaction(lambda uow: lapse_all(uow, _now()))
            await count_states(kit)
        except PyMongoError as exc:  # the store is away: the next round tries again
            log.warning("lapsed translation claims wait for the store: %s", exc)
        await asyncio.sleep(LAPSE_SECONDS)


async def on_own_item_changed(
    kit: Any, event: Message, delivery: Delivery, uow: NewsUnitOfWork
) -> None:
    """Owner: an item withdrawn, or no longer shared, closes its live requests (partners
    could no longer read what they are asked to translate); so does a new original
    language, for the requests into it (the original is in that language now)."""
    shared = isinstance(event, NewsItemState) and event.visibility != Visibility.NODE.value
    language = event.language if isinstance(event, NewsItemState) else None
    repository = requests(uow)
    now = _now()
    for request in await repository.find({"item_id": event.id, "deleted": False}):
        moot = language is not None and same_language(request.language, language)
        if request.live and (not shared or moot):
            request.close(now)
            await repository.save(request)


async def on_translation_claimed(
    kit: Any, message: Message, delivery: DirectDelivery, uow: NewsUnitOfWork
) -> None:
    """Owner: decide a partner's claim, in arrival order (the first claim wins)."""
    assert isinstance(message, TranslationClaimed)
    try:
        request = await existing_request(uow, message.id)
        request.claim(delivery.sender, kit.identity.node, _now(), hold_of(kit))
    except DomainError as exc:
        uow.send(delivery.sender, refusal(message.id, exc))
        return
    await requests(uow).save(request)
    assert request.claimed_until is not None
    uow.send(delivery.sender, ClaimGranted(id=request.id, until=wire_time(request.claimed_until)))


async def on_translation_submitted(
    kit: Any, message: Message, delivery: DirectDelivery, uow: NewsUnitOfWork
) -> None:
    """Owner: keep a claimer's translation for the staff to decide on; one without a
    claim that holds (lapsed, another's) is refused back."""
    assert isinstance(message, TranslationSubmitted)
    try:
        draft = SubmissionDraft(title=message.title, summary=message.summary, body=message.body)
        request = await existing_request(uow, message.id)
        request.submit(delivery.sender, draft.translation(message.language), _now())
    except ValidationError as exc:
        reason = exc.errors(include_url=False)[0]["msg"]
        uow.send(delivery.sender, ClaimRefused(id=message.id, reason=f"submission: {reason}"))
        return
    except DomainError as exc:
        uow.send(delivery.sender, refusal(message.id, exc))
        return
    await requests(uow).save(request)


def refusal(request_id: str, exc: DomainError) -> ClaimRefused:
    """The answer to a claim or a submission the owner did not take, saying why."""
    holder = getattr(exc, "holder", None)
    until = getattr(exc, "until", None)
    return ClaimRefused(
        id=request_id, reason=exc.reason, holder=holder, until=wire_time(until) if until else None
    )


# --- the claimer --------------------------------------------------------------------------


async def partners_state(
    uow: NewsUnitOfWork, origin: str, request_id: str
) -> TranslationRequestState:
    """A partner's request as this node's replica holds it (404 when it holds none)."""
    doc = await partner_request(uow, origin, request_id)
    if doc is None:
        raise NotFound(f"no translation request {request_id!r} of {origin!r} here", "id")
    return TranslationRequestState.model_validate(doc["data"])


async def claim(uow: NewsUnitOfWork, node: str, origin: str, request_id: str) -> Document:
    """Claimer's staff: ask the owner for the request. Refused at once (409) when the
    replica shows another network holding it; the owner decides the rest."""
    state = await partners_state(uow, origin, request_id)
    held = held_by_another(state, node, _now())
    if held is not None:
        raise held
    if state.status in (RequestStatus.ACCEPTED, RequestStatus.CLOSED):
        raise Conflict(f"the request is {state.status}: it cannot be claimed", "status")
    mine = await my_claim(uow, origin, request_id)
    if mine is not None and mine["status"] == PENDING:
        raise Conflict("this network's claim waits for the owner's answer", "claim")
    if state.claimer == node and state.status != RequestStatus.OPEN:
        raise Conflict("this network holds the claim already", "claim")
    record = {
        "_id": replica_key(origin, request_id),
        "origin": origin,
        "request_id": request_id,
        "item_id": state.item_id,
        "language": state.language,
        "status": PENDING,
        "claimed_at": wire_time(_now()),
        "until": None,  # the owner's answers fill these in
        "reason": "",
        "holder": None,
    }
    await uow.collection(CLAIMS).replace_one(
        {"_id": record["_id"]}, record, upsert=True, session=uow.session
    )
    uow.send(
        origin,
        TranslationClaimed(
            id=request_id,
            item_id=state.item_id,
            language=state.language,
            claimed_at=record["claimed_at"],
        ),
    )
    return record


async def submit(
    uow: NewsUnitOfWork, origin: str, request_id: str, draft: SubmissionDraft
) -> Document:
    """Claimer's staff: send the translation to the owner (again, after a return)."""
    state = await partners_state(uow, origin, request_id)
    mine = await my_claim(uow, origin, request_id)
    if mine is None or mine["status"] in (PENDING, REFUSED):
        raise Conflict("this network holds no claim on this request (yet)", "claim")
    submitted = wire_time(_now())
    uow.send(
        origin,
        TranslationSubmitted(
            id=request_id, language=state.language, submitted_at=submitted, **draft.model_dump()
        ),
    )
    changes = {"status": SUBMITTED, "submitted_at": submitted, "submission": draft.model_dump()}
    await record_claim(uow, origin, request_id, changes)
    return {**mine, **changes}


async def on_claim_granted(
    kit: Any, message: Message, delivery: DirectDelivery, uow: NewsUnitOfWork
) -> None:
    """Claimer: the owner gave us the request until ``until``."""
    assert isinstance(message, ClaimGranted)
    changes = {"status": GRANTED, "until": message.until, "reason": ""}
    if not await record_claim(uow, delivery.sender, message.id, changes):
        raise LookupError(f"no claim on {delivery.sender}'s request {message.id!r} here")


async def on_claim_refused(
    kit: Any, message: Message, delivery: DirectDelivery, uow: NewsUnitOfWork
) -> None:
    """Claimer: the owner did not take our claim or submission; the console says why."""
    assert isinstance(message, ClaimRefused)
    changes = {
        "status": REFUSED,
        "reason": message.reason,
        "holder": message.holder,
        "until": message.until,
    }
    if not await record_claim(uow, delivery.sender, message.id, changes):
        raise LookupError(f"no claim on {delivery.sender}'s request {message.id!r} here")


async def on_message_refused(
    kit: Any, message: Message, delivery: DirectDelivery, uow: NewsUnitOfWork
) -> None:
    """Claimer: the owner refused our message unread: the claim shows why."""
    assert isinstance(message, MessageRefused)
    if not message.kind.endswith((".translation-claimed", ".translation-submitted")):
        return
    changes = {"status": REFUSED, "reason": f"refused: {message.reason} ({message.detail})"}
    await record_claim(uow, delivery.sender, message.about, changes)


SUBSCRIPTIONS = (
    Subscription(
        "translation-requests-items",
        news_contract.CATALOGUE,
        (news_contract.NewsItemRevised, news_contract.NewsItemWithdrawn),
        on_own_item_changed,
    ),
)
DIRECT_HANDLERS: dict[type[Message], DirectHandler] = {
    TranslationClaimed: on_translation_claimed,
    TranslationSubmitted: on_translation_submitted,
    ClaimGranted: on_claim_granted,
    ClaimRefused: on_claim_refused,
}
