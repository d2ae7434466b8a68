"""A node's side of the federation: leaf link, feed sources, and the hub's registry.

The node's nats-server connects to the hub as a leaf node with the nkey the hub issued
at admission. Its inbound stream ``FEED_<ID>`` sources the hub's ``ALLIANCE`` stream once
per *other* origin (NATS has no negative filter), so its own events never loop back.
Which origins exist, and the key each signs with, the node learns from the hub's signed
registry events, which travel the same way under the origin ``hub``. Known peers are kept
in the data dir so they are trusted again at once after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from nats.js.api import ExternalStream, StreamSource
from pydantic import BaseModel

from shared import subjects
from shared.bus import BusConnection, SourceDoctor, SourceState, leaf_accounts, source_states
from shared.consumer import Inbound, VerifiedConsumer
from shared.contracts import registry
from shared.envelope import Envelope, EnvelopeRejected
from shared.identity import decode_public_key
from shared.metrics import Metrics
from shared.tasks import BackgroundTask

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "hub-credentials.json"
PEERS_FILE = "peers.json"
STATE_REFRESH_SECONDS = 2.0


class HubCredentials(BaseModel):
    """What ``alliance admit`` gives a node: how to reach the hub, and whom to trust."""

    node: str
    nkey_seed: str
    hub_url: str
    hub_public_key: str

    def save(self, path: Path) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.model_dump_json(indent=2) + "\n")


def leaf_config(credentials: HubCredentials, hub_url: str | None = None) -> str:
    """The part of a node's nats-server configuration that joins the hub."""
    url = hub_url or credentials.hub_url
    return (
        'ping_interval: "5s"\n'
        "ping_max: 3\n"
        "leafnodes {\n"
        '  reconnect: "1s"\n'
        f"  remotes: [ {{ url: {json.dumps(url)}, nkey: {json.dumps(credentials.nkey_seed)} }} ]\n"
        "}\n"
    )


def feed_sources(node: str, origins: list[str]) -> list[StreamSource]:
    """One source of ALLIANCE per other origin, delivered under this node's prefix."""
    external = ExternalStream(
        api=f"$JS.{subjects.HUB_DOMAIN}.API", deliver=f"deliver.{subjects.HUB_DOMAIN}.{node}"
    )
    return [
        StreamSource(
            name=subjects.ALLIANCE_STREAM,
            filter_subject=subjects.node_subjects(origin),
            external=external,
        )
        for origin in sorted(set(origins) - {node})
    ]


