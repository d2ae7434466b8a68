"""The alliance's published position papers on the hub (Declaration §4).

Every network's ``PositionPaperPublished`` arrives on ALLIANCE; the portal keeps one
replica per paper (a published paper is final: its event is the only one of its
aggregate). ``/papers`` lists them, newest first; ``/papers/{origin}/{id}`` shows the
text, its hash and every signatory under the name the hub's registry admitted it with,
each signature verified **by the hub** against the key its own registry holds for that
node (``shared/paper_signatures.py``: the same check as a node's and as
``alliance verify-paper``). A signature the hub cannot verify (a key it does not hold, a
signature or a text that does not match) is shown as not verified, with the reason.
``GET /api/papers/{origin}/{id}`` is the same JSON as a node's
``GET /api/news/papers/{origin}/{id}``, so a download checks offline.

Who may see what: anyone; published papers only (drafts and invitations never leave the
owner's and the invited nodes). Nobody changes anything here.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from typing import Any

from fastapi import APIRouter, Request, Response
from pymongo import DESCENDING

from services.portal.news import networks
from services.portal.store import PortalUnitOfWork
from shared.contracts import news
from shared.contracts.base import Event
from shared.contracts.news_papers import PositionPaperPublished
from shared.errors import NotFound
from shared.http import problem_responses
from shared.paper_signatures import named, reader_view, summary_view
from shared.replicas import Replicas, replica_key
from shared.service import ServiceKit
from shared.store import Document
from shared.web.layer import WebLayer

Kit = ServiceKit[PortalUnitOfWork]
ALLIANCE_PAPERS = "alliance_papers"  # every network's published position papers
LIST_SIZE = 200


def paper_keys(event: Event) -> Document:
    """What the list sorts by: when the paper was published."""
    assert isinstance(event, PositionPaperPublished)
    return {"published": event.published_at}


PAPERS_REPLICA = Replicas(
    ALLIANCE_PAPERS, news.CATALOGUE, "paper", keys=paper_keys, indexes=("published",)
)


async def published(kit: Kit) -> list[Document]:
    """The published papers the hub holds, newest first."""
    cursor = (
        kit.reads()
        .collection(ALLIANCE_PAPERS)
        .find({"deleted": False}, sort=[("keys.published", DESCENDING)], limit=LIST_SIZE)
    )
    return [doc async for doc in cursor]


async def paper(kit: Kit, origin: str, paper_id: str) -> dict[str, Any]:
    """One published paper with the hub's verdict on each signature (404: none)."""
    found: Document | None = (
        await kit.reads()
        .collection(ALLIANCE_PAPERS)
        .find_one({"_id": replica_key(origin, paper_id), "deleted": False})
    )
    if found is None:
        raise NotFound(f"no published position paper {paper_id!r} of {origin!r}", "id")
    return reader_view(found, kit.context.keyring)


def papers_api(kit: Kit) -> APIRouter:
    """``GET /api/papers/{origin}/{id}``: a published paper as a node's API gives it."""
    api = APIRouter(prefix="/api/papers", tags=["portal: position papers"])

    @api.get("/{origin}/{paper_id}", responses=problem_responses(404))
    async def read_paper(origin: str, paper_id: str) -> dict[str, Any]:
        """A published paper: text, hash, signatories with each signature's ``verified``
        as the hub finds it. Save it to check it offline with ``alliance verify-paper``."""
        return await paper(kit, origin, paper_id)

    return api


def papers_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/papers (every published paper) and /papers/{origin}/{id} (one, verified)."""
    pages = APIRouter(include_in_schema=False)

    @pages.get("/papers")
    async def papers_page(request: Request) -> Response:
        known = await networks(kit)
        found = [summary_view(doc, known) for doc in await published(kit)]
        return web.render(request, "portal/papers.html", {"papers": found})

    @pages.get("/papers/{origin}/{paper_id}")
    async def paper_page(request: Request, origin: str, paper_id: str) -> Response:
        shown = named(await paper(kit, origin, paper_id), await networks(kit))
        return web.render(request, "portal/paper.html", {"paper": shown})

    return pages
