"""The news service's collections: own items, and the news a node shows.

Own items (the aggregates, drafts included) live in ``items``. The news a node shows is
one collection, ``news``: the kit's replicas of this node's own items (in full, from its
local channel) and of the items other nodes share (from its feed), each with the scalar
keys its filters and paging read, computed once per item as it arrives (nx-27017 scans
on a match into an array; only ``languages`` and ``tags`` are arrays, matched with
``$in``: docs/store.md). The keys, filters and reads are shared with the hub portal
(``shared/news.py``, ``shared/news_reads.py``).
"""

from __future__ import annotations

from functools import cached_property

from pymongo import ASCENDING

from services.news.domain import NewsItem
from shared.news_reads import NewsReads
from shared.store import Document, Repository, ServiceDatabase, UnitOfWork, page_keys

ITEMS = "items"
NEWS = "news"
COLLECTIONS = (ITEMS,)
# the replica keys the news filters and paging read (indexed by the kit)
NEWS_INDEXES = ("page", "category", "country", "public", "published", "deadline")


async def create_indexes(db: ServiceDatabase) -> None:
    """What the staff's own look-ups use (migration step 1)."""
    await db.collection(ITEMS).create_index([("status", ASCENDING)])


MIGRATIONS = (create_indexes, page_keys(ITEMS))


class NewsItemRepository(Repository[NewsItem]):
    collection_name = ITEMS
    model = NewsItem

    def to_document(self, aggregate: NewsItem) -> Document:
        """A funding deadline is stored as written (a date: BSON has only date-times)."""
        document = super().to_document(aggregate)
        if document.get("funding"):
            document["funding"]["deadline"] = aggregate.funding.deadline.isoformat()  # type: ignore[union-attr]
        return document


class NewsUnitOfWork(UnitOfWork):
    """The news service's repositories, bound to one transaction (or to none)."""

    @cached_property
    def items(self) -> NewsItemRepository:
        return NewsItemRepository(self)

    @cached_property
    def news(self) -> NewsReads:
        return NewsReads(self, NEWS)
