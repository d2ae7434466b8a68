"""The bus for real: outbox relay into NODE_<ID>, and the verified feed projection.

A second origin (``fr``) is simulated the way federation will deliver it: its own
stream ``NODE_FR`` on the server, sourced into this node's ``FEED_<ID>``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig, StreamSource

from shared import subjects
from shared.contracts.membership import NetworkProfileShared, OrganizationShared, Tombstone
from shared.envelope import Envelope, seal
from shared.identity import NodeIdentity, create_identity
from shared.metrics import Metrics
from shared.relay import OutboxRelay
from shared.runtime import NatsServer
from shared.service import BusConnection
from shared.store import ServiceDatabase
from tests.conftest import NodeUnderTest

ORG_SUBJECT = "alliance.fr.membership.organization.registered"


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    client: Client = await nats.connect(nats_server.url)
    yield client.jetstream()
    await client.close()


@pytest.fixture
def fr(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "fr", "fr", "France Clusters", "FR")


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def stream_messages(js: JetStreamContext, stream: str) -> list[nats.aio.msg.Msg]:
    info = await js.stream_info(stream)
    return [
        await js.get_msg(stream, seq)
        for seq in range(info.state.first_seq, info.state.last_seq + 1)
        if info.state.messages
    ]


def organization(identity: NodeIdentity, org_id: str, name: str, version: int = 1) -> Envelope:
    payload = OrganizationShared(
        id=org_id,
        legal_name=name,
        country="FR",
        visibility="alliance",
        updated_at="2026-11-22T00:00:00Z",
    )
    return seal(identity, ORG_SUBJECT, payload, org_id, version)


async def federate_fr(node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity) -> None:
    """What admission will do: fr's stream exists, it feeds us, and its key is known."""
    await js.add_stream(StreamConfig(name="NODE_FR", subjects=["alliance.fr.>"]))
    feed = subjects.feed_stream(node.identity.node)
    config = (await js.stream_info(feed)).config
    config.sources = [StreamSource(name="NODE_FR")]
    await js.update_stream(config)
    node.keyring.admit("fr", fr.public_key)


async def test_changes_reach_the_node_stream_signed_with_their_id(
    node: NodeUnderTest, js: JetStreamContext
) -> None:
    body = {"legal_name": "Acme Robotics SRL", "country": "RO", "visibility": "public"}
    created = await node.client.post(
        "/api/membership/organizations", json=body, headers=node.editor
    )
    assert created.status_code == 201
    stream = subjects.node_stream(node.identity.node)

    async def published() -> bool:
        return (await js.stream_info(stream)).state.messages == 1

    await eventually(published)
    [message] = await stream_messages(js, stream)
    envelope = node.keyring.open(message.data, message.subject)
    assert message.headers is not None and message.headers["Nats-Msg-Id"] == envelope.id
    assert envelope.aggregateid == created.json()["id"]
    assert message.subject == f"alliance.{node.identity.node}.membership.organization.registered"


async def test_republishing_after_a_crash_is_dropped_by_jetstream(
    database: ServiceDatabase, nats_server: NatsServer, identity: NodeIdentity
) -> None:
    """A crash after publish and before the outbox delete republishes; JetStream dedups."""
    bus = BusConnection(nats_server.url)
    await bus.connect()
    from shared.bus import ensure_node_streams

    await ensure_node_streams(bus.js, identity.node, 3600)
    await database.prepare()
    relay = OutboxRelay(database, bus, Metrics(), "membership", batch_size=100)
    envelopes = [
        seal(
            identity,
            "alliance.ro.membership.organization.registered",
            Tombstone(id=f"o{i}", reason="test"),
            f"o{i}",
            1,
        )
        for i in range(250)
    ]
    for _ in range(2):  # the second round is the redo after the simulated crash
        async with database.unit_of_work() as uow:
            for envelope in envelopes:
                uow.record(envelope)
            await uow.commit()
        await relay.drain()
    info = await bus.js.stream_info(subjects.node_stream(identity.node))
    assert info.state.messages == 250
    assert await database.outbox.count_documents({}) == 0
    await bus.close()


