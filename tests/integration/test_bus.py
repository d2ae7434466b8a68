"""The bus for real: outbox relay into NODE_<ID> and LOCAL_<ID>, verified consumers.

A second origin (``fr``) is simulated the way federation will deliver it: its own
stream ``NODE_FR`` on the server, sourced into this node's ``FEED_<ID>``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig, StreamSource

from shared import subjects
from shared.bus import BusConnection, DeadLetters
from shared.consumer import Inbound, VerifiedConsumer
from shared.contracts.membership import (
    CATALOGUE,
    NetworkProfileRevised,
    OrganizationRegistered,
    OrganizationWithdrawn,
)
from shared.envelope import Envelope, KeyRing
from shared.identity import NodeIdentity, create_identity
from shared.metrics import Metrics
from shared.runtime import NatsServer
from shared.streams import ensure_node_streams
from shared.subjects import Channel
from tests.conftest import NodeUnderTest

NODE_SERVICES = ("membership",)  # what the `node` fixture starts (tests/conftest.py)


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
    event = OrganizationRegistered(
        id=org_id,
        legal_name=name,
        country="FR",
        visibility="alliance",
        updated_at="2026-11-22T00:00:00Z",
    )
    return CATALOGUE.seal(identity, Channel.ALLIANCE, event, version)


async def publish(js: JetStreamContext, envelope: Envelope, dedup: bool = True) -> None:
    headers = {"Nats-Msg-Id": envelope.id} if dedup else None
    await js.publish(envelope.subject, envelope.to_bytes(), headers=headers)


async def federate_fr(node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity) -> None:
    """What admission will do: fr's stream exists, it feeds us, and its key is known."""
    await js.add_stream(StreamConfig(name="NODE_FR", subjects=["alliance.fr.>"]))
    feed = subjects.feed_stream(node.identity.node)
    config = (await js.stream_info(feed)).config
    config.sources = [StreamSource(name="NODE_FR")]
    await js.update_stream(config)
    node.keyring.admit("fr", fr.public_key)


async def test_a_change_reaches_the_alliance_and_this_node_on_its_aggregates_subject(
    node: NodeUnderTest, js: JetStreamContext
) -> None:
    body = {"legal_name": "Acme Robotics SRL", "country": "RO", "visibility": "public"}
    created = await node.client.post(
        "/api/membership/organizations", json=body, headers=node.editor
    )
    assert created.status_code == 201
    org_id, me = created.json()["id"], node.identity.node
    for stream, channel in (
        (subjects.node_stream(me), Channel.ALLIANCE),
        (subjects.local_stream(me), Channel.LOCAL),
    ):

        async def published(stream: str = stream) -> bool:
            return (await js.stream_info(stream)).state.messages == 1

        await eventually(published)
        [message] = await stream_messages(js, stream)
        envelope = node.keyring.open(message.data, message.subject)
        assert message.headers is not None and message.headers["Nats-Msg-Id"] == envelope.id
        assert message.subject == f"{channel.value}.{me}.membership.organization.{org_id}"
        assert envelope.type == "eu.clustersalliance.membership.organization.registered"
        assert envelope.aggregateid == org_id and envelope.aggregateversion == 1


async def test_node_only_records_and_private_contacts_stay_on_the_local_channel(
    node: NodeUnderTest, js: JetStreamContext
) -> None:
    contacts = [
        {"name": "Ana Pop", "email": "ana@acme.example.ro", "consent": True},
        {"name": "Ion Ionescu", "email": "ion@acme.example.ro"},
    ]
    shared = {"legal_name": "Shared SRL", "country": "RO", "contacts": contacts}
    hidden = {"legal_name": "Hidden SRL", "country": "RO", "visibility": "node"}
    for body in (shared, hidden):
        answer = await node.client.post(
            "/api/membership/organizations", json=body, headers=node.editor
        )
        assert answer.status_code == 201
    me = node.identity.node

    async def relayed() -> bool:
        return (await js.stream_info(subjects.local_stream(me))).state.messages == 2

    await eventually(relayed)
    local = [
        json.loads(m.data)["data"] for m in await stream_messages(js, subjects.local_stream(me))
    ]
    alliance = [
        json.loads(m.data)["data"] for m in await stream_messages(js, subjects.node_stream(me))
    ]
    assert sorted(d["legal_name"] for d in local) == ["Hidden SRL", "Shared SRL"]
    assert [d["legal_name"] for d in alliance] == ["Shared SRL"]
    assert len(next(d for d in local if d["legal_name"] == "Shared SRL")["contacts"]) == 2
    assert [c["name"] for c in alliance[0]["contacts"]] == ["Ana Pop"]


