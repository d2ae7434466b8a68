"""What the brokerage API and pages both do, written once: each operation with its
transaction, its slow part kept off the event loop and off the store's turn (embedding a
profile, running the scheduler) and its metrics.
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Any

from prometheus_client import CollectorRegistry, Gauge
from pymongo.errors import PyMongoError

from services.matching import brokerage_handlers as handlers
from services.matching import brokerage_known as known
from services.matching import brokerage_schedule as planning
from services.matching import brokerage_store as store
from services.matching import brokerage_views as views
from services.matching.brokerage import (
    JoinDraft,
    ProfileDraft,
    RequestDraft,
    SessionDraft,
    check_table,
)
from services.matching.store import MatchingUnitOfWork
from shared.service import ServiceKit
from shared.store import Document

Kit = ServiceKit[MatchingUnitOfWork]
RECOUNT_SECONDS = 60
log = logging.getLogger(__name__)


@cache
def gauges(registry: CollectorRegistry) -> tuple[Gauge, Gauge]:
    """Schedule quality of each session's last run, and its meeting requests by state."""
    quality = Gauge(
        "alliance_brokerage_schedule_quality",
        "Meetings placed / accepted requests, in the last schedule run of a session.",
        ["session"],
        registry=registry,
    )
    requests = Gauge(
        "alliance_brokerage_requests",
        "Meeting requests of a session, by state.",
        ["session", "state"],
        registry=registry,
    )
    return quality, requests


def show_counts(kit: Kit, session_id: str, requests: list[Document]) -> None:
    """The session's requests-by-state gauge from its requests in hand."""
    _, by_state = gauges(kit.metrics.registry)
    for state, count in planning.counts_by_state(requests).items():
        by_state.labels(session_id, state).set(count)


async def count_requests(kit: Kit, session_id: str) -> None:
    show_counts(kit, session_id, await store.requests_of(kit.reads(), session_id))


async def recount(kit: Kit) -> None:
    """Every session's gauges from the store: after a restart they show at once, not
    only after the next change. One read of the requests for all sessions, not one
    query per session."""
    reads = kit.reads()
    quality, _ = gauges(kit.metrics.registry)
    async for kept in reads.collection(store.SCHEDULES).find({}, {"quality": 1}):
        quality.labels(kept["_id"]).set(kept["quality"])
    by_session: dict[str, list[Document]] = {}
    async for request in reads.collection(store.REQUESTS).find({}, {"session_id": 1, "status": 1}):
        by_session.setdefault(request["session_id"], []).append(request)
    async for session in reads.collection(store.SESSIONS).find({}, {"_id": 1}):
        show_counts(kit, session["_id"], by_session.get(session["_id"], []))


async def recount_every_minute(kit: Kit) -> None:
    """The gauges kept true while the node runs (a task of the service)."""
    while True:
        try:
            await recount(kit)
        except PyMongoError as exc:  # the store is away: the next round tries again
            log.warning("brokerage gauges wait for the store: %s", exc)
        await asyncio.sleep(RECOUNT_SECONDS)


async def sessions(kit: Kit) -> list[Document]:
    """The node's sessions, newest first."""
    found = kit.reads().collection(store.SESSIONS).find({}, sort=[("created_at", -1)])
    return [views.session_view(doc) async for doc in found.limit(store.LISTED)]


async def events_without_session(kit: Kit, with_session: set[str]) -> list[Document]:
    """The node's brokerage events a session may still be made for (not cancelled)."""
    found = kit.reads().collection(store.EVENTS).find({"keys.kind": "brokerage", "deleted": False})
    return [
        doc["data"]
        async for doc in found
        if doc["data"]["id"] not in with_session and doc["data"]["status"] != "cancelled"
    ]


async def create_session(kit: Kit, draft: SessionDraft) -> Document:
    return await kit.transaction(lambda uow: handlers.create_session(uow, kit.identity.node, draft))


async def join(
    kit: Kit, session_id: str, draft: JoinDraft, staff: bool = False
) -> tuple[Document, str]:
    """Join; with ``known``, as that organisation, its event profile prefilled and
    embedded first (in a thread, outside any transaction)."""
    prefilled = None
    if draft.known:
        await store.session_of(kit.reads(), session_id)  # no model call for a wrong session
        found = await known.known_profile(kit.reads(), draft.known, staff)
        draft = known.as_participant(draft, found)
        profile = known.event_profile(found)
        if profile is not None:
            record: Document = {"_id": "", **draft.model_dump()}
            prefilled = (profile, await views.embed(handlers.partner_profile(record, profile)))
    return await kit.transaction(
        lambda uow: handlers.join(uow, kit.identity.node, session_id, draft, prefilled)
    )


