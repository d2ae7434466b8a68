"""Where translation requests are kept, on the owner's node and on its partners'.

- ``translation_requests`` (owner): the ``TranslationRequest`` aggregates, submissions
  included. A live request (not accepted, not closed) stores ``live_key`` =
  ``<item>|<language>``, unique: a second live request for the same item and language is
  a 409 naming ``language``.
- ``translation_request_replicas`` (every partner): the kit's replicas of the partners'
  requests, from the feed, with the keys the console filters by.
- ``translation_claims`` (claimer): the claims this node's staff made on partners'
  requests, and what they submitted, keyed like a replica (``<origin>:<request id>``).
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from services.news.translations import LIVE, TranslationRequest
from shared.contracts import news as news_contract
from shared.contracts.base import Event as ContractEvent
from shared.contracts.news_translations import TranslationRequestState
from shared.errors import Duplicate
from shared.news import compact
from shared.replicas import Replicas, replica_key
from shared.store import Document, Repository, ServiceDatabase, UnitOfWork

REQUESTS = "translation_requests"
REPLICAS = "translation_request_replicas"
CLAIMS = "translation_claims"
COLLECTIONS = (REQUESTS, CLAIMS)
REPLICA_INDEXES = ("status", "page")
LISTED = 500  # a console's list: the newest this many


async def create_indexes(db: ServiceDatabase) -> None:
    """One live request per item and language; lapsed claims found by time (migration)."""
    requests = db.collection(REQUESTS)
    await requests.create_index([("live_key", ASCENDING)], unique=True, sparse=True)
    await requests.create_index([("claimed_until", ASCENDING)])
    await requests.create_index([("requested_at", ASCENDING)])


MIGRATIONS = (create_indexes,)


def request_keys(event: ContractEvent) -> Document:
    """What a partner's console filters and orders the replicated requests by."""
    assert isinstance(event, TranslationRequestState)
    return {"status": event.status, "page": compact(event.requested_at)}


REQUEST_REPLICAS = Replicas(
    REPLICAS,
    news_contract.CATALOGUE,
    "request",
    keys=request_keys,
    alliance=True,
    indexes=REPLICA_INDEXES,
)
"""Partners' requests, from the feed: what a partner's console lists (never own ones:
the owner reads its aggregates)."""


class TranslationRequestRepository(Repository[TranslationRequest]):
    """The owner's requests, bound to a unit of work."""

    collection_name = REQUESTS
    model = TranslationRequest

    def keys(self, aggregate: TranslationRequest) -> Document:
        """``live_key`` only while live: the unique index then frees it."""
        if aggregate.status not in LIVE:
            return {}
        return {"live_key": f"{aggregate.item_id}|{aggregate.language}"}

    async def refused(self, aggregate: TranslationRequest) -> Exception:
        return Duplicate(
            f"a translation of this item into {aggregate.language!r} is requested already",
            "language",
        )

    async def lapsing(self, now: datetime) -> list[TranslationRequest]:
        """Requests whose claim is past its time (the periodic task lapses them)."""
        return await self.find({"claimed_until": {"$lt": now}, "deleted": False})

    async def newest(self) -> list[TranslationRequest]:
        """The owner's console: its requests, newest first."""
        return await self.find(
            {"deleted": False}, sort=[("requested_at", DESCENDING)], limit=LISTED
        )


def requests(uow: UnitOfWork) -> TranslationRequestRepository:
    """The requests repository of ``uow`` (the news unit of work names only items)."""
    return TranslationRequestRepository(uow)


async def partners_requests(uow: UnitOfWork, status: str | None) -> list[Document]:
    """Partners' requests from the replicas (``status`` narrows), oldest first: the one
    waiting longest is the first a translator sees."""
    query: Document = {"deleted": False}
    if status:
        query["keys.status"] = status
    cursor = uow.collection(REPLICAS).find(query, sort=[("keys.page", ASCENDING)], limit=LISTED)
    return [doc async for doc in cursor]


async def partner_request(uow: UnitOfWork, origin: str, request_id: str) -> Document | None:
    """One partner's request as the replica holds it."""
    found: Document | None = await uow.collection(REPLICAS).find_one(
        {"_id": replica_key(origin, request_id), "deleted": False}
    )
    return found


async def my_claims(uow: UnitOfWork) -> list[Document]:
    """The claims this node's staff made, newest first."""
    cursor = uow.collection(CLAIMS).find({}, sort=[("claimed_at", DESCENDING)], limit=LISTED)
    return [doc async for doc in cursor]


async def my_claim(uow: UnitOfWork, origin: str, request_id: str) -> Document | None:
    found: Document | None = await uow.collection(CLAIMS).find_one(
        {"_id": replica_key(origin, request_id)}, session=uow.session
    )
    return found


async def record_claim(uow: UnitOfWork, origin: str, request_id: str, changes: Document) -> bool:
    """Change this node's record of a claim (an answer arrived); False if none exists."""
    result = await uow.collection(CLAIMS).update_one(
        {"_id": replica_key(origin, request_id)}, {"$set": changes}, session=uow.session
    )
    return result.matched_count > 0