async def test_republishing_after_a_crash_is_dropped_by_jetstream(
    node: NodeUnderTest, js: JetStreamContext
) -> None:
    """A crash after publish and before the outbox delete republishes; JetStream dedups."""
    kit = node.kit("membership")
    assert kit.relay is not None
    await kit.relay.stop()  # the test drives the relay by hand
    for i in range(25):
        body = {"legal_name": f"Org {i}", "country": "RO"}
        assert (
            await node.client.post("/api/membership/organizations", json=body, headers=node.editor)
        ).status_code == 201
    entries = await kit.database.outbox.find({}).to_list()
    await kit.relay.drain()
    await kit.database.outbox.insert_many(entries)  # as if the delete never happened
    await kit.relay.drain()
    for stream in (
        subjects.node_stream(node.identity.node),
        subjects.local_stream(node.identity.node),
    ):
        assert (await js.stream_info(stream)).state.messages == 25
    assert await kit.database.outbox.count_documents({}) == 0


async def test_remote_events_become_replicas_and_answer_cross_membership(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(node, js, fr)
    profile = NetworkProfileRevised(
        id="fr", name="France Clusters", country="FR", updated_at="2026-11-22T00:00:00Z"
    )
    for envelope in (
        CATALOGUE.seal(fr, Channel.ALLIANCE, profile, 2),
        organization(fr, "fr-1", "Aerospace Valley SAS"),
        organization(fr, "fr-2", "Mecanic Vallée"),
    ):
        await publish(js, envelope)

    async def replicated() -> bool:
        answer = await node.client.get("/api/membership/replicas")
        return answer.json() == {"fr": 2}

    await eventually(replicated)
    found = await node.client.get(
        "/api/membership/cross-membership", params={"org": "AEROSPACE VALLEY"}
    )
    assert found.status_code == 200, found.text
    assert found.json()["member"] is True
    assert found.json()["networks"][0]["network"] == "France Clusters"
    assert found.json()["networks"][0]["node"] == "fr"


async def test_withdrawals_and_redeliveries_are_obeyed_once(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(node, js, fr)
    first = organization(fr, "fr-1", "Aerospace Valley")
    gone = CATALOGUE.seal(
        fr, Channel.ALLIANCE, OrganizationWithdrawn(id="fr-1", reason="deleted"), 2
    )

    async def counted(metric: str) -> bool:
        text = (await node.client.get("/metrics")).text
        return f'{metric}{{origin="fr",service="membership"}}' in text

    # The feed keeps the latest event of each aggregate: each is published once the one
    # before was applied, so the duplicate (no Nats-Msg-Id: stored again) is delivered.
    await publish(js, first, dedup=False)
    await eventually(lambda: counted("alliance_projection_applied_total"))
    await publish(js, first, dedup=False)
    await eventually(lambda: counted("alliance_projection_skipped_total"))
    await publish(js, gone, dedup=False)

    async def withdrawn() -> bool:
        return (await node.client.get("/api/membership/replicas")).json() == {}

    await eventually(withdrawn)
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
    newer_major = organization(fr, "fr-8", "Future SA").model_copy(update={"schemaversion": "2.0"})
    newer_major = newer_major.model_copy(
        update={"signature": fr.sign(newer_major.canonical_bytes())}
    )
    unknown = organization(fr, "fr-5", "Unknown SA")
    unknown = unknown.model_copy(update={"type": "eu.clustersalliance.membership.organization.x"})
    unknown = unknown.model_copy(update={"signature": fr.sign(unknown.canonical_bytes())})
    subject = "alliance.fr.membership.organization.fr-{}"  # the feed keeps one per subject
    bad = [
        (subject.format(6), b"not json{", "malformed"),
        (
            subject.format(7),
            organization(stranger, "fr-7", "Forged SA").to_bytes(),
            "bad_signature",
        ),
        (subject.format(9), json.dumps(tampered).encode(), "bad_signature"),
        (newer_major.subject, newer_major.to_bytes(), "schema_version"),
        (unknown.subject, unknown.to_bytes(), "unknown_event"),
        ("alliance.fr.membership.organization.fr-4", newer_major.to_bytes(), "origin_mismatch"),
    ]
    for where, raw, _ in bad:
        await js.publish(where, raw)
    good = organization(fr, "fr-1", "Good Cluster SAS")
    await publish(js, good)

    async def good_one_applied() -> bool:
        return (await node.client.get("/api/membership/replicas")).json() == {"fr": 1}

    await eventually(good_one_applied)
    dead = await stream_messages(js, subjects.dead_letter_stream(node.identity.node))
    reasons = sorted(m.headers["Alliance-Reason"] for m in dead if m.headers)
    assert reasons == sorted(reason for _, _, reason in bad)
    assert all(m.headers and m.headers["Alliance-Subject"].startswith("alliance.fr.") for m in dead)
    metrics = (await node.client.get("/metrics")).text
    assert 'alliance_dead_letters_total{reason="bad_signature",service="membership"} 2.0' in metrics
    assert 'alliance_dead_letters_total{reason="malformed",service="membership"} 1.0' in metrics


# -- the consumer on its own ------------------------------------------------------------------


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[BusConnection]:
    connection = BusConnection(nats_server.url)
    await connection.connect()
    await ensure_node_streams(connection, "ro", 3600)
    yield connection
    await connection.stop_consuming()
    await connection.close()


def consumer_of(
    bus: BusConnection,
    fr: NodeIdentity,
    apply: Callable[[list[Envelope]], Awaitable[None]],
    max_deliver: int = 3,
) -> VerifiedConsumer[Envelope]:
    metrics = Metrics()
    inbound = Inbound(
        bus=bus,
        keyring=KeyRing({"fr": fr.public_key}),
        dead_letters=DeadLetters(bus, "ro", "test", metrics),
        metrics=metrics,
        service="test",
        max_deliver=max_deliver,
    )
    return VerifiedConsumer(
        inbound,
        stream=subjects.feed_stream("ro"),
        subject="alliance.fr.>",
        durable="ro-test",
        batch_size=50,
        decode=lambda envelope: envelope,
        apply=apply,
    )


async def source_fr_into_feed(js: JetStreamContext) -> None:
    await js.add_stream(StreamConfig(name="NODE_FR", subjects=["alliance.fr.>"]))
    config = (await js.stream_info(subjects.feed_stream("ro"))).config
    config.sources = [StreamSource(name="NODE_FR")]
    await js.update_stream(config)


async def test_one_bad_message_does_not_poison_its_batch(
    bus: BusConnection, js: JetStreamContext, fr: NodeIdentity
) -> None:
    """The batch is split: the good messages apply once, the bad one alone is retried."""
    await source_fr_into_feed(js)
    applied: list[str] = []
    attempts: list[str] = []

    async def apply(envelopes: list[Envelope]) -> None:
        attempts.extend(e.aggregateid for e in envelopes)
        if any(e.aggregateid == "fr-5" for e in envelopes):
            raise ValueError("the store refused fr-5")
        applied.extend(e.aggregateid for e in envelopes)

    consumer = consumer_of(bus, fr, apply)
    await consumer.start()
    await bus.start_consuming()
    for i in range(10):
        await publish(js, organization(fr, f"fr-{i}", f"Org {i}"))

    async def dead_lettered() -> bool:
        return (await js.stream_info(subjects.dead_letter_stream("ro"))).state.messages == 1

    await eventually(dead_lettered, seconds=20)
    assert sorted(applied) == sorted(f"fr-{i}" for i in range(10) if i != 5)
    assert len(applied) == len(set(applied))  # every good one once
    [dead] = await stream_messages(js, subjects.dead_letter_stream("ro"))
    assert dead.headers is not None and dead.headers["Alliance-Reason"] == "max_deliveries"
    assert "the store refused fr-5" in dead.headers["Alliance-Detail"]
    await consumer.stop()


async def test_an_idle_consumer_keeps_polling_without_errors(
    bus: BusConnection,
    js: JetStreamContext,
    fr: NodeIdentity,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """FastStream's batch loop must survive fetches that expire with nothing to deliver."""
    await source_fr_into_feed(js)
    got: list[str] = []

    async def apply(envelopes: list[Envelope]) -> None:
        got.extend(e.aggregateid for e in envelopes)

    consumer = consumer_of(bus, fr, apply)
    await consumer.start()
    with caplog.at_level(logging.ERROR):
        await bus.start_consuming()
        await asyncio.sleep(1.5)  # several expired fetches
        await publish(js, organization(fr, "fr-1", "Late SA"))

        async def arrived() -> bool:
            return got == ["fr-1"]

        await eventually(arrived)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    await consumer.stop()
