"""Hub use cases: admit and remove nodes, and bring NATS in line with the registry."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import nkeys
from nats.js import JetStreamContext
from nats.js.api import ExternalStream, StreamSource

from services.hub.domain import AdmittedNode, JoinRequest, Registry
from services.hub.natsconf import node_deliver
from services.hub.store import RegistryFile
from shared import subjects
from shared.bus import BusConnection
from shared.contracts import registry as contract
from shared.envelope import Envelope
from shared.federation import HubCredentials
from shared.identity import NodeIdentity
from shared.streams import Hop, ensure_streams, event_stream
from shared.subjects import Channel

HUB_STREAM = subjects.node_stream(contract.HUB_ORIGIN)


def _announce(hub: NodeIdentity, registry: Registry, entry: AdmittedNode) -> None:
    """Queue the signed registry event of an admission or removal with its entry.

    The aggregate is the node id; each admission of it counts two versions (admitted,
    removed), so a node admitted again later is newer than its earlier removal.
    """
    earlier = sum(1 for other in registry.nodes if other.node == entry.node and other is not entry)
    event: contract.Event
    if entry.active:
        event = contract.NodeAdmitted(
            id=entry.node,
            name=entry.name,
            country=entry.country,
            public_key=entry.public_key,
            site_url=entry.site_url,
        )
        version = 2 * earlier + 1
    else:
        event = contract.NodeRemoved(id=entry.node)
        version = 2 * earlier + 2
    envelope = contract.CATALOGUE.seal(hub, Channel.ALLIANCE, event, version)
    entry.pending.append(envelope.model_dump_json())


def admit(
    request: JoinRequest, registry_file: RegistryFile, hub: NodeIdentity, hub_url: str
) -> HubCredentials:
    """Admit a node: a registry entry, a leaf nkey, and the signed announcement."""
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    nkey = nkeys.from_seed(seed).public_key.decode()
    with registry_file.editing() as registry:
        entry = registry.admit(request, nkey, datetime.now(UTC))
        _announce(hub, registry, entry)
    return HubCredentials(
        node=request.node,
        nkey_seed=seed.decode(),
        hub_url=hub_url,
        hub_public_key=hub.public_key_b64,
    )


def remove(node: str, registry_file: RegistryFile, hub: NodeIdentity) -> AdmittedNode:
    """Stop accepting a node; every node tombstones its replicas on the announcement."""
    with registry_file.editing() as registry:
        entry = registry.remove(node, datetime.now(UTC))
        _announce(hub, registry, entry)
    return entry


def alliance_sources(registry: Registry) -> list[StreamSource]:
    """ALLIANCE sources the hub's own stream and every active node's NODE_<ID>."""
    sources = [StreamSource(name=HUB_STREAM)]
    for entry in registry.active():
        sources.append(
            StreamSource(
                name=subjects.node_stream(entry.node),
                filter_subject=subjects.node_subjects(entry.node),
                external=ExternalStream(
                    api=f"$JS.{entry.node}.API", deliver=node_deliver(entry.node)
                ),
            )
        )
    return sources


async def ensure_hub_streams(bus: BusConnection, duplicate_window: int) -> None:
    """The hub's own outbound stream (registry events) and ALLIANCE (no own subjects).

    ALLIANCE is the second hop of every event: it allows a little more than a node's
    stream (the source header it adds) and keeps the latest event of each aggregate.
    """
    await ensure_streams(
        bus,
        [
            event_stream(
                HUB_STREAM,
                [subjects.node_subjects(contract.HUB_ORIGIN)],
                duplicate_window,
                Hop.ORIGIN,
            ),
            event_stream(
                subjects.ALLIANCE_STREAM,
                [],
                duplicate_window,
                Hop.ALLIANCE,
                sources=[StreamSource(name=HUB_STREAM)],
            ),
        ],
    )


async def sync_alliance_sources(js: JetStreamContext, registry: Registry) -> bool:
    """Add and drop node sources; True if the stream changed."""
    config = (await js.stream_info(subjects.ALLIANCE_STREAM)).config
    wanted = alliance_sources(registry)
    if [s.name for s in config.sources or []] == [s.name for s in wanted]:
        return False
    config.sources = wanted
    await js.update_stream(config)
    return True


async def publish_pending(js: JetStreamContext, registry_file: RegistryFile) -> int:
    """Publish the registry's signed events (deduplicated by id), then forget them."""
    pending = [raw for entry in registry_file.load().nodes for raw in entry.pending]
    for raw in pending:
        envelope = Envelope.model_validate_json(raw)
        await js.publish(envelope.subject, raw.encode(), headers={"Nats-Msg-Id": envelope.id})
    if pending:
        published = set(pending)
        with registry_file.editing() as registry:
            for entry in registry.nodes:
                entry.pending = [raw for raw in entry.pending if raw not in published]
    return len(pending)
