"""The matching service's projection: every organisation this node knows, and its vectors.

Its own organisations (every visibility, ``node`` included) come from the membership
service's events on this node's ``LOCAL`` channel; the alliance's (what partners share:
``public`` and ``alliance``) from the node's feed. Both arrive through one subscription
(``services/matching/subscribers.py``) whose handler only writes the profile here, marked
``pending``, in the unit of work that records the event id. It never embeds: that is the
worker's (``Indexer``), woken by the commit, which embeds pending profiles in batches in a
worker thread, stores their vectors and puts them in the in-memory ``PartnerIndex``.

A stored profile::

    {_id: "<network>/<organisation id>", network, organisation_id, version (the
     organisation's aggregate version), state: pending | ready | removing | withdrawn,
     changed_at (epoch seconds), visibility, contacts_shared, profile: {PartnerProfile},
     vectors: {ProfileVectors.to_document()} | None, embedded_version}

It keeps the organisation's public fields, its visibility, its origin network and whether
it has contact persons who consented to be shared: never the contacts themselves (an
introduction goes through the networks' staff, ``services/matching/interest.py``).
A withdrawal leaves a tombstone (``removing``, then ``withdrawn`` once the index forgot
it) so that an older event delivered late cannot bring the organisation back.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from pymongo import ASCENDING, UpdateOne
from pymongo.errors import PyMongoError

from services.matching.embedding import SentenceModel, load_model
from services.matching.metrics import MatchingMetrics
from services.matching.profiles import PartnerProfile, ProfileVectors, embed_profiles
from services.matching.ranking import PartnerIndex
from services.matching.store import PROFILES, MatchingUnitOfWork
from shared.contracts.base import Event, Visibility
from shared.contracts.membership import OrganizationState
from shared.service import Delivery, ServiceKit
from shared.startup import one_line
from shared.store import Document, ServiceDatabase

log = logging.getLogger(__name__)

PENDING = "pending"  # changed, not embedded yet
READY = "ready"  # embedded, in the index
REMOVING = "removing"  # withdrawn, still in the index
WITHDRAWN = "withdrawn"  # a tombstone: gone from the index
BATCH = 16  # profiles per model call: a search waits for at most one batch's model time
IDLE_SECONDS = 5.0  # the worker looks again this often even if no commit woke it
REMOVALS = 500  # withdrawals forgotten per round


def profile_key(network: str, organisation_id: str) -> str:
    """The key of an organisation in the store and the index: ids are unique per network."""
    return f"{network}/{organisation_id}"


def partner_profile(event: OrganizationState, network: str) -> PartnerProfile:
    """What ranking reads of an organisation's state (its public fields only)."""
    return PartnerProfile(
        id=profile_key(network, event.id),
        network=network,
        legal_name=event.legal_name,
        country=event.country,
        city=event.city,
        nace_codes=event.nace_codes,
        technologies=event.technologies,
        offers=event.offers,
        needs=event.needs,
        cooperation_types=event.cooperation_types,
        countries_of_interest=event.countries_of_interest,
        languages=event.languages,
        size=event.size_class,
    )


def profile_document(event: OrganizationState, network: str, version: int) -> Document:
    """A changed organisation as stored: pending until the worker embeds it."""
    profile = partner_profile(event, network)
    return {
        "_id": profile.id,
        "network": network,
        "organisation_id": event.id,
        "version": version,
        "state": PENDING,
        "changed_at": time.time(),
        "visibility": event.visibility.value,
        "contacts_shared": any(contact.consent for contact in event.contacts),
        "profile": profile.model_dump(mode="json"),
        "vectors": None,
        "embedded_version": None,
    }


