"""No poison pill: no message, however large or malformed, stops the bus or the federation.

Measured before these limits: a message of 1,048,500 bytes (just under NATS's
``max_payload``) made a node's leaf link to the hub drop every two seconds (the source
header the hub adds pushed it over ``max_payload`` on the next hop) while
``/api/federation`` showed lag 0; and in a node's feed it closed the node's bus
connection for good (the dead letter, with its headers, went over the limit). Now
producers refuse events above ``MAX_EVENT_BYTES``, every stream takes a little more than
the one before it and far less than ``max_payload``, and dead letters keep a cut body.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import StreamConfig, StreamSource
from nats.js.errors import APIError

from shared import subjects
from shared.bus import DEAD_LETTER_BODY_BYTES, BusConnection, DeadLetters
from shared.consumer import Inbound, VerifiedConsumer
from shared.contracts.membership import CATALOGUE, OrganizationRegistered
from shared.envelope import MAX_EVENT_BYTES, Envelope, KeyRing
from shared.identity import NodeIdentity, create_identity
from shared.metrics import Metrics
from shared.runtime import NatsServer
from shared.streams import Hop, ensure_node_streams, max_message_bytes
from shared.subjects import Channel
from tests.conftest import NodeUnderTest
from tests.federation import Federation, federation_of, metric_value, poll, read_stream

JUST_UNDER_MAX_PAYLOAD = 1_048_500
WIDE = "中"  # three bytes in UTF-8


# -- producers --------------------------------------------------------------------------


def oversized_organization() -> dict[str, Any]:
    """An organisation every field of which is valid, whose event exceeds the limit."""
    return {
        "legal_name": f"Wide {uuid.uuid4().hex[:8]}",
        "country": "RO",
        "offers": WIDE * 4000,
        "needs": WIDE * 4000,
        "contacts": [
            {"name": WIDE * 200, "email": f"p{i}@example.ro", "role": WIDE * 200} for i in range(50)
        ],
    }


async def test_a_change_whose_event_exceeds_the_limit_is_refused_and_nothing_is_kept(
    node: NodeUnderTest,
) -> None:
    answer = await node.client.post(
        "/api/membership/organizations", json=oversized_organization(), headers=node.editor
    )
    assert answer.status_code == 413, answer.text
    body = answer.json()
    assert f"{MAX_EVENT_BYTES:,} bytes" in body["message"]
    assert body["errors"][0]["field"] == "body"
    listed = await node.client.get("/api/membership/organizations", headers=node.editor)
    assert listed.json()["items"] == []
    assert await node.kit("membership").database.outbox.count_documents({}) == 0


# -- consumers --------------------------------------------------------------------------


@pytest.fixture
def fr(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "fr", "fr", "France Clusters", "FR")


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[BusConnection]:
    connection = BusConnection(nats_server.url)
    await connection.connect()
    await ensure_node_streams(connection, "ro", 3600)
    yield connection
    await connection.stop_consuming()
    await connection.close()


async def feed_without_limits(js: JetStreamContext) -> None:
    """FEED_RO sourcing a NODE_FR as streams were before the limits (none)."""
    await js.add_stream(StreamConfig(name="NODE_FR", subjects=["alliance.fr.>"]))
    config = (await js.stream_info(subjects.feed_stream("ro"))).config
    config.sources = [StreamSource(name="NODE_FR")]
    config.max_msg_size = -1
    await js.update_stream(config)


def registered(fr: NodeIdentity, org_id: str) -> Envelope:
    event = OrganizationRegistered(
        id=org_id, legal_name="Good SAS", country="FR", visibility="alliance", updated_at="x"
    )
    return CATALOGUE.seal(fr, Channel.ALLIANCE, event, 1)


async def eventually(check: Any, seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_a_message_just_under_max_payload_in_a_feed_is_dead_lettered_cut_and_the_connection_stays(  # noqa: E501
    bus: BusConnection, fr: NodeIdentity
) -> None:
    js = bus.js
    await feed_without_limits(js)
    metrics = Metrics()
    applied: list[str] = []

    async def apply(envelopes: list[Envelope]) -> None:
        applied.extend(e.aggregateid for e in envelopes)

    consumer = VerifiedConsumer(
        Inbound(
            bus,
            KeyRing({"fr": fr.public_key}),
            DeadLetters(bus, "ro", "t", metrics),
            metrics,
            "t",
            3,
        ),
        stream=subjects.feed_stream("ro"),
        subject="alliance.fr.>",
        durable="ro-poison",
        batch_size=10,
        decode=lambda envelope: envelope,
        apply=apply,
    )
    await consumer.start()
    await bus.start_consuming()
    client = bus.client
    await js.publish("alliance.fr.membership.organization.big", b"{" * JUST_UNDER_MAX_PAYLOAD)
    good = registered(fr, "fr-1")
    await js.publish(good.subject, good.to_bytes())

    async def good_one_applied() -> bool:
        return applied == ["fr-1"]

    await eventually(good_one_applied)
    assert (await js.stream_info(subjects.dead_letter_stream("ro"))).state.messages == 1
    dead = await js.get_msg(subjects.dead_letter_stream("ro"), 1)
    assert dead.headers is not None
    assert dead.headers["Alliance-Reason"] == "oversized"
    assert dead.headers["Alliance-Size"] == str(JUST_UNDER_MAX_PAYLOAD)
    assert dead.data == b"{" * DEAD_LETTER_BODY_BYTES
    assert bus.client is client and client.is_connected and client.stats["reconnects"] == 0
    await consumer.stop()


# -- every hop of the federation ----------------------------------------------------------


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("poison"), nodes=("ro", "fr")) as started:
        yield started


def leaf_connections(federation: Federation) -> dict[str, list[int]]:
    """The id of every leaf connection, at the hub and at each node: a flap changes them."""
    assert federation.hub is not None
    servers = {"hub": str(federation.hub.run_info["nats_monitor_url"])} | {
        name: str(member.run_info["nats_monitor_url"])
        for name, member in federation.members.items()
    }
    return {
        name: sorted(leaf["id"] for leaf in httpx.get(f"{url}/leafz", timeout=5).json()["leafs"])
        for name, url in servers.items()
    }


async def jetstream_publish(url: str, subject: str, data: bytes) -> str | None:
    """Publish into a stream of a node's server; what JetStream refused it with, if it did."""
    client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        await client.jetstream().publish(subject, data)
    except APIError as exc:
        return str(exc.description)
    finally:
        await client.close()
    return None


