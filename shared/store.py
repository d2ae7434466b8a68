"""A service's MongoDB database: unit of work with outbox, and idempotent replicas.

The unit of work commits a state change and the events it produced in one transaction,
so a crash can never lose an event or publish one for a change that did not happen. The
outbox relay (``shared.relay``) publishes them afterwards. Replicas of other nodes'
aggregates are applied only when their version is newer, and every applied event id is
recorded, so at-least-once delivery becomes effectively-once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.envelope import Envelope

OUTBOX = "outbox"
PROCESSED = "processed"
SCHEMA = "migrations"
DUPLICATE_KEY = 11000

Document = dict[str, Any]


def database_name(node: str, service: str) -> str:
    """Each service of each node owns one database (dashes are not welcome in its name)."""
    return f"{node.replace('-', '_')}_{service}"


class ServiceDatabase:
    """One service's own database; no other service reads or writes it."""

    def __init__(self, client: AsyncMongoClient[Document], name: str) -> None:
        self.client = client
        self.db: AsyncDatabase[Document] = client[name]
        self._after_commit: list[Callable[[], None]] = []
        # nx-27017 runs every transaction of a database on one SQLite connection: two open
        # at once nest, and a plain write made meanwhile joins the open one. So writes to
        # one database take turns in this process (docs/store.md).
        self.write_lock = asyncio.Lock()

    def collection(self, name: str) -> AsyncCollection[Document]:
        return self.db[name]

    @property
    def outbox(self) -> AsyncCollection[Document]:
        return self.db[OUTBOX]

    @property
    def processed(self) -> AsyncCollection[Document]:
        return self.db[PROCESSED]

    async def prepare(self, *collections: str) -> None:
        """Create the outbox, processed-id and the given collections up front.

        On nx-27017 a read of a collection that does not exist yet answers early and
        drops the transaction it was part of (docs/store.md), so every collection a
        service uses must exist before its first unit of work.
        """
        existing = set(await self.db.list_collection_names())
        for name in (OUTBOX, PROCESSED, SCHEMA, *collections):
            if name not in existing:
                await self.db.create_collection(name)

    async def migrate(self, name: str, steps: Sequence[Callable[[], Awaitable[None]]]) -> None:
        """Run each step once per database, in order (indexes, data migrations).

        nx-27017 refuses to create an existing text index again once data is stored, and
        does not list text indexes, so we record how many steps ran instead of re-asking.
        Add a step to change the schema; never edit one that has shipped.
        """
        done = await self.db[SCHEMA].find_one({"_id": name})
        ran = int(done["steps"]) if done else 0
        for step in steps[ran:]:
            await step()
            ran += 1
            await self.db[SCHEMA].replace_one(
                {"_id": name}, {"_id": name, "steps": ran}, upsert=True
            )

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after every successful commit (the relay's wake-up)."""
        self._after_commit.append(callback)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

    def committed(self) -> None:
        for callback in self._after_commit:
            callback()


class UnitOfWork:
    """``async with db.unit_of_work() as uow: ...; await uow.commit()``; no commit, no change."""

    def __init__(self, database: ServiceDatabase) -> None:
        self.database = database
        self.session: AsyncClientSession | None = None
        self._events: list[Envelope] = []

    async def __aenter__(self) -> UnitOfWork:
        await self.database.write_lock.acquire()
        try:
            self.session = self.database.client.start_session()
            await self.session.start_transaction()
        except BaseException:
            self.database.write_lock.release()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.session is not None
        try:
            if self.session.in_transaction:
                await self.session.abort_transaction()
        finally:
            await self.session.end_session()
            self.database.write_lock.release()

    def collection(self, name: str) -> AsyncCollection[Document]:
        return self.database.collection(name)

    def record(self, envelope: Envelope) -> None:
        """Stage an outgoing event; it is written with the state change on commit."""
        self._events.append(envelope)

    async def commit(self) -> None:
        assert self.session is not None
        if self._events:
            await self.database.outbox.insert_many(
                [outbox_document(event) for event in self._events], session=self.session
            )
        await self.session.commit_transaction()
        self._events.clear()
        self.database.committed()


def outbox_document(envelope: Envelope) -> Document:
    return {
        "_id": envelope.id,
        "subject": envelope.subject,
        "body": envelope.to_bytes(),
        "created": datetime.now(UTC),
    }


@dataclass(frozen=True)
class ReplicaChange:
    """One remote event turned into the replica document it leaves behind."""

    collection: str
    event: Envelope
    document: Document  # fields to set; replicas keep ``deleted`` for tombstones
    deleted: bool = False

    @property
    def key(self) -> str:
        return replica_key(self.event.origin, self.event.aggregateid)


def replica_key(origin: str, aggregate_id: str) -> str:
    """Replicas are keyed by (origin, aggregate id): ids are only unique per owner."""
    return f"{origin}:{aggregate_id}"


async def tombstone_origin(
    database: ServiceDatabase, collections: Iterable[str], origin: str
) -> int:
    """Drop the data of every replica owned by ``origin`` (the hub removed that node)."""
    tombstoned = 0
    async with database.write_lock:
        for name in collections:
            result = await database.collection(name).update_many(
                {"origin": origin, "deleted": False},
                {"$set": {"deleted": True, "data": None, "match_keys": []}},
            )
            tombstoned += result.modified_count
    return tombstoned


@dataclass(frozen=True)
class ProjectionResult:
    applied: list[Envelope]
    skipped: list[Envelope]


async def apply_replica_changes(
    database: ServiceDatabase, changes: Iterable[ReplicaChange]
) -> ProjectionResult:
    """Apply a batch idempotently: newer versions win, seen event ids are skipped.

    Replicas are written before the processed-id records, so a crash in between only
    causes a harmless re-application (the version condition makes it a no-op). The
    processed-id insert also tells which events were seen before: its duplicates.
    """
    unique: dict[str, ReplicaChange] = {}
    repeated: list[Envelope] = []
    for change in changes:
        if change.event.id in unique:
            repeated.append(change.event)
        else:
            unique[change.event.id] = change
    newest: dict[tuple[str, str], ReplicaChange] = {}
    for change in unique.values():
        slot = (change.collection, change.key)
        current = newest.get(slot)
        if current is None or change.event.aggregateversion > current.event.aggregateversion:
            newest[slot] = change
    async with database.write_lock:
        await _upsert_newer(database, newest.values())
        seen = await _record_processed(database, list(unique.values())) if unique else set()
    applied = [change.event for change in unique.values() if change.event.id not in seen]
    skipped = repeated + [change.event for change in unique.values() if change.event.id in seen]
    return ProjectionResult(applied=applied, skipped=skipped)


async def _upsert_newer(database: ServiceDatabase, changes: Iterable[ReplicaChange]) -> None:
    by_collection: dict[str, list[ReplicaChange]] = {}
    for change in changes:
        by_collection.setdefault(change.collection, []).append(change)
    for name, group in by_collection.items():
        await _write_newer(database.collection(name), group)


async def _write_newer(collection: AsyncCollection[Document], changes: list[ReplicaChange]) -> None:
    """Insert replicas we do not hold, update those we hold at an older version.

    Reading the stored versions first lets new replicas go in as one bulk insert and
    skips stale events without a write; both are much cheaper than conditional upserts
    on nx-27017 and no worse on MongoDB. The version condition stays on every update.
    """
    stored = {
        doc["_id"]: doc["version"]
        async for doc in collection.find({"_id": {"$in": [c.key for c in changes]}}, {"version": 1})
    }
    fresh = [c for c in changes if c.key not in stored]
    newer = [c for c in changes if c.key in stored and c.event.aggregateversion > stored[c.key]]
    if fresh:
        try:
            await collection.insert_many(
                [{"_id": c.key, **_replica_fields(c)} for c in fresh], ordered=False
            )
        except BulkWriteError as exc:  # written meanwhile by another process: compare versions
            _raise_unless_duplicates(exc)
            newer += [fresh[error["index"]] for error in exc.details["writeErrors"]]
    if newer:
        await _bulk_ignoring_duplicates(
            collection,
            [
                UpdateOne(
                    {"_id": c.key, "version": {"$lt": c.event.aggregateversion}},
                    {"$set": _replica_fields(c)},
                    upsert=True,
                )
                for c in newer
            ],
        )


def _replica_fields(change: ReplicaChange) -> Document:
    event = change.event
    return {
        **change.document,
        "origin": event.origin,
        "aggregateid": event.aggregateid,
        "version": event.aggregateversion,
        "deleted": change.deleted,
        "event_id": event.id,
        "applied_at": datetime.now(UTC),
    }


async def _record_processed(database: ServiceDatabase, changes: list[ReplicaChange]) -> set[str]:
    """Record the batch's event ids; returns those that were already recorded."""
    now = datetime.now(UTC)
    records = [
        {
            "_id": change.event.id,
            "origin": change.event.origin,
            "aggregateid": change.event.aggregateid,
            "version": change.event.aggregateversion,
            "applied_at": now,
        }
        for change in changes
    ]
    try:
        await database.processed.insert_many(records, ordered=False)
    except BulkWriteError as exc:
        _raise_unless_duplicates(exc)
        return {records[error["index"]]["_id"] for error in exc.details["writeErrors"]}
    return set()


async def _bulk_ignoring_duplicates(
    collection: AsyncCollection[Document], operations: list[UpdateOne]
) -> None:
    """A duplicate key on a versioned upsert means the replica is already newer."""
    try:
        await collection.bulk_write(operations, ordered=False)
    except BulkWriteError as exc:
        _raise_unless_duplicates(exc)


def _raise_unless_duplicates(exc: BulkWriteError) -> None:
    errors = exc.details.get("writeErrors", [])
    if any(error.get("code") != DUPLICATE_KEY for error in errors):
        raise exc