async def record_change(uow: MatchingUnitOfWork, event: Event, delivery: Delivery) -> None:
    """Write an organisation's new state (or its tombstone), if newer than the stored one.

    Events of one organisation can arrive out of order (a replay, the feed and the local
    channel): the aggregate version decides, as for replicas.
    """
    collection = uow.collection(PROFILES)
    key = profile_key(delivery.origin, event.id)
    stored = await collection.find_one({"_id": key}, {"version": 1}, session=uow.session)
    if stored is not None and int(stored["version"]) >= delivery.version:
        return
    if isinstance(event, OrganizationState):
        document = profile_document(event, delivery.origin, delivery.version)
    else:
        document = _tombstone(key, delivery, event.id)
    await collection.replace_one({"_id": key}, document, upsert=True, session=uow.session)


def _tombstone(key: str, delivery: Delivery, organisation_id: str) -> Document:
    return {
        "_id": key,
        "network": delivery.origin,
        "organisation_id": organisation_id,
        "version": delivery.version,
        "state": REMOVING,
        "changed_at": time.time(),
        "profile": None,
        "vectors": None,
    }


@dataclass
class Indexed:
    """What search needs beside the index: who may see each profile."""

    visibility: Visibility
    contacts_shared: bool


@dataclass
class Projection:
    """The service's in-memory side: the model, the index and the worker's wake-up.

    Built when the service is declared (one per kit), loaded when its routers are made
    (``load``: the model, once per process; a failure stops the node in one line), run
    by the kit as a task (``run``).
    """

    index: PartnerIndex | None = None
    model: SentenceModel | None = None
    known: dict[str, Indexed] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    metrics: MatchingMetrics | None = None

    def load(self, kit: ServiceKit[MatchingUnitOfWork]) -> None:
        """The model and the metrics; ``ModelUnavailable`` (one line) if it cannot load."""
        if self.model is not None:
            return
        self.model = load_model()
        self.index = PartnerIndex(self.model.dimensions)
        self.metrics = MatchingMetrics.of(kit.metrics.registry)
        kit.database.on_commit(self.wake.set)

    async def forget(self, kit: ServiceKit[MatchingUnitOfWork], network: str) -> None:
        """The hub removed a node: its organisations leave the store and the index (the
        worker removes them, woken as by any change)."""
        async with kit.database.writing():
            result = await kit.database.collection(PROFILES).update_many(
                {"network": network, "state": {"$in": [PENDING, READY]}},
                {"$set": {"state": REMOVING, "profile": None, "vectors": None}},
            )
        forgotten = result.modified_count
        log.warning("matching: forgetting %d organisations of removed node %s", forgotten, network)
        self.wake.set()

    async def embed(self, profiles: Sequence[PartnerProfile]) -> list[ProfileVectors]:
        """Vectors of profiles, computed in a worker thread (the event loop goes on)."""
        assert self.model is not None
        return await asyncio.to_thread(_embed_locked, self.model, list(profiles))

    async def run(self, kit: ServiceKit[MatchingUnitOfWork]) -> None:
        """The kit's task: rebuild the index from stored vectors, then embed what waits."""
        self.load(kit)
        rebuilt = False
        while True:
            try:
                if not rebuilt:
                    await self.rebuild(kit.database)
                    rebuilt = True
                if await self.round(kit.database):
                    continue
                self.wake.clear()
                if await self.round(kit.database):  # a commit came before the clear
                    continue
            except PyMongoError as exc:  # the store is away: the pending profiles wait
                log.warning("matching: cannot embed now (%s); trying again", one_line(exc))
            await _woken(self.wake, IDLE_SECONDS)

    async def rebuild(self, database: ServiceDatabase) -> None:
        """The index from what is stored (no model call for a profile already embedded)."""
        assert self.index is not None
        async for doc in database.collection(PROFILES).find({"state": READY}):
            self._put(doc, ProfileVectors.from_document(doc["vectors"]))
        await self._observe(database)
        log.info("matching: index rebuilt with %d stored profiles", len(self.index))

    async def round(self, database: ServiceDatabase) -> bool:
        """Forget withdrawn profiles, then embed one batch of pending ones; False if idle."""
        removed = await self._forget_withdrawn(database)
        batch = [
            doc
            async for doc in database.collection(PROFILES).find(
                {"state": PENDING}, sort=[("changed_at", ASCENDING)], limit=BATCH
            )
        ]
        if batch:
            await self._embed_batch(database, batch)
        if removed or batch:
            await self._observe(database)
        return bool(removed or batch)

    async def _embed_batch(self, database: ServiceDatabase, batch: list[Document]) -> None:
        assert self.metrics is not None
        profiles = [PartnerProfile.model_validate(doc["profile"]) for doc in batch]
        self.metrics.queue.set(len(profiles))
        try:
            vectors = await self.embed(profiles)
        finally:
            self.metrics.queue.set(0)
        writes = [
            UpdateOne(
                {"_id": doc["_id"], "version": doc["version"], "state": PENDING},
                {
                    "$set": {
                        "state": READY,
                        "vectors": vector.to_document(),
                        "embedded_version": doc["version"],
                    }
                },
            )
            for doc, vector in zip(batch, vectors, strict=True)
        ]
        async with database.writing():
            await database.collection(PROFILES).bulk_write(writes, ordered=False)
        # a profile changed meanwhile stays pending (its version moved): only the stored
        # version goes into the index, and the newer one is embedded next round
        stored = {
            doc["_id"]: doc["version"]
            async for doc in database.collection(PROFILES).find(
                {"_id": {"$in": [doc["_id"] for doc in batch]}}, {"version": 1, "state": 1}
            )
            if doc["state"] == READY
        }
        for doc, vector in zip(batch, vectors, strict=True):
            if stored.get(doc["_id"]) == doc["version"]:
                self._put(doc, vector)
        self.metrics.embedded.inc(len(batch))

    async def _forget_withdrawn(self, database: ServiceDatabase) -> int:
        assert self.index is not None
        collection = database.collection(PROFILES)
        found = collection.find({"state": REMOVING}, {"_id": 1}, limit=REMOVALS)
        gone = [doc["_id"] async for doc in found]
        for key in gone:
            self.index.remove(key)
            self.known.pop(key, None)
        self._count()
        if gone:
            async with database.writing():
                await collection.bulk_write(
                    [
                        UpdateOne({"_id": key, "state": REMOVING}, {"$set": {"state": WITHDRAWN}})
                        for key in gone
                    ],
                    ordered=False,
                )
        return len(gone)

    def _put(self, doc: Document, vectors: ProfileVectors) -> None:
        assert self.index is not None
        profile = PartnerProfile.model_validate(doc["profile"])
        self.index.upsert(profile, vectors)
        self.known[profile.id] = Indexed(
            Visibility(doc["visibility"]), bool(doc.get("contacts_shared"))
        )
        self._count()

    def _count(self) -> None:
        """The index's size, set as it changes (a reader never sees it lag the index)."""
        if self.metrics is not None and self.index is not None:
            self.metrics.profiles.set(len(self.index))

    async def _observe(self, database: ServiceDatabase) -> None:
        """Index size and lag behind the store, for the dashboard."""
        assert self.metrics is not None and self.index is not None
        collection = database.collection(PROFILES)
        self.metrics.pending.set(await collection.count_documents({"state": PENDING}))
        oldest = await collection.find_one(
            {"state": PENDING}, {"changed_at": 1}, sort=[("changed_at", ASCENDING)]
        )
        waited = time.time() - float(oldest["changed_at"]) if oldest else 0.0
        self.metrics.oldest_pending.set(max(0.0, waited))
        self.metrics.profiles.set(len(self.index))
        if oldest is None:  # measured when idle: it stacks the index's matrices again
            self.metrics.index_bytes.set(self.index.memory_bytes())


async def _woken(wake: asyncio.Event, seconds: float) -> None:
    """Until a commit wakes the worker, or ``seconds`` passed."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wake.wait(), seconds)


def _embed_locked(model: SentenceModel, profiles: list[PartnerProfile]) -> list[ProfileVectors]:
    with _model_lock():
        return embed_profiles(model, profiles)


@functools.cache
def _model_lock() -> threading.Lock:
    """The one lock on the process's model: its native engine is not known to be
    thread-safe, and ``load_model`` shares one model with every node of a process."""
    return threading.Lock()
