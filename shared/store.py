"""A service's MongoDB database: unit of work, session-bound repositories, outbox.

The unit of work commits a state change and the events it caused in one transaction, so
a crash can never lose an event or publish one for a change that did not happen. The
aggregates a repository saved hand over their recorded events at commit; the outbox
relay (``shared.relay``) publishes them afterwards::

    async def register_organization(draft, uow) -> Organization:
        org = Organization.register(...)       # records OrganizationRegistered
        await uow.organizations.save(org)      # same session, tracked for its events
        return org

    org = await kit.transaction(lambda uow: register_organization(draft, uow))

Differences of the embedded store (nx-27017) are handled here, once: its transactions
share one SQLite connection per database, so writes take turns, but only on nx-27017
(``ServiceDatabase.prepare`` asks the server which it is); on MongoDB they run
concurrently and a transaction that meets a write conflict is run again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from shared.aggregate import Aggregate, Recorded
from shared.contracts.base import Event
from shared.contracts.catalogue import EventCatalogue
from shared.contracts.direct import DirectCatalogue
from shared.errors import Duplicate
from shared.identity import NodeIdentity
from shared.subjects import Channel, is_valid_node_id

log = logging.getLogger(__name__)

OUTBOX = "outbox"
DIRECT_OUTBOX = "direct_outbox"  # messages to one other node each (shared.direct)
PROCESSED = "processed"
SCHEMA = "migrations"
DUPLICATE_KEY = 11000
TRANSACTION_ATTEMPTS = 5
NX27017 = "nx_27017"
# A copy of ``_id`` that pages are cut on: nx-27017 answers ``_id > x`` by scanning the
# whole collection (~450 ms at 10,000 organisations), an indexed field in ~2 ms.
PAGE_KEY = "page_key"

Document = dict[str, Any]
A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")
Migration = Callable[["ServiceDatabase"], Awaitable[None]]


def database_name(node: str, service: str) -> str:
    """Each service of each node owns one database (dashes are not welcome in its name)."""
    return f"{node.replace('-', '_')}_{service}"


class ServiceDatabase:
    """One service's own database; no other service reads or writes it."""

    def __init__(self, client: AsyncMongoClient[Document], name: str) -> None:
        self.client = client
        self.name = name
        self.db: AsyncDatabase[Document] = client[name]
        self._after_commit: list[Callable[[], None]] = []
        self._turns: asyncio.Lock | None = None
        self.embedded = False

    def collection(self, name: str) -> AsyncCollection[Document]:
        return self.db[name]

    @property
    def outbox(self) -> AsyncCollection[Document]:
        return self.db[OUTBOX]

    @property
    def direct_outbox(self) -> AsyncCollection[Document]:
        return self.db[DIRECT_OUTBOX]

    @property
    def processed(self) -> AsyncCollection[Document]:
        return self.db[PROCESSED]

    async def prepare(self, *collections: str) -> None:
        """Learn which server this is, and create every collection up front.

        On nx-27017 a read of a collection that does not exist yet answers early and
        drops the transaction it was part of (docs/store.md), so every collection a
        service uses must exist before its first unit of work.
        """
        info = await self.client.admin.command("buildInfo")
        self.embedded = info.get("process") == NX27017
        self._turns = asyncio.Lock() if self.embedded else None
        existing = set(await self.db.list_collection_names())
        for name in (OUTBOX, DIRECT_OUTBOX, PROCESSED, SCHEMA, *collections):
            if name not in existing:
                await self.db.create_collection(name)

    def writing(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold this while writing: a turn on nx-27017, nothing on MongoDB.

        nx-27017 runs every transaction of a database on one SQLite connection: two open
        at once nest, and a plain write made meanwhile joins the open one (docs/store.md).
        """
        return self._turns if self._turns is not None else contextlib.nullcontext()

    async def migrate(self, name: str, steps: Sequence[Migration]) -> None:
        """Run each step once per database, in order (indexes, data migrations).

        nx-27017 refuses to create an existing text index again once data is stored, and
        does not list text indexes, so we record how many steps ran instead of re-asking.
        Add a step to change the schema; never edit one that has shipped.
        """
        done = await self.db[SCHEMA].find_one({"_id": name})
        ran = int(done["steps"]) if done else 0
        for step in steps[ran:]:
            await step(self)
            ran += 1
            await self.db[SCHEMA].replace_one(
                {"_id": name}, {"_id": name, "steps": ran}, upsert=True
            )

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after every successful commit (the relay's wake-up)."""
        self._after_commit.append(callback)

    def committed(self) -> None:
        for callback in self._after_commit:
            callback()

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncClientSession]:
        """A transaction of its own (with a turn on nx-27017), aborted unless committed."""
        async with self.writing():
            session = self.client.start_session()
            try:
                await session.start_transaction()
                yield session
            finally:
                if session.in_transaction:
                    await session.abort_transaction()
                await session.end_session()


