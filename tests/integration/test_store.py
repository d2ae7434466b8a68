"""Unit of work, repositories, outbox and idempotent replicas on every store backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import pytest
from pymongo.errors import OperationFailure

from shared.aggregate import Aggregate
from shared.contracts.base import Event, Withdrawal
from shared.contracts.catalogue import EventCatalogue
from shared.envelope import Envelope, KeyRing
from shared.identity import NodeIdentity, create_identity
from shared.replicas import Replicas, apply_replica_changes, replica_key, tombstone_origin
from shared.store import (
    PAGE_KEY,
    Outbox,
    Repository,
    ServiceDatabase,
    UnitOfWork,
    in_transaction,
    page_keys,
)
from shared.subjects import Channel

NOW = datetime(2026, 11, 22, tzinfo=UTC)


class ThingNamed(Event):
    name: str
    secret: str = ""


class ThingGone(Withdrawal):
    pass


CATALOGUE = EventCatalogue("things", {ThingNamed: "thing.named", ThingGone: "thing.gone"})


class Thing(Aggregate):
    """A test aggregate: its name is shared, its secret stays on the node."""

    name: str
    secret: str = ""

    @classmethod
    def create(cls, id: str, name: str, secret: str = "") -> Thing:
        thing = cls(id=id, version=1, updated_at=NOW, name=name, secret=secret)
        event = ThingNamed(id=id, name=name, secret=secret)
        thing.record(event, event.model_copy(update={"secret": ""}))
        return thing


class Things(Repository[Thing]):
    collection_name = "things"
    model = Thing


class ThingsUnitOfWork(UnitOfWork):
    @cached_property
    def things(self) -> Things:
        return Things(self)


@pytest.fixture
def fr(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "fr", "fr", "France Clusters", "FR")


def unit_of_work(database: ServiceDatabase, identity: NodeIdentity) -> ThingsUnitOfWork:
    return ThingsUnitOfWork(database, Outbox(identity, CATALOGUE))


def envelope(identity: NodeIdentity, event: Event, version: int) -> Envelope:
    return CATALOGUE.seal(identity, Channel.ALLIANCE, event, version)


REPLICAS = Replicas("things", CATALOGUE, "thing")


async def test_commit_writes_state_and_both_views_of_its_event(
    any_database: ServiceDatabase, fr: NodeIdentity
) -> None:
    async with unit_of_work(any_database, fr) as uow:
        await uow.things.save(Thing.create("fr-a1", "Acme", secret="node only"))
        await uow.commit()
    assert (await unit_of_work(any_database, fr).things.get("fr-a1")) is not None
    [entry] = await any_database.outbox.find({}).to_list()
    local, shared = entry["messages"]
    ring = KeyRing({"fr": fr.public_key})
    full = ring.open(local["body"], local["subject"])
    view = ring.open(shared["body"], shared["subject"])
    assert local["subject"] == "local.fr.things.thing.fr-a1" and full.data["secret"] == "node only"
    assert shared["subject"] == "alliance.fr.things.thing.fr-a1" and view.data["secret"] == ""
    assert entry["_id"] == full.id == local["id"] and shared["id"] == view.id


async def test_leaving_without_commit_writes_nothing(
    any_database: ServiceDatabase, fr: NodeIdentity
) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(any_database, fr) as uow:
            await uow.things.save(Thing.create("fr-a1", "Acme"))
            raise RuntimeError("crash before commit")
    assert await any_database.collection("things").count_documents({}) == 0
    assert await any_database.outbox.count_documents({}) == 0


async def test_saving_outside_a_transaction_is_refused(
    any_database: ServiceDatabase, fr: NodeIdentity
) -> None:
    with pytest.raises(RuntimeError, match="transaction"):
        await unit_of_work(any_database, fr).things.save(Thing.create("fr-a1", "Acme"))
    assert await any_database.collection("things").count_documents({}) == 0


async def test_commit_wakes_the_relay(any_database: ServiceDatabase, fr: NodeIdentity) -> None:
    woken: list[bool] = []
    any_database.on_commit(lambda: woken.append(True))
    async with unit_of_work(any_database, fr) as uow:
        await uow.commit()
    assert woken == [True]


async def test_a_conflicting_transaction_runs_again(
    any_database: ServiceDatabase, fr: NodeIdentity
) -> None:
    attempts: list[int] = []

    async def work(uow: ThingsUnitOfWork) -> str:
        attempts.append(1)
        await uow.things.save(Thing.create(f"fr-a{len(attempts)}", "Acme"))
        if len(attempts) == 1:  # what MongoDB raises when another transaction won
            raise OperationFailure(
                "WriteConflict", 112, {"errorLabels": ["TransientTransactionError"]}
            )
        return "done"

    assert await in_transaction(lambda: unit_of_work(any_database, fr), work) == "done"
    assert len(attempts) == 2
    assert [d["_id"] async for d in any_database.collection("things").find({})] == ["fr-a2"]
    assert await any_database.outbox.count_documents({}) == 1


async def test_writes_take_turns_only_on_the_embedded_store(
    any_database: ServiceDatabase, request: pytest.FixtureRequest
) -> None:
    embedded = request.node.callspec.params["store_url"] == "nx-27017"
    assert any_database.embedded is embedded
    assert isinstance(any_database.writing(), asyncio.Lock) is embedded


async def test_replicas_apply_newer_versions_only(
    any_database: ServiceDatabase, fr: NodeIdentity
) -> None:
    def named(version: int, name: str) -> Envelope:
        return envelope(fr, ThingNamed(id="fr-a1", name=name), version)

    v2, v1, v3 = named(2, "two"), named(1, "one"), named(3, "three")
    first = await apply_replica_changes(any_database, [REPLICAS.change(v2)])
    late = await apply_replica_changes(any_database, [REPLICAS.change(v1)])
    assert [e.id for e in first.applied] == [v2.id]
    assert late.applied == [] and [e.id for e in late.skipped] == [v1.id]
    key = replica_key("fr", "fr-a1")
    replica = await any_database.collection("things").find_one({"_id": key})
    assert replica is not None and replica["version"] == 2 and replica["data"]["name"] == "two"
    await apply_replica_changes(any_database, [REPLICAS.change(v3)])
    replica = await any_database.collection("things").find_one({"_id": key})
    assert replica is not None and replica["data"]["name"] == "three"
    assert replica["event_id"] == v3.id and replica["type"] == v3.type


async def test_redelivery_is_harmless(any_database: ServiceDatabase, fr: NodeIdentity) -> None:
    batch = [
        REPLICAS.change(envelope(fr, ThingNamed(id=f"fr-a{i}", name="x"), 1)) for i in range(20)
    ]
    await apply_replica_changes(any_database, batch)
    extra = REPLICAS.change(envelope(fr, ThingNamed(id="fr-b", name="x"), 1))
    again = await apply_replica_changes(any_database, [*batch, *batch[:3], extra])
    assert len(again.skipped) == 23 and [e.id for e in again.applied] == [extra.envelope.id]
    assert await any_database.collection("things").count_documents({}) == 21


async def test_one_batch_with_several_versions_keeps_the_newest(
    any_database: ServiceDatabase, fr: NodeIdentity
) -> None:
    batch = [
        REPLICAS.change(envelope(fr, ThingNamed(id="fr-a1", name=name), version))
        for version, name in ((3, "three"), (1, "one"), (2, "two"))
    ]
    result = await apply_replica_changes(any_database, batch)
    assert len(result.applied) == 1 and len(result.skipped) == 2
    replica = await any_database.collection("things").find_one({"_id": replica_key("fr", "fr-a1")})
    assert replica is not None and replica["version"] == 3 and replica["data"]["name"] == "three"


async def test_a_withdrawal_removes_the_data(
    any_database: ServiceDatabase, fr: NodeIdentity
) -> None:
    alive = envelope(fr, ThingNamed(id="fr-a1", name="alive"), 1)
    gone = envelope(fr, ThingGone(id="fr-a1", reason="deleted"), 2)
    await apply_replica_changes(any_database, [REPLICAS.change(alive)])
    await apply_replica_changes(any_database, [REPLICAS.change(gone)])
    replica = await any_database.collection("things").find_one({"_id": replica_key("fr", "fr-a1")})
    assert replica is not None and replica["deleted"] and replica["data"] is None


async def test_forgetting_an_origin_tombstones_only_its_replicas(
    any_database: ServiceDatabase, fr: NodeIdentity, tmp_path: Path
) -> None:
    es = create_identity(tmp_path / "es", "es", "FENAEIC", "ES")
    await apply_replica_changes(
        any_database,
        [
            REPLICAS.change(envelope(fr, ThingNamed(id="fr-a1", name="fr"), 1)),
            REPLICAS.change(envelope(es, ThingNamed(id="es-a1", name="es"), 1)),
        ],
    )
    assert await tombstone_origin(any_database, ["things"], "fr") == 1
    live = [d["origin"] async for d in any_database.collection("things").find({"deleted": False})]
    assert live == ["es"]


async def test_pages_follow_the_id_order_also_for_documents_stored_before_page_keys(
    any_database: ServiceDatabase, fr: NodeIdentity
) -> None:
    async with unit_of_work(any_database, fr) as uow:
        for n in range(5):
            await uow.things.save(Thing.create(f"fr-{n}", f"Thing {n}"))
        await uow.commit()
    things = any_database.collection("things")
    # as a release before page keys stored them
    await things.update_many({"_id": {"$in": ["fr-1", "fr-3"]}}, {"$unset": {PAGE_KEY: ""}})
    await any_database.migrate("things", [page_keys("things")])
    assert await things.count_documents({PAGE_KEY: {"$exists": False}}) == 0
    reads = unit_of_work(any_database, fr).things
    seen, after = [], None
    while True:
        found, after = await reads.page({}, after, 2)
        seen += [thing.id for thing in found]
        if after is None:
            break
    assert seen == [f"fr-{n}" for n in range(5)]
