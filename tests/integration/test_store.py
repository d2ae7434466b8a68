"""Unit of work, outbox and idempotent replicas against a real Mongo-wire server."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.contracts.base import Contract
from shared.envelope import Envelope, seal
from shared.identity import NodeIdentity, create_identity
from shared.store import ReplicaChange, ServiceDatabase, apply_replica_changes, replica_key

SUBJECT = "alliance.fr.membership.organization.updated"


class Thing(Contract):
    id: str
    name: str


@pytest.fixture
def fr(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "fr", "fr", "France Clusters", "FR")


def change(identity: NodeIdentity, aggregate: str, version: int, name: str = "x") -> ReplicaChange:
    envelope: Envelope = seal(identity, SUBJECT, Thing(id=aggregate, name=name), aggregate, version)
    return ReplicaChange("things", envelope, {"data": {"name": name}})


async def test_commit_writes_state_and_outbox_together(
    any_database: ServiceDatabase, fr: NodeIdentity
) -> None:
    event = change(fr, "a1", 1).event
    async with any_database.unit_of_work() as uow:
        await uow.collection("things").insert_one({"_id": "a1"}, session=uow.session)
        uow.record(event)
        await uow.commit()
    assert await any_database.collection("things").count_documents({}) == 1
    stored = await any_database.outbox.find_one({"_id": event.id})
    assert stored is not None and stored["subject"] == SUBJECT
    assert Envelope.model_validate_json(stored["body"]) == event


async def test_leaving_without_commit_writes_nothing(
    any_database: ServiceDatabase, fr: NodeIdentity
) -> None:
    with pytest.raises(RuntimeError):
        async with any_database.unit_of_work() as uow:
            await uow.collection("things").insert_one({"_id": "a1"}, session=uow.session)
            uow.record(change(fr, "a1", 1).event)
            raise RuntimeError("crash before commit")
    assert await any_database.collection("things").count_documents({}) == 0
    assert await any_database.outbox.count_documents({}) == 0


async def test_commit_wakes_the_relay(any_database: ServiceDatabase) -> None:
    woken: list[bool] = []
    any_database.on_commit(lambda: woken.append(True))
    async with any_database.unit_of_work() as uow:
        await uow.commit()
    assert woken == [True]


async def test_replicas_apply_newer_versions_only(
    any_database: ServiceDatabase, fr: NodeIdentity
) -> None:
    v2, v1, v3 = (
        change(fr, "a1", 2, "two"),
        change(fr, "a1", 1, "one"),
        change(fr, "a1", 3, "three"),
    )
    first = await apply_replica_changes(any_database, [v2])
    late = await apply_replica_changes(any_database, [v1])
    assert [e.id for e in first.applied] == [v2.event.id]
    assert [e.id for e in late.applied] == [v1.event.id]  # recorded, but superseded
    replica = await any_database.collection("things").find_one({"_id": replica_key("fr", "a1")})
    assert replica is not None and replica["version"] == 2 and replica["data"]["name"] == "two"
    await apply_replica_changes(any_database, [v3])
    replica = await any_database.collection("things").find_one({"_id": replica_key("fr", "a1")})
    assert replica is not None and replica["data"]["name"] == "three"


async def test_redelivery_is_harmless(any_database: ServiceDatabase, fr: NodeIdentity) -> None:
    batch = [change(fr, f"a{i}", 1) for i in range(20)]
    await apply_replica_changes(any_database, batch)
    again = await apply_replica_changes(any_database, [*batch, change(fr, "b", 1)])
    assert len(again.skipped) == 20 and len(again.applied) == 1
    assert await any_database.processed.count_documents({}) == 21
    assert await any_database.collection("things").count_documents({}) == 21


async def test_one_batch_with_several_versions_keeps_the_newest(
    any_database: ServiceDatabase, fr: NodeIdentity
) -> None:
    batch = [change(fr, "a1", 3, "three"), change(fr, "a1", 1, "one"), change(fr, "a1", 2, "two")]
    await apply_replica_changes(any_database, batch)
    replica = await any_database.collection("things").find_one({"_id": replica_key("fr", "a1")})
    assert replica is not None and replica["version"] == 3 and replica["data"]["name"] == "three"


async def test_tombstone_removes_the_data(any_database: ServiceDatabase, fr: NodeIdentity) -> None:
    await apply_replica_changes(any_database, [change(fr, "a1", 1, "alive")])
    tomb = change(fr, "a1", 2)
    gone = ReplicaChange("things", tomb.event, {"data": None}, deleted=True)
    await apply_replica_changes(any_database, [gone])
    replica = await any_database.collection("things").find_one({"_id": replica_key("fr", "a1")})
    assert replica is not None and replica["deleted"] and replica["data"] is None
