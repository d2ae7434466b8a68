"""Limits that keep one message from stopping the federation, without servers."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from shared.aggregate import Recorded
from shared.bus import DEAD_LETTER_BODY_BYTES, BusUnavailable, SourceState
from shared.contracts import membership as contract
from shared.contracts.base import Visibility
from shared.envelope import MAX_EVENT_BYTES
from shared.errors import TooLarge
from shared.federation import HUB_SILENT_SECONDS, hub_heard
from shared.identity import NodeIdentity, create_identity
from shared.runtime import without_credentials
from shared.startup import one_line
from shared.store import Outbox
from shared.streams import HOP_HEADROOM_BYTES, Hop, max_message_bytes
from shared.subjects import Channel

NATS_MAX_PAYLOAD = 1024 * 1024  # nats-server's default, on the hub and on every node
SOURCE_HEADER_BYTES = 200  # "Nats-Stream-Source: NODE_<32-char id>:<hash> <seq> <filter>"


@pytest.fixture
def ro(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "ro", "ro", "CLUSTERO", "RO")


def organization(size: int) -> contract.OrganizationRegistered:
    return contract.OrganizationRegistered(
        id="ro-1",
        legal_name="Big SRL",
        country="RO",
        offers="x" * size,
        visibility=Visibility.ALLIANCE,
        updated_at="2026-12-03T00:00:00Z",
    )


def test_whatever_a_stream_takes_fits_the_next_hop_and_the_wire() -> None:
    """Each sourcing adds a header; a message too large for the next stream stops that
    source for good, one larger than max_payload closes the leaf link carrying it."""
    hops = [max_message_bytes(hop) for hop in Hop]
    assert hops[0] >= MAX_EVENT_BYTES + SOURCE_HEADER_BYTES  # our own Nats-Msg-Id header
    for before, after in itertools.pairwise(hops):
        assert after - before >= SOURCE_HEADER_BYTES
    assert HOP_HEADROOM_BYTES >= SOURCE_HEADER_BYTES
    assert hops[-1] + SOURCE_HEADER_BYTES < NATS_MAX_PAYLOAD // 4  # well under, not just under
    assert DEAD_LETTER_BODY_BYTES + HOP_HEADROOM_BYTES < NATS_MAX_PAYLOAD // 4


def test_an_event_above_the_limit_is_refused_with_413_naming_the_limit(ro: NodeIdentity) -> None:
    envelope = contract.CATALOGUE.seal(ro, Channel.ALLIANCE, organization(MAX_EVENT_BYTES), 1)
    with pytest.raises(TooLarge) as refused:
        envelope.publishable_bytes()
    assert refused.value.status == 413
    assert f"{MAX_EVENT_BYTES:,} bytes" in str(refused.value)
    assert "organization event" in str(refused.value)


def test_an_event_under_the_limit_is_published_as_sealed(ro: NodeIdentity) -> None:
    envelope = contract.CATALOGUE.seal(ro, Channel.ALLIANCE, organization(60_000), 1)
    assert envelope.publishable_bytes() == envelope.to_bytes()


def test_the_outbox_refuses_a_change_whose_local_event_is_too_large(ro: NodeIdentity) -> None:
    """The full event (for this node's services) counts too, not only the shared view."""
    big = organization(MAX_EVENT_BYTES)
    change = Recorded(1, big, None)
    with pytest.raises(TooLarge):
        Outbox(ro, contract.CATALOGUE).document(change)


def source(active: float | None) -> SourceState:
    return SourceState("ALLIANCE", "alliance.fr.>", 0, active)


def test_the_hub_is_heard_while_a_feed_source_had_a_heartbeat_lately() -> None:
    assert hub_heard([source(0.4), source(None)])
    assert hub_heard([source(HUB_SILENT_SECONDS + 60), source(0.9)])
    assert not hub_heard([source(HUB_SILENT_SECONDS + 0.1), source(None)])
    assert not hub_heard([])


def test_a_startup_wait_is_told_in_one_short_line_without_credentials() -> None:
    pymongo = ServerSelectionTimeoutError(
        "127.0.0.1:1: [Errno 111] Connection refused (configured timeouts: socketTimeoutMS: "
        "20000.0ms), Timeout: 5.0s, Topology Description: <TopologyDescription id: 1>"
    )
    assert one_line(pymongo) == (
        "ServerSelectionTimeoutError: 127.0.0.1:1: [Errno 111] Connection refused"
    )
    assert one_line(BusUnavailable("no answer within 5 s")) == "no answer within 5 s"
    assert without_credentials("nats://hub:s3cret@127.0.0.1:4222") == "nats://127.0.0.1:4222"
    assert without_credentials("mongodb://u:p@127.0.0.1:27017/?directConnection=true") == (
        "mongodb://127.0.0.1:27017/?directConnection=true"
    )