class Peers:
    """The admitted nodes this node knows of: origin → public key (file-backed)."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / PEERS_FILE

    def load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self._path.read_text()))
        except (OSError, ValueError):
            return {}

    def save(self, peers: dict[str, str]) -> None:
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps(peers, indent=2, sort_keys=True) + "\n")
        tmp.replace(self._path)


RegistryEvent = registry.NodeAdmitted | registry.NodeRemoved


def decode_registry_event(envelope: Envelope) -> RegistryEvent:
    """Only the hub speaks for the registry (the consumer's filter is the hub's prefix)."""
    event = envelope.subject.rsplit(".", 1)[-1]
    if event == registry.ADMITTED:
        admitted = envelope.payload(registry.NodeAdmitted)
        try:
            decode_public_key(admitted.public_key)
        except ValueError as exc:
            raise EnvelopeRejected("invalid_payload", str(exc)) from exc
        return admitted
    if event == registry.REMOVED:
        return envelope.payload(registry.NodeRemoved)
    raise EnvelopeRejected("unknown_event", f"no registry event {event!r}")


class Federation:
    """Keeps the key ring and the feed's sources in line with the hub's registry."""

    def __init__(
        self,
        inbound: Inbound,
        node: str,
        data_dir: Path,
        credentials: HubCredentials,
        forget_origin: Callable[[str], Awaitable[None]],
        monitor_url: str | None = None,
        process: str = "node",
    ) -> None:
        self._inbound = inbound
        self._node = node
        self._credentials = credentials
        self._peers = Peers(data_dir)
        self._forget_origin = forget_origin
        self._monitor_url = monitor_url
        self._consumer = VerifiedConsumer(
            inbound,
            stream=subjects.feed_stream(node),
            subject=f"{subjects.ROOT}.{registry.HUB_ORIGIN}.{registry.SERVICE}.>",
            # every process keeps its own key ring, so each reads the whole registry
            durable=subjects.durable_name(node, "federation", f"registry-{process}"),
            batch_size=100,
            decode=decode_registry_event,
            apply=self._apply,
        )
        self._state = BackgroundTask("federation-state")
        self._doctor = SourceDoctor(inbound.bus, subjects.feed_stream(node))

    @property
    def bus(self) -> BusConnection:
        return self._inbound.bus

    @property
    def metrics(self) -> Metrics:
        return self._inbound.metrics

    async def start(self) -> None:
        keyring = self._inbound.keyring
        keyring.admit(registry.HUB_ORIGIN, decode_public_key(self._credentials.hub_public_key))
        for origin, key in self._peers.load().items():
            keyring.admit(origin, decode_public_key(key))
        await self.sync_feed_sources()
        await self._consumer.start()
        self._state.start(self._refresh_state())

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._state.stop()

    def origins(self) -> list[str]:
        return [registry.HUB_ORIGIN, *self._peers.load()]

    async def sync_feed_sources(self) -> None:
        """Source every known origin but ourselves; unchanged sources keep their place."""
        js = self.bus.js
        stream = subjects.feed_stream(self._node)
        config = (await js.stream_info(stream)).config
        wanted = feed_sources(self._node, self.origins())
        if [s.filter_subject for s in config.sources or []] != [s.filter_subject for s in wanted]:
            config.sources = wanted
            await js.update_stream(config)

    async def _apply(self, events: list[RegistryEvent]) -> None:
        peers = self._peers.load()
        removed: list[str] = []
        for event in events:
            if event.node == self._node:
                continue
            if isinstance(event, registry.NodeAdmitted):
                peers[event.node] = event.public_key
                self._inbound.keyring.admit(event.node, decode_public_key(event.public_key))
            elif event.node in peers:
                peers.pop(event.node)
                self._inbound.keyring.revoke(event.node)
                removed.append(event.node)
        self._peers.save(peers)
        await self.sync_feed_sources()
        for origin in removed:
            await self._forget_origin(origin)

    async def _refresh_state(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self._publish_state()
            await asyncio.sleep(STATE_REFRESH_SECONDS)

    async def _publish_state(self) -> None:
        """Heal stalled feed sources; export lag per origin and the leaf link's state."""
        states = await source_states(self.bus, subjects.feed_stream(self._node))
        await self._doctor.heal(states)
        for origin, lag, behind_seconds in replication_rows(states):
            self.metrics.replication_lag_events.labels(origin).set(lag)
            self.metrics.replication_lag_seconds.labels(origin).set(behind_seconds)
        if self._monitor_url:
            self.metrics.leaf_link_up.labels(subjects.HUB_DOMAIN).set(
                1 if await self.leaf_connected() else 0
            )

    async def replication_state(self) -> list[tuple[str, int, float]]:
        """(origin, events behind, seconds behind) for every sourced origin."""
        return replication_rows(await source_states(self.bus, subjects.feed_stream(self._node)))

    async def leaf_connected(self) -> bool:
        assert self._monitor_url is not None
        return bool(await leaf_accounts(self._monitor_url))


def replication_rows(states: list[SourceState]) -> list[tuple[str, int, float]]:
    """(origin, events behind, seconds behind): behind counts only while events wait."""
    return [
        (
            state.origin or state.name,
            state.lag,
            state.active_seconds if state.lag and state.active_seconds is not None else 0.0,
        )
        for state in states
    ]