@dataclass(frozen=True)
class Outbox:
    """Turns recorded changes into outbox documents: sealed for both channels."""

    identity: NodeIdentity
    catalogue: EventCatalogue

    def document(self, change: Recorded) -> Document:
        """One outbox entry per change: its local event and, if any, its alliance view.

        Raises ``TooLarge`` (HTTP 413) when an event exceeds ``MAX_EVENT_BYTES``; the
        transaction is then aborted and nothing is stored.
        """
        local = self.catalogue.seal(self.identity, Channel.LOCAL, change.event, change.version)
        messages = [message(local.subject, local.id, local.publishable_bytes())]
        if change.shared is not None:
            shared = self.catalogue.seal(
                self.identity, Channel.ALLIANCE, change.shared, change.version
            )
            messages.append(message(shared.subject, shared.id, shared.publishable_bytes()))
        return {"_id": local.id, "messages": messages, "created": datetime.now(UTC)}


@dataclass(frozen=True)
class DirectOutbox:
    """Turns a message to one other node into a direct-outbox document, sealed."""

    identity: NodeIdentity
    catalogue: DirectCatalogue

    def document(self, target: str, message: Event) -> Document:
        """One entry per message; ``_id`` (the envelope id) sorts in the order they were
        sent, which the relay keeps per target.

        Raises ``ValueError`` for a target that is not another node's id, and
        ``TooLarge`` (HTTP 413) for a message over ``MAX_EVENT_BYTES``.
        """
        if not is_valid_node_id(target) or target == self.identity.node:
            raise ValueError(f"a direct message goes to another node, not to {target!r}")
        envelope = self.catalogue.seal(self.identity, target, message)
        return {
            "_id": envelope.id,
            "target": target,
            "subject": envelope.subject,
            "body": envelope.publishable_bytes(),
            "created": datetime.now(UTC),
        }


def message(subject: str, msg_id: str, body: bytes) -> Document:
    """One message of an outbox entry, as the relay publishes it."""
    return {"subject": subject, "id": msg_id, "body": body}


class UnitOfWork:
    """One transaction over a service's repositories; no commit, no change.

    A service subclasses it to name its repositories (``uow.organizations``). Outside a
    transaction (``ServiceKit.reads()``) the same repositories read without a session
    and refuse to save.
    """

    def __init__(
        self,
        database: ServiceDatabase,
        outbox: Outbox | None = None,
        direct: DirectOutbox | None = None,
    ) -> None:
        self.database = database
        self.outbox = outbox
        self.direct = direct
        self._letters: list[Document] = []
        self.session: AsyncClientSession | None = None
        self._seen: list[Aggregate] = []
        self._inserts: dict[Repository[Any], list[Any]] = {}
        self._stack: contextlib.AsyncExitStack | None = None

    async def __aenter__(self) -> Self:
        self._stack = contextlib.AsyncExitStack()
        self.session = await self._stack.enter_async_context(self.database.session())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._stack is not None
        await self._stack.__aexit__(exc_type, exc, tb)
        self.session = None

    def collection(self, name: str) -> AsyncCollection[Document]:
        return self.database.collection(name)

    def track(self, aggregate: Aggregate) -> None:
        """Remember a saved aggregate, to collect its events at commit."""
        if self.session is None:
            raise RuntimeError("saving needs a transaction: use ServiceKit.transaction")
        if all(seen is not aggregate for seen in self._seen):
            self._seen.append(aggregate)

    def stage_insert(self, repository: Repository[A], aggregate: A) -> None:
        """Queue a new aggregate; all of a repository's are inserted in one go at commit."""
        self.track(aggregate)
        self._inserts.setdefault(repository, []).append(aggregate)

    def send(self, target: str, message: Event) -> None:
        """Send ``message`` to node ``target`` if, and only if, this transaction commits.

        It is written to the direct outbox with the rest of the transaction; the relay
        (``shared.direct``) delivers it to the target's inbox, however long that node is
        away, in the order this node sent its messages to it.
        """
        if self.session is None:
            raise RuntimeError("sending needs a transaction: use ServiceKit.transaction")
        if self.direct is None:
            raise RuntimeError("this service declares no direct messages to send")
        self._letters.append(self.direct.document(target, message))

    async def first_time(self, event_id: str) -> bool:
        """Record that an inbound event is handled; False if it was handled before.

        The tracking record commits with the handler's changes, so a redelivered command
        changes nothing the second time.
        """
        result = await self.database.processed.update_one(
            {"_id": event_id},
            {"$setOnInsert": {"handled_at": datetime.now(UTC)}},
            upsert=True,
            session=self.session,
        )
        return result.upserted_id is not None

    async def commit(self) -> None:
        assert self.session is not None
        inserts, self._inserts = self._inserts, {}
        for repository, aggregates in inserts.items():
            await repository.insert_all(aggregates)
        changes = [change for aggregate in self._seen for change in aggregate.collect_events()]
        if changes:
            if self.outbox is None:
                raise RuntimeError("this service declares no event catalogue to announce with")
            await self.database.outbox.insert_many(
                [self.outbox.document(change) for change in changes], session=self.session
            )
        letters, self._letters = self._letters, []
        if letters:
            await self.database.direct_outbox.insert_many(letters, session=self.session)
        await self.session.commit_transaction()
        self._seen.clear()
        self.database.committed()


