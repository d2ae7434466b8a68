"""The service kit for real: a second service on the same node, declared in a few lines.

``directory`` stands for the next services (matching, events): it keeps its own projection
of every organisation this node knows (its own through the intra-node channel, other
nodes' through the feed) and subscribes to profile changes. It shares no code with
membership but the kit, and no database: only the bus.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext

from shared import subjects
from shared.contracts import membership
from shared.contracts.base import Event
from shared.replicas import Replicas
from shared.runtime import NatsServer
from shared.service import Delivery, ServiceDeclaration, ServiceKit, Subscription
from shared.store import Document, UnitOfWork
from tests.conftest import NodeUnderTest, every_service, start_node


class DirectoryUnitOfWork(UnitOfWork):
    @cached_property
    def profiles_seen(self) -> Any:
        return self.collection("profiles_seen")


async def on_profile_revised(
    kit: ServiceKit[DirectoryUnitOfWork], event: Event, delivery: Delivery, uow: DirectoryUnitOfWork
) -> None:
    """Counts every profile revision it is handed (so a second handling would show)."""
    assert isinstance(event, membership.NetworkProfileRevised)
    await uow.profiles_seen.update_one(
        {"_id": event.id},
        {"$inc": {"times": 1}, "$set": {"name": event.name, "origin": delivery.origin}},
        upsert=True,
        session=uow.session,
    )


def directory_keys(event: Event) -> Document:
    assert isinstance(event, membership.OrganizationState)
    return {"countries": [event.country]}


def directory() -> ServiceDeclaration[DirectoryUnitOfWork]:
    return ServiceDeclaration(
        name="directory",
        description="a test service: every organisation this node knows",
        unit_of_work=DirectoryUnitOfWork,
        collections=("profiles_seen",),
        replicas=(
            Replicas(
                "organizations",
                membership.CATALOGUE,
                "organization",
                keys=directory_keys,
                own=True,
                indexes=("countries",),
            ),
        ),
        subscriptions=(
            Subscription(
                "profiles",
                membership.CATALOGUE,
                (membership.NetworkProfileRevised,),
                on_profile_revised,
            ),
        ),
    )


@pytest.fixture
async def node(
    tmp_path: Path, nats_server: NatsServer, store_url: str
) -> AsyncIterator[NodeUnderTest]:
    """A node with membership and the directory, on each store backend."""
    async for running in start_node(
        tmp_path / "node",
        nats_server.url,
        store_url,
        "lv-clusters",
        [*every_service(), directory()],
    ):
        yield running


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    client = await nats.connect(nats_server.url)
    yield client.jetstream()
    await client.close()


async def test_a_node_only_organisation_reaches_another_service_but_never_the_alliance(
    node: NodeUnderTest, js: JetStreamContext
) -> None:
    body = {
        "legal_name": "Quiet Works SIA",
        "country": "LV",
        "visibility": "node",
        "contacts": [{"name": "Anna Berzina", "email": "anna@quiet.example.lv"}],
    }
    created = await node.client.post(
        "/api/membership/organizations", json=body, headers=node.editor
    )
    assert created.status_code == 201, created.text
    org_id = created.json()["id"]
    projection = node.kit("directory").database.collection("organizations")

    async def projected() -> bool:
        return await projection.count_documents({"aggregateid": org_id}) == 1

    await eventually(projected)
    replica = await projection.find_one({"aggregateid": org_id})
    assert replica is not None and replica["origin"] == "lv-clusters"
    assert replica["data"]["visibility"] == "node"
    assert replica["data"]["contacts"][0]["email"] == "anna@quiet.example.lv"
    assert replica["keys"] == {"countries": ["LV"]}
    outbound = await js.stream_info(subjects.node_stream("lv-clusters"))
    assert outbound.state.messages == 0  # nothing of it crossed towards the hub


async def test_a_deletion_reaches_the_other_service_as_a_tombstone(node: NodeUnderTest) -> None:
    body = {"legal_name": "Short Lived SIA", "country": "LV", "visibility": "alliance"}
    org_id = (
        await node.client.post("/api/membership/organizations", json=body, headers=node.editor)
    ).json()["id"]
    deleted = await node.client.delete(
        f"/api/membership/organizations/{org_id}", headers=node.editor
    )
    assert deleted.status_code == 200
    projection = node.kit("directory").database.collection("organizations")

    async def tombstoned() -> bool:
        replica = await projection.find_one({"aggregateid": org_id})
        return bool(replica and replica["deleted"] and replica["data"] is None)

    await eventually(tombstoned)


async def test_a_subscription_handles_each_event_once_even_when_delivered_twice(
    node: NodeUnderTest, js: JetStreamContext
) -> None:
    profile = {"name": "Latvian IT Cluster", "country": "LV"}
    assert (
        await node.client.put("/api/membership/profile", json=profile, headers=node.admin)
    ).status_code == 200
    seen = node.kit("directory").database.collection("profiles_seen")

    async def handled() -> bool:
        return await seen.count_documents({"_id": "lv-clusters"}) == 1

    await eventually(handled)
    local = subjects.local_stream("lv-clusters")
    info = await js.stream_info(local)
    first = await js.get_msg(local, info.state.last_seq)
    assert first.subject and first.data
    await js.publish(first.subject, first.data)  # redelivered without a message id

    async def redelivered() -> bool:  # stored again (in the place of the first: one per subject)
        return (await js.stream_info(local)).state.last_seq == info.state.last_seq + 1

    await eventually(redelivered)
    await asyncio.sleep(1.0)  # room for a second handling, were there one
    record = await seen.find_one({"_id": "lv-clusters"})
    assert record is not None and record["times"] == 1 and record["name"] == "Latvian IT Cluster"


async def test_forgetting_an_origin_covers_every_replica_a_service_keeps(
    node: NodeUnderTest,
) -> None:
    kit = node.kit("directory")
    await kit.database.collection("organizations").insert_one(
        {"_id": "fr:fr-1", "origin": "fr", "aggregateid": "fr-1", "deleted": False, "data": {}}
    )
    await kit.forget_origin("fr")
    gone = await kit.database.collection("organizations").find_one({"_id": "fr:fr-1"})
    assert gone is not None and gone["deleted"] and gone["data"] is None


async def test_asyncapi_describes_what_each_service_publishes_and_consumes(
    node: NodeUnderTest,
) -> None:
    document = (await node.client.get("/asyncapi.json")).json()
    channels = document["channels"]
    addresses = {channel["address"] for channel in channels.values()}
    assert "alliance.{origin}.membership.organization.{id}" in addresses
    assert "local.{origin}.membership.organization.{id}" in addresses
    assert "local.lv-clusters.membership.organization.*" in addresses  # directory's own
    assert "alliance.*.membership.organization.*" in addresses  # membership's replicas
    assert "local.lv-clusters.membership.network.*" in addresses  # directory's subscription
    operations = {op["action"] for op in document["operations"].values()}
    assert operations == {"send", "receive"}
    schemas = document["components"]["schemas"]
    assert "OrganizationRegistered" in schemas and "NetworkProfileRevised" in schemas
