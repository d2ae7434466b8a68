"""Streams keep the latest event of each aggregate, also those made by an older version.

Before, NODE_<ID>, ALLIANCE and every FEED_<ID> kept every version forever: the data of
an organisation later made node-only, or of a contact person who withdrew consent, could
still be read there. A start brings existing streams to the limits and drops what they
kept beyond them (nats-server applies a new per-subject limit only to later messages).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig, StreamSource

from services.hub.handlers import HUB_STREAM, ensure_hub_streams
from shared import subjects
from shared.bus import BusConnection
from shared.runtime import NatsServer
from shared.streams import Hop, ensure_node_streams, max_message_bytes


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[BusConnection]:
    connection = BusConnection(nats_server.url)
    await connection.connect()
    yield connection
    await connection.close()


def as_before(name: str, stream_subjects: list[str], **more: object) -> StreamConfig:
    """A stream as the previous version created it: no per-subject or size limit."""
    return StreamConfig(
        name=name,
        subjects=stream_subjects,
        storage=StorageType.FILE,
        duplicate_window=3600,
        **more,  # type: ignore[arg-type]
    )


async def three_versions(js: JetStreamContext, prefix: str) -> None:
    for version in range(3):
        for aggregate in ("a1", "a2"):
            await js.publish(
                f"{prefix}.membership.organization.{aggregate}", f"v{version}".encode()
            )


async def contents(js: JetStreamContext, stream: str) -> dict[str, bytes]:
    info = await js.stream_info(stream)
    found = {}
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            message = await js.get_msg(stream, seq)
        except Exception:  # a purged sequence
            continue
        found[message.subject] = message.data
    assert len(found) == info.state.messages, "a subject is held more than once"
    return found


async def test_a_nodes_existing_streams_keep_only_the_latest_event_after_a_start(
    bus: BusConnection,
) -> None:
    js = bus.js
    await js.add_stream(as_before("NODE_FR", ["alliance.fr.>"]))
    await js.add_stream(as_before("NODE_RO", ["alliance.ro.>"]))
    await js.add_stream(as_before("LOCAL_RO", ["local.ro.>"]))
    await js.add_stream(as_before("FEED_RO", [], sources=[StreamSource(name="NODE_FR")]))
    for prefix in ("alliance.ro", "local.ro", "alliance.fr"):
        await three_versions(js, prefix)

    async def all_sourced() -> bool:
        return (await js.stream_info("FEED_RO")).state.messages == 6

    await eventually(all_sourced)
    await ensure_node_streams(bus, "ro", 3600)

    for stream, prefix, hop in (
        ("NODE_RO", "alliance.ro", Hop.ORIGIN),
        ("LOCAL_RO", "local.ro", Hop.ORIGIN),
        ("FEED_RO", "alliance.fr", Hop.FEED),
    ):
        config = (await js.stream_info(stream)).config
        assert config.max_msgs_per_subject == 1 and config.max_msg_size == max_message_bytes(hop)
        assert await contents(js, stream) == {
            f"{prefix}.membership.organization.a1": b"v2",
            f"{prefix}.membership.organization.a2": b"v2",
        }, stream
    feed = (await js.stream_info("FEED_RO")).config
    assert [s.name for s in feed.sources or []] == ["NODE_FR"]  # sources are left alone
    await js.publish("alliance.fr.membership.organization.a1", b"v3")  # and still flow

    async def sourced() -> bool:
        return (await contents(js, "FEED_RO"))["alliance.fr.membership.organization.a1"] == b"v3"

    await eventually(sourced)
    assert (await js.stream_info("FEED_RO")).state.messages == 2
    await ensure_node_streams(bus, "ro", 3600)  # a later start changes nothing
    assert (await js.stream_info("NODE_RO")).state.messages == 2


async def test_the_hubs_alliance_stream_gets_its_limits_and_keeps_its_sources(
    bus: BusConnection,
) -> None:
    js = bus.js
    await js.add_stream(as_before(HUB_STREAM, ["alliance.hub.>"]))
    await js.add_stream(as_before("NODE_FR", ["alliance.fr.>"]))
    sources = [StreamSource(name=HUB_STREAM), StreamSource(name="NODE_FR")]
    await js.add_stream(as_before(subjects.ALLIANCE_STREAM, [], sources=sources))
    await three_versions(js, "alliance.fr")

    async def sourced() -> bool:
        return (await js.stream_info(subjects.ALLIANCE_STREAM)).state.messages == 6

    await eventually(sourced)
    await ensure_hub_streams(bus, 3600)
    config = (await js.stream_info(subjects.ALLIANCE_STREAM)).config
    assert config.max_msgs_per_subject == 1
    assert config.max_msg_size == max_message_bytes(Hop.ALLIANCE)
    assert sorted(s.name for s in config.sources or []) == ["NODE_FR", HUB_STREAM]
    assert set((await contents(js, subjects.ALLIANCE_STREAM)).values()) == {b"v2"}