async def test_remote_events_become_replicas_and_answer_cross_membership(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(node, js, fr)
    profile = NetworkProfileShared(
        name="France Clusters", country="FR", updated_at="2026-11-22T00:00:00Z"
    )
    events = [
        seal(fr, "alliance.fr.membership.network.updated", profile, "fr", 1),
        organization(fr, "fr-1", "Aerospace Valley SAS"),
        organization(fr, "fr-2", "Mecanic Vallée"),
    ]
    for envelope in events:
        await js.publish(
            envelope.subject, envelope.to_bytes(), headers={"Nats-Msg-Id": envelope.id}
        )

    async def replicated() -> bool:
        answer = await node.client.get("/api/membership/replicas")
        return answer.json() == {"fr": 2}

    await eventually(replicated)
    found = await node.client.get(
        "/api/membership/cross-membership", params={"org": "AEROSPACE VALLEY"}
    )
    assert found.json()["member"] is True
    assert found.json()["networks"][0]["network"] == "France Clusters"
    assert found.json()["networks"][0]["node"] == "fr"


async def test_tombstones_and_redeliveries_are_obeyed_once(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(node, js, fr)
    first = organization(fr, "fr-1", "Aerospace Valley")
    gone = seal(
        fr,
        "alliance.fr.membership.organization.deleted",
        Tombstone(id="fr-1", reason="deleted"),
        "fr-1",
        2,
    )
    for envelope in (first, first, gone):  # no Nats-Msg-Id: the stream keeps the duplicate
        await js.publish(envelope.subject, envelope.to_bytes())

    async def handled() -> bool:
        text = (await node.client.get("/metrics")).text
        return 'alliance_projection_skipped_total{origin="fr",service="membership"} 1.0' in text

    await eventually(handled)
    assert (await node.client.get("/api/membership/replicas")).json() == {}
    missing = await node.client.get(
        "/api/membership/cross-membership", params={"org": "aerospace valley"}
    )
    assert missing.json()["member"] is False


async def test_bad_messages_are_dead_lettered_with_reasons_and_the_consumer_goes_on(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity, tmp_path: Path
) -> None:
    await federate_fr(node, js, fr)
    stranger = create_identity(tmp_path / "xx", "fr", "Impostor", "FR")  # same id, other key
    tampered = json.loads(organization(fr, "fr-9", "Honest SA").to_bytes())
    tampered["data"]["legal_name"] = "Tampered SA"
    future = OrganizationShared(
        id="fr-8",
        legal_name="Future SA",
        country="FR",
        visibility="alliance",
        updated_at="2026-11-22T00:00:00Z",
        schemaversion="2.0",
    )
    newer_major = seal(fr, ORG_SUBJECT, future, "fr-8", 1)
    bad = [
        (b"not json{", "malformed"),
        (organization(stranger, "fr-7", "Forged SA").to_bytes(), "bad_signature"),
        (json.dumps(tampered).encode(), "bad_signature"),
        (newer_major.to_bytes(), "schema_version"),
    ]
    for raw, _ in bad:
        await js.publish(ORG_SUBJECT, raw)
    wrong_subject = organization(fr, "fr-6", "Elsewhere SA")
    await js.publish("alliance.fr.membership.organization.updated", wrong_subject.to_bytes())
    good = organization(fr, "fr-1", "Good Cluster SAS")
    await js.publish(good.subject, good.to_bytes())

    async def good_one_applied() -> bool:
        return (await node.client.get("/api/membership/replicas")).json() == {"fr": 1}

    await eventually(good_one_applied)
    dead = await stream_messages(js, subjects.dead_letter_stream(node.identity.node))
    reasons = sorted(m.headers["Alliance-Reason"] for m in dead if m.headers)
    assert reasons == sorted([reason for _, reason in bad] + ["origin_mismatch"])
    assert all(m.headers and m.headers["Alliance-Subject"].startswith("alliance.fr.") for m in dead)
    metrics = (await node.client.get("/metrics")).text
    assert 'alliance_dead_letters_total{reason="bad_signature",service="membership"} 2.0' in metrics
    assert 'alliance_dead_letters_total{reason="malformed",service="membership"} 1.0' in metrics
