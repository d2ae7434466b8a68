"""The twice-a-year promise on the hub: every pair of member networks, counted.

Bucharest Declaration §1: each network communicates its partners' activities at least
twice a year. The portal reads its replicas of every network's shared news items (the
alliance's news, ``services/portal/news.py``), keeps replicas of the digests they issued
(``DigestIssued``: the featured ``(origin, item)`` pairs only), and counts with
``shared/promise.py`` what each network told its members about each other in the last
365 days: translations it made of a partner's item, a partner's items in its
digests, its items about a partner. ``/promise`` shows the matrix (row: who
communicated, column: about whom) and every pair with both directions and whether it
keeps the promise (both at least two items); ``GET /api/promise`` gives the same as JSON.

Who may see it: anyone. It shows counts, network names and nothing of an item but its
existence: the items themselves are each node's to show. Nobody changes it: it follows
from the events the nodes share (a withdrawn item stops counting).
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from services.portal.calendar import instant
from services.portal.news import ALLIANCE_NEWS
from services.portal.store import PortalUnitOfWork
from shared.contracts import news
from shared.contracts.base import Event
from shared.contracts.news_digests import DigestIssued
from shared.instants import from_wire, wire_time
from shared.promise import (
    MINIMUM,
    WINDOW,
    Mention,
    Pair,
    count,
    digest_mentions,
    item_mentions,
    pairs,
)
from shared.replicas import Replicas
from shared.service import ServiceKit
from shared.store import Document
from shared.web.layer import WebLayer

Kit = ServiceKit[PortalUnitOfWork]
DIGESTS = "news_digests"  # every network's issued digests (what they featured)


def digest_keys(event: Event) -> Document:
    """When a digest was issued, compact (nx-27017 ranges: docs/store.md)."""
    assert isinstance(event, DigestIssued)
    return {"issued": instant(from_wire(event.issued_at))}


REPLICAS = (Replicas(DIGESTS, news.CATALOGUE, "digest", keys=digest_keys, indexes=("issued",)),)


async def mentions(uow: PortalUnitOfWork, now: datetime) -> list[Mention]:
    """Every mention the hub's replicas hold that may fall in the window up to ``now``.

    An item unchanged since before the window can hold no mention in it (publishing or
    adding a translation changes ``updated_at``, a plain RFC 3339 instant, which
    nx-27017 compares as MongoDB does), so only newer ones are read.
    """
    since = now - WINDOW
    found: list[Mention] = []
    recent = {"deleted": False, "data.updated_at": {"$gte": wire_time(since)}}
    async for doc in uow.collection(ALLIANCE_NEWS).find(recent):
        found += item_mentions(doc["origin"], news.NewsItemState.model_validate(doc["data"]))
    issued_since = {"deleted": False, "keys.issued": {"$gte": instant(since)}}
    digests = uow.collection(DIGESTS).find(issued_since)
    async for doc in digests:
        issued = DigestIssued.model_validate(doc["data"])
        if issued.network == doc["origin"]:  # a digest speaks for its own network only
            found += digest_mentions(issued)
    return found


async def matrix(kit: Kit, now: datetime) -> dict[str, Any]:
    """The member networks (registry order: by name) and every pair, counted."""
    reads = kit.reads()
    networks = await reads.portal.networks()
    nodes = [n["node"] for n in networks]
    counts = count(await mentions(reads, now), now)
    return {
        "networks": [{"node": n["node"], "name": n["name"]} for n in networks],
        "counts": counts,
        "pairs": pairs(nodes, counts),
        "minimum": MINIMUM,
        "window_days": WINDOW.days,
        "as_of": now,
    }


def pair_json(pair: Pair) -> dict[str, Any]:
    return {
        "networks": [pair.first, pair.second],
        "forth": pair.forth.summary(),
        "back": pair.back.summary(),
        "kept": pair.kept,
    }


def promise_api(kit: Kit) -> APIRouter:
    """GET /api/promise: the matrix as JSON (for anyone: counts only)."""
    api = APIRouter(prefix="/api", tags=["portal"])

    @api.get("/promise")
    async def promise_matrix() -> dict[str, Any]:
        """Every pair of member networks: items each communicated of the other in 365
        days, by kind, and whether the pair keeps the twice-a-year promise."""
        found = await matrix(kit, datetime.now(UTC))
        return {
            "networks": found["networks"],
            "pairs": [pair_json(pair) for pair in found["pairs"]],
            "minimum": found["minimum"],
            "window_days": found["window_days"],
            "as_of": found["as_of"].isoformat(),
        }

    return api


def promise_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/promise: the matrix and the pairs, as tables a screen reader can walk."""
    pages = APIRouter(include_in_schema=False)

    @pages.get("/promise")
    async def promise_page(request: Request) -> Response:
        found = await matrix(kit, datetime.now(UTC))
        return web.render(request, "portal/promise.html", found)

    return pages
