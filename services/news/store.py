"""The news service's collections: own items, and the news a node shows.

Own items (the aggregates, drafts included) live in ``items``. The news a node shows is
one collection, ``news``: the kit's replicas of this node's own items (in full, from its
local channel) and of the items other nodes share (from its feed), each with the scalar
keys its filters and paging read, computed once per item as it arrives (nx-27017 scans
on a match into an array; only ``languages`` and ``tags`` are arrays, matched with
``$in``: docs/store.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from services.news.domain import ItemStatus, NewsItem
from shared.contracts import news as contract
from shared.contracts.base import Event as ContractEvent
from shared.contracts.base import Visibility
from shared.replicas import replica_key
from shared.store import Document, Repository, ServiceDatabase, UnitOfWork, page_keys

ITEMS = "items"
NEWS = "news"
COLLECTIONS = (ITEMS,)
# the replica keys the news filters and paging read (indexed by the kit)
NEWS_INDEXES = ("page", "category", "country", "public", "published", "deadline")
NEWEST = 10**12  # page keys count down from here: newest first in ascending order


async def create_indexes(db: ServiceDatabase) -> None:
    """What the staff's own look-ups use (migration step 1)."""
    await db.collection(ITEMS).create_index([("status", ASCENDING)])


MIGRATIONS = (create_indexes, page_keys(ITEMS))


def compact(moment: str) -> str:
    """An RFC 3339 instant as ``20270318T073000Z``: nx-27017 compares a string that
    starts like an ISO date-time as a date, and a range on it then finds nothing."""
    return moment.replace("-", "").replace(":", "")


def news_keys(event: ContractEvent) -> Document:
    """What the news filters and pages a (replicated) item by.

    ``page`` puts the newest first (published, else last updated), then the item id, so
    it is a unique cursor; ``deadline`` orders funding calls (``~`` for none: after any
    date)."""
    assert isinstance(event, contract.NewsItemState)
    shown = event.published_at or event.updated_at
    seconds = int(datetime.fromisoformat(shown.replace("Z", "+00:00")).timestamp())
    return {
        "page": f"{NEWEST - seconds:013d}|{event.id}",
        "public": event.visibility == Visibility.PUBLIC.value
        and event.status == ItemStatus.PUBLISHED.value,
        "published": event.status == ItemStatus.PUBLISHED.value,
        "category": event.category,
        "country": event.country.upper(),
        "languages": sorted({event.language, *(t.language for t in event.translations)}),
        "tags": sorted(set(event.tags)),
        "shown": compact(shown),
        "deadline": event.funding.deadline.replace("-", "") if event.funding else "~",
    }


@dataclass(frozen=True)
class NewsFilter:
    """What a news request may narrow by; all optional. Dates are ``YYYYMMDD``."""

    category: str | None = None
    network: str | None = None
    country: str | None = None
    language: str | None = None
    tag: str | None = None
    since: str | None = None  # shown on or after this day
    until: str | None = None  # shown before this day
    public_only: bool = True
    published_only: bool = False

    def query(self) -> Document:
        query: Document = {"deleted": False}
        if self.public_only:
            query["keys.public"] = True
        if self.published_only:
            query["keys.published"] = True
        if self.category:
            query["keys.category"] = self.category
        if self.network:
            query["origin"] = self.network
        if self.country:
            query["keys.country"] = self.country.upper()
        if self.language:
            query["keys.languages"] = {"$in": [self.language]}
        if self.tag:
            query["keys.tags"] = {"$in": [self.tag.lower()]}
        shown: Document = {}
        if self.since:
            shown["$gte"] = self.since
        if self.until:
            shown["$lt"] = self.until
        if shown:
            query["keys.shown"] = shown
        return query


class NewsItemRepository(Repository[NewsItem]):
    collection_name = ITEMS
    model = NewsItem

    def to_document(self, aggregate: NewsItem) -> Document:
        """A funding deadline is stored as written (a date: BSON has only date-times)."""
        document = super().to_document(aggregate)
        if document.get("funding"):
            document["funding"]["deadline"] = aggregate.funding.deadline.isoformat()  # type: ignore[union-attr]
        return document


class NewsReads:
    """The news as the projection left it: own items and other nodes' shared ones."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    @property
    def _collection(self) -> AsyncCollection[Document]:
        return self.uow.collection(NEWS)

    async def page(
        self, filters: NewsFilter, after: str | None, limit: int
    ) -> tuple[list[Document], str | None]:
        """One page, newest first, and the cursor of the next."""
        query = filters.query()
        if after:
            query["keys.page"] = {"$gt": after}
        cursor = self._collection.find(query, sort=[("keys.page", ASCENDING)], limit=limit + 1)
        found = [doc async for doc in cursor]
        following = found[limit - 1]["keys"]["page"] if len(found) > limit else None
        return found[:limit], following

    async def by_deadline(self, filters: NewsFilter, limit: int) -> list[Document]:
        """Funding calls, the nearest deadline first."""
        query = {**filters.query(), "keys.category": contract.Category.FUNDING_OPPORTUNITY.value}
        cursor = self._collection.find(
            query, sort=[("keys.deadline", ASCENDING), ("keys.page", ASCENDING)], limit=limit
        )
        return [doc async for doc in cursor]

    async def one(self, origin: str, item_id: str, public_only: bool) -> Document | None:
        query: Document = {"_id": replica_key(origin, item_id), "deleted": False}
        if public_only:
            query["keys.public"] = True
        doc: Document | None = await self._collection.find_one(query)
        return doc


class NewsUnitOfWork(UnitOfWork):
    """The news service's repositories, bound to one transaction (or to none)."""

    @cached_property
    def items(self) -> NewsItemRepository:
        return NewsItemRepository(self)

    @cached_property
    def news(self) -> NewsReads:
        return NewsReads(self)