async def participant(kit: Kit, participant_id: str, key: str | None) -> Document:
    return await handlers.keyed(kit.reads(), participant_id, key)


async def publish_profile(
    kit: Kit, participant_id: str, key: str | None, draft: ProfileDraft
) -> Document:
    """Embedded first (in a thread, outside any transaction), then stored with it."""
    found = await participant(kit, participant_id, key)
    vectors = await views.embed(handlers.partner_profile(found, draft))
    return await kit.transaction(lambda uow: handlers.publish_profile(uow, found, draft, vectors))


async def set_unavailable(
    kit: Kit, participant_id: str, key: str | None, slots: list[int]
) -> Document:
    found = await participant(kit, participant_id, key)
    return await kit.transaction(lambda uow: handlers.set_unavailable(uow, found, slots))


async def send_request(
    kit: Kit, participant_id: str, key: str | None, draft: RequestDraft
) -> Document:
    found = await participant(kit, participant_id, key)
    request = await kit.transaction(
        lambda uow: handlers.send_request(uow, kit.identity.node, found, draft, handlers.now())
    )
    await count_requests(kit, found["session_id"])
    return request


async def decide(
    kit: Kit, participant_id: str, key: str | None, request_id: str, verb: str
) -> Document:
    found = await participant(kit, participant_id, key)
    request = await kit.transaction(lambda uow: handlers.decide(uow, found, request_id, verb))
    await count_requests(kit, found["session_id"])
    return request


async def others(kit: Kit, found: Document) -> list[Document]:
    """The other participants of the participant's session, as they may be seen."""
    everyone = await store.participants_of(kit.reads(), found["session_id"])
    return [views.public_participant(p) for p in everyone if p["_id"] != found["_id"]]


async def recommendations(kit: Kit, found: Document) -> list[Document]:
    """Partner search over the session's participants' event profiles."""
    if not found.get("profile"):
        return []
    everyone = await store.participants_of(kit.reads(), found["session_id"])
    candidates = [
        (p, handlers.partner_profile(p, p["profile"]))
        for p in everyone
        if p["_id"] != found["_id"] and p.get("profile")
    ]
    seeker = handlers.partner_profile(found, found["profile"])
    return await asyncio.to_thread(views.recommendations, found, seeker, candidates)


async def requests(kit: Kit, found: Document) -> dict[str, Any]:
    reads = kit.reads()
    names = views.as_names(await store.participants_of(reads, found["session_id"]))
    listed = await store.requests_of(reads, found["session_id"])
    return views.requests_by_side(listed, found["_id"], names)


async def agenda(kit: Kit, found: Document) -> tuple[Document, list[Document]]:
    """The participant's session and meetings in time order."""
    session, participants, last = await planning.planned(kit.reads(), found["session_id"])
    names = views.as_names(participants)
    return session, views.agenda(session, last, found["_id"], names)


async def run_schedule(kit: Kit, session_id: str) -> Document:
    """Schedule all: read, solve in a thread (no store turn held), keep the result.

    A change made while the scheduler ran is taken by the next run: the organiser runs
    it again after late changes, and the previous schedule keeps moves few.
    """
    session, participants, requests_now, last = await planning.inputs(kit.reads(), session_id)
    problem = planning.problem_of(session, participants, requests_now, last)
    result = await asyncio.to_thread(planning.solve, problem)
    runs = int((last or {}).get("runs", 0)) + 1
    document = planning.document_of(session, problem, result, planning.accepted(requests_now), runs)
    await kit.transaction(lambda uow: planning.keep(uow, document))
    quality, _ = gauges(kit.metrics.registry)
    quality.labels(session_id).set(document["quality"])
    show_counts(kit, session_id, requests_now)  # the requests just read, not a second read
    return document


async def board(kit: Kit, session_id: str) -> dict[str, Any]:
    """Everything the organiser's staff see of a session."""
    session, participants, requests_now, last = await planning.inputs(kit.reads(), session_id)
    return {
        "brokerage": views.session_view(session),
        "participants": [views.own_participant(p) for p in participants],
        "requests": [views.public_request(r) for r in requests_now],
        "requests_by_state": planning.counts_by_state(requests_now),
        "schedule": last,
        "names": views.as_names(participants),
        "grid": views.board(session, last),
    }


async def table_sheet(kit: Kit, session_id: str, table: int) -> tuple[Document, list[Document]]:
    session, participants, last = await planning.planned(kit.reads(), session_id)
    check_table(session, table)
    return session, views.table_sheet(session, last, table, views.as_names(participants))
