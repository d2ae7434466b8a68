"""Where position papers are kept: own papers, papers to co-sign, published papers.

- ``papers``: this node's own papers (the ``PositionPaper`` aggregates), drafts included,
  with their co-signers and signatures; only the owner's staff read it.
- ``papers_to_sign``: invitations this node received, one per paper (``<origin>:<id>``),
  holding the exact text and hash last sent, and this node's answer; only its staff read
  it.
- ``papers_published``: the kit's replicas of every published paper, this node's own
  (from its local channel) and the other nodes' (from its feed), keyed ``<origin>:<id>``:
  what the public pages and ``GET /api/news/papers`` read.
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING

from services.news.papers import PositionPaper
from shared.contracts import news
from shared.contracts.base import Event
from shared.contracts.news_papers import PositionPaperPublished
from shared.replicas import Replicas, replica_key
from shared.store import Document, Repository, ServiceDatabase, UnitOfWork

PAPERS = "papers"
TO_SIGN = "papers_to_sign"
PUBLISHED = "papers_published"
COLLECTIONS = (PAPERS, TO_SIGN)


async def create_indexes(db: ServiceDatabase) -> None:
    """Staff lists: own papers by time, invitations by status (migration step)."""
    await db.collection(PAPERS).create_index([("updated_at", DESCENDING)])
    await db.collection(TO_SIGN).create_index([("status", ASCENDING)])


def published_keys(event: Event) -> Document:
    """What the list of published papers sorts and filters by."""
    assert isinstance(event, PositionPaperPublished)
    return {"published": event.published_at, "language": event.language}


REPLICAS = Replicas(
    PUBLISHED,
    news.CATALOGUE,
    "paper",
    keys=published_keys,
    own=True,
    alliance=True,
    indexes=("published",),
)


class PaperRepository(Repository[PositionPaper]):
    """This node's own papers."""

    collection_name = PAPERS
    model = PositionPaper

    async def newest_first(self, limit: int = 200) -> list[PositionPaper]:
        return await self.find({"deleted": False}, sort=[("updated_at", -1)], limit=limit)


async def published_papers(uow: UnitOfWork, limit: int = 200) -> list[Document]:
    """Published papers, newest first (replicas: ``data`` holds the event)."""
    cursor = uow.collection(PUBLISHED).find(
        {"deleted": False}, sort=[("keys.published", DESCENDING)], limit=limit
    )
    return [doc async for doc in cursor]


async def published_paper(uow: UnitOfWork, origin: str, paper_id: str) -> Document | None:
    """One published paper by its owner and id, or None."""
    found: Document | None = await uow.collection(PUBLISHED).find_one(
        {"_id": replica_key(origin, paper_id), "deleted": False}
    )
    return found


async def invitations_received(uow: UnitOfWork) -> list[Document]:
    """Papers this node was asked to co-sign, those still waiting for an answer first."""
    cursor = uow.collection(TO_SIGN).find({}, sort=[("invited_at", DESCENDING)])
    found = [doc async for doc in cursor]
    return sorted(found, key=lambda doc: doc["status"] != "asked")


async def invitation(uow: UnitOfWork, origin: str, paper_id: str) -> Document | None:
    found: Document | None = await uow.collection(TO_SIGN).find_one(
        {"_id": replica_key(origin, paper_id)}, session=uow.session
    )
    return found