U = TypeVar("U", bound=UnitOfWork)


async def in_transaction(make: Callable[[], U], work: Callable[[U], Awaitable[T]]) -> T:
    """Run ``work`` in a fresh unit of work and commit; run it again on a write conflict.

    MongoDB aborts one of two transactions that touch the same document
    (``TransientTransactionError``); running the whole work again is the documented
    answer. ``work`` must therefore only change the store through ``uow``.
    """
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            async with make() as uow:
                result = await work(uow)
                await uow.commit()
            return result
        except PyMongoError as exc:
            if not exc.has_error_label("TransientTransactionError") or (
                attempt == TRANSACTION_ATTEMPTS
            ):
                raise
            log.info("transaction conflict, running it again (%d): %s", attempt, exc)
    raise AssertionError("unreachable")


def page_keys(*collections: str) -> Migration:
    """A migration step: documents stored before ``PAGE_KEY`` get it, and it is indexed."""

    async def step(db: ServiceDatabase) -> None:
        for name in collections:
            collection = db.collection(name)
            async for document in collection.find({PAGE_KEY: {"$exists": False}}, {"_id": 1}):
                await collection.update_one(
                    {"_id": document["_id"]}, {"$set": {PAGE_KEY: document["_id"]}}
                )
            await collection.create_index([(PAGE_KEY, ASCENDING)])

    return step


class Repository(Generic[A]):
    """An aggregate's collection, bound to a unit of work's session.

    Subclasses name the collection and the model, and may add stored keys for indexes
    (``keys``) and queries; everything a handler reads inside a transaction goes through
    the session, so a write outside the transaction cannot happen by accident.
    """

    collection_name: ClassVar[str]
    model: type[A]

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    @cached_property
    def collection(self) -> AsyncCollection[Document]:
        return self.uow.collection(self.collection_name)

    @property
    def session(self) -> AsyncClientSession | None:
        return self.uow.session

    def keys(self, aggregate: A) -> Document:
        """Stored fields for look-ups that are not part of the aggregate (none by default)."""
        return {}

    def to_document(self, aggregate: A) -> Document:
        return {
            **aggregate.model_dump(mode="python", exclude={"id"}),
            **self.keys(aggregate),
            "_id": aggregate.id,
            PAGE_KEY: aggregate.id,
        }

    def from_document(self, document: Document) -> A:
        fields = {name: document[name] for name in self.model.model_fields if name in document}
        return self.model.model_validate({**fields, "id": document["_id"]})

    async def get(self, aggregate_id: str) -> A | None:
        document = await self.collection.find_one({"_id": aggregate_id}, session=self.session)
        return self.from_document(document) if document else None

    async def find(
        self, query: Document, *, sort: list[tuple[str, int]] | None = None, limit: int = 0
    ) -> list[A]:
        cursor = self.collection.find(query, sort=sort, limit=limit, session=self.session)
        return [self.from_document(document) async for document in cursor]

    async def page(
        self, query: Document, after: str | None, limit: int
    ) -> tuple[list[A], str | None]:
        """One page in id order, and the cursor of the next (None on the last page)."""
        if after:
            query = {**query, PAGE_KEY: {"$gt": after}}
        found = await self.find(query, sort=[(PAGE_KEY, 1)], limit=limit + 1)
        return found[:limit], (found[limit - 1].id if len(found) > limit else None)

    def add(self, aggregate: A) -> None:
        """A new aggregate: inserted at commit, together with the others added meanwhile.

        A bulk insert is one round trip for a whole chunk of a CSV import instead of one
        per row; a clash with a unique index surfaces at commit, through ``refused``.
        """
        self.uow.stage_insert(self, aggregate)

    async def insert_all(self, aggregates: list[A]) -> None:
        try:
            await self.collection.insert_many(
                [self.to_document(aggregate) for aggregate in aggregates],
                ordered=True,
                session=self.session,
            )
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if errors and errors[0].get("code") == DUPLICATE_KEY:
                raise await self.refused(aggregates[errors[0]["index"]]) from exc
            raise

    async def save(self, aggregate: A) -> None:
        """Write the aggregate in this transaction; its recorded events commit with it."""
        self.uow.track(aggregate)
        try:
            await self.collection.replace_one(
                {"_id": aggregate.id},
                self.to_document(aggregate),
                upsert=True,
                session=self.session,
            )
        except DuplicateKeyError as exc:
            raise await self.refused(aggregate) from exc

    async def refused(self, aggregate: A) -> Exception:
        """What to tell when ``aggregate`` clashes with a unique index (a store adapter's
        unique look-up key, say); by default that the id is taken."""
        return Duplicate(f"{aggregate.id!r} exists already", "id")
