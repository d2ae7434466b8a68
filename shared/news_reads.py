"""The queries on a collection of news item replicas (``shared/news.py``'s keys).

A node's news service reads its ``news`` collection with them, the hub portal its
replicas of every network's items: one page, newest first, with a cursor; funding calls
by deadline; one item.
"""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from shared.contracts import news as contract
from shared.news import NewsFilter
from shared.replicas import page_of_replicas, replica_key
from shared.store import Document, UnitOfWork


class NewsReads:
    """The news as the projection left it in one collection."""

    def __init__(self, uow: UnitOfWork, collection: str) -> None:
        self.uow = uow
        self.collection_name = collection

    @property
    def _collection(self) -> AsyncCollection[Document]:
        return self.uow.collection(self.collection_name)

    async def page(
        self, filters: NewsFilter, after: str | None, limit: int
    ) -> tuple[list[Document], str | None]:
        """One page, newest first, and the cursor of the next."""
        return await page_of_replicas(self._collection, filters.query(), after, limit)

    async def by_deadline(
        self, filters: NewsFilter, limit: int, open_on: str | None = None
    ) -> list[Document]:
        """Funding calls, the nearest deadline first; with ``open_on`` (``YYYYMMDD``)
        only those still open that day."""
        query = {**filters.query(), "keys.category": contract.Category.FUNDING_OPPORTUNITY.value}
        if open_on:
            query["keys.deadline"] = {"$gte": open_on}
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