def marker_reaches(federation: Federation, writer: str, reader: str) -> None:
    """A legitimate write on ``writer`` is replicated on ``reader``: the path is live."""
    before = set(federation.members[writer].created)
    answer = federation.create_org(writer, "Marker")
    assert answer.status_code == 201, answer.text
    marker = set(federation.members[writer].created) - before
    poll(
        lambda: marker <= federation.replica_ids(reader).get(writer, set()),
        60,
        f"{writer}'s marker on {reader}",
    )


def replication_goes_on(federation: Federation, links: dict[str, list[int]]) -> None:
    marker_reaches(federation, "ro", "fr")
    marker_reaches(federation, "fr", "ro")
    assert leaf_connections(federation) == links, "a leaf link was dropped and made again"
    for member in federation.members.values():
        assert httpx.get(f"{member.url}/healthz", timeout=5).status_code == 200


@pytest.mark.e2e
def test_a_message_just_under_max_payload_stops_at_the_node_stream(
    federation: Federation,
) -> None:
    ro = federation.members["ro"]
    links = leaf_connections(federation)
    subject = "alliance.ro.membership.organization.poison"
    refused = asyncio.run(jetstream_publish(ro.nats_url, subject, b"x" * JUST_UNDER_MAX_PAYLOAD))
    assert refused is not None and "maximum" in refused.lower(), refused
    replication_goes_on(federation, links)
    assert "poison" not in {e.subject.rsplit(".", 1)[-1] for e in federation.alliance_events()}


@pytest.mark.e2e
def test_the_largest_message_a_node_stream_takes_crosses_every_hop_and_is_dead_lettered(
    federation: Federation,
) -> None:
    """Through NODE_RO, the hub's ALLIANCE (plus a source header) and FEED_FR (plus
    another): no hop refuses it or drops a link; fr's consumers refuse it as oversized."""
    ro, fr = federation.members["ro"], federation.members["fr"]
    links = leaf_connections(federation)
    size = max_message_bytes(Hop.ORIGIN)  # no headers: the body is the whole message
    subject = "alliance.ro.membership.organization.largest"
    assert asyncio.run(jetstream_publish(ro.nats_url, subject, b"{" * size)) is None

    def dead_lettered() -> bool:
        dead = read_stream(fr.nats_url, subjects.dead_letter_stream("fr"))
        return any(len(e.body.get("_raw", "")) == DEAD_LETTER_BODY_BYTES for e in dead)

    poll(dead_lettered, 60, "fr dead-lettering the largest message")
    assert subject in {e.subject for e in read_stream(fr.nats_url, subjects.feed_stream("fr"))}
    text = federation.metrics("fr")
    assert metric_value(
        text, "alliance_dead_letters_total", reason="oversized", service="membership"
    )
    replication_goes_on(federation, links)


@pytest.mark.e2e
def test_a_node_whose_stream_has_no_limit_cannot_make_a_link_flap(
    federation: Federation,
) -> None:
    """A node on an older version, or one that lifted its own limit: the hub's ALLIANCE
    refuses its message (and its source waits on it); no link drops, the others go on."""
    ro = federation.members["ro"]
    links = leaf_connections(federation)
    asyncio.run(lift_limit(ro.nats_url, subjects.node_stream("ro")))
    subject = "alliance.ro.membership.organization.unlimited"
    assert (
        asyncio.run(jetstream_publish(ro.nats_url, subject, b"x" * JUST_UNDER_MAX_PAYLOAD)) is None
    )
    marker_reaches(federation, "fr", "ro")
    assert leaf_connections(federation) == links, "a leaf link was dropped and made again"
    assert subject not in {e.subject for e in federation.alliance_events()}
    # what docs/operations.md tells the node's operator to do: purge it; ro's events flow
    asyncio.run(purge(ro.nats_url, subjects.node_stream("ro"), subject))
    replication_goes_on(federation, links)


async def lift_limit(url: str, stream: str) -> None:
    client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        js = client.jetstream()
        config = (await js.stream_info(stream)).config
        config.max_msg_size = -1
        await js.update_stream(config)
    finally:
        await client.close()


async def purge(url: str, stream: str, subject: str) -> None:
    client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        await client.jetstream().purge_stream(stream, subject=subject)
    finally:
        await client.close()
