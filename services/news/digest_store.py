"""The digests' collections, and what a digest and the promise read of the node's news.

- ``digests``: this node's issued digests (``Digest`` aggregates: what each showed);
- ``digest_replicas``: the partners' ``DigestIssued`` (their featured pairs only), so a
  node's own row also says how often each partner featured it;
- the items come from the news service's ``news`` collection (own items and the
  partners' shared ones, ``services/news/store.py``), through its filter keys.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from services.news.digests import Candidate, Digest, Period
from services.news.store import NEWS
from shared.contracts import news as contract
from shared.contracts.news_digests import DigestIssued
from shared.instants import wire_time
from shared.news import NewsFilter, compact
from shared.promise import WINDOW, Mention, digest_mentions, item_mentions
from shared.replicas import Replicas
from shared.store import Document, Repository, UnitOfWork

DIGESTS = "digests"
DIGEST_REPLICAS = "digest_replicas"
COLLECTIONS = (DIGESTS,)
MAX_CANDIDATES = 500  # items of one period a digest is built from (a quarter at most)


def digest_keys(event: contract.Event) -> Document:
    """When a partner's digest was issued, compact (nx-27017 ranges: docs/store.md)."""
    assert isinstance(event, DigestIssued)
    return {"issued": compact(event.issued_at)}


REPLICAS = (
    Replicas(DIGEST_REPLICAS, contract.CATALOGUE, "digest", keys=digest_keys, indexes=("issued",)),
)


class DigestRepository(Repository[Digest]):
    collection_name = DIGESTS
    model = Digest

    async def newest(self, limit: int) -> list[Digest]:
        return await self.find({"deleted": False}, sort=[("issued_at", DESCENDING)], limit=limit)


def digests(uow: UnitOfWork) -> DigestRepository:
    """This node's digests in ``uow`` (the news unit of work knows nothing of them)."""
    return DigestRepository(uow)


async def candidates(uow: UnitOfWork, period: Period) -> list[Candidate]:
    """Every public, published item the node holds that was first shown in the period."""
    first, after = period.bounds()
    query = NewsFilter(
        since=compact(first), until=compact(after), public_only=True, published_only=True
    ).query()
    cursor = uow.collection(NEWS).find(query, sort=[("keys.page", ASCENDING)], limit=MAX_CANDIDATES)
    return [
        Candidate(doc["origin"], contract.NewsItemState.model_validate(doc["data"]))
        async for doc in cursor
    ]


async def mentions(uow: UnitOfWork, now: datetime) -> list[Mention]:
    """What the node knows of the promise: its items (own and partners', with the
    translations in them), its own digests and the partners' ones, as the hub reads
    them: only items changed within the window (``data.updated_at``, a plain RFC 3339
    instant: a translation added revises the item) can hold a mention in it."""
    since = wire_time(now - WINDOW)
    found: list[Mention] = []
    recent = {"deleted": False, "keys.published": True, "data.updated_at": {"$gte": since}}
    async for doc in uow.collection(NEWS).find(recent):
        found += item_mentions(doc["origin"], contract.NewsItemState.model_validate(doc["data"]))
    for digest in await digests(uow).find({"deleted": False}):  # a few a month
        found += digest_mentions(digest.issued())
    partners = uow.collection(DIGEST_REPLICAS).find(
        {"deleted": False, "keys.issued": {"$gte": compact(since)}}
    )
    async for doc in partners:
        issued = DigestIssued.model_validate(doc["data"])
        if issued.network == doc["origin"]:  # a digest speaks for its own network only
            found += digest_mentions(issued)
    return found
