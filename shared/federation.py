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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from nats.js.api import ExternalStream, StreamSource
from pydantic import BaseModel

from shared import subjects
from shared.bus import (
    BusConnection,
    SourceDoctor,
    SourceState,
    leaf_accounts,
    recent_dead_letters,
    source_states,
)
from shared.consumer import VerifiedConsumer
from shared.contracts import registry
from shared.contracts.catalogue import EventCatalogue
from shared.envelope import Envelope, EnvelopeRejected
from shared.files import write_private
from shared.host import ProcessPlan
from shared.identity import NodeIdentity, decode_public_key
from shared.metrics import Metrics
from shared.service import ProcessContext, ServiceKit
from shared.settings import ProcessSettings
from shared.streams import ensure_node_streams
from shared.subjects import Channel
from shared.tasks import BackgroundTask
from shared.web.i18n import N_
from shared.web.layer import Area, NavLink, WebLayer

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "hub-credentials.json"
PEERS_FILE = "peers.json"
STATE_REFRESH_SECONDS = 2.0
BUS_AWAY = "the node's bus does not answer; try again shortly"
DEAD_LETTERS_SHOWN = 20
HUB_SILENT_SECONDS = 5.0  # a feed source not heard from for longer: the leaf link is down


class HubCredentials(BaseModel):
    """What ``alliance admit`` gives a node: how to reach the hub, and whom to trust."""

    node: str
    nkey_seed: str
    hub_url: str
    hub_public_key: str

    def save(self, path: Path) -> None:
        """Written 0600: it holds the node's secret leaf key."""
        write_private(path, self.model_dump_json(indent=2) + "\n")


def leaf_config(credentials: HubCredentials, hub_url: str | None = None) -> str:
    """The part of a node's nats-server configuration that joins the hub."""
    url = hub_url or credentials.hub_url
    return (
        'ping_interval: "5s"\n'
        "ping_max: 3\n"
        "leafnodes {\n"
        '  reconnect: "1s"\n'
        f"  remotes: [ {{ url: {json.dumps(url)}\n{leaf_remote(credentials)}  }} ]\n"
        "}\n"
    )


def leaf_remote(credentials: HubCredentials) -> str:
    """The secret and the defences of a node's leaf remote, in NATS configuration syntax.

    ``alliance up`` writes it into its own nats-server's configuration; docker-compose
    includes it from ``deploy/nats/secrets/hub-credentials.conf`` (``alliance
    leaf-remote`` prints it).
    """
    denied = "".join(f"    {json.dumps(s)}\n" for s in hub_denied_subjects(credentials.node))
    return f"  nkey: {json.dumps(credentials.nkey_seed)}\n  deny_imports: [\n{denied}  ]\n"


def hub_denied_subjects(node: str) -> list[str]:
    """What a node refuses to take from the hub over its leaf link: the hub may only source
    ``NODE_<ID>``.

    The hub sources the node's outbound stream through the node's JetStream API, so it can
    reach that API; without these denials it could also create consumers on the node's
    intra-node stream (node-only records, every contact person), its feed or its dead
    letters, or read and change streams. The node does not rely on the hub's own
    configuration for this (``tests/e2e/test_rights.py``).
    """
    api = f"$JS.{node}.API"
    denied = [f"{api}.{area}.>" for area in ("STREAM", "DIRECT", "ACCOUNT", "META", "SERVER")]
    denied.append(f"{api}.INFO")
    for stream in subjects.private_streams(node):
        denied += [
            f"{api}.CONSUMER.*.{stream}",
            f"{api}.CONSUMER.*.{stream}.>",
            f"{api}.CONSUMER.*.*.{stream}",
            f"{api}.CONSUMER.*.*.{stream}.>",
        ]
    return denied


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
        write_private(self._path, json.dumps(peers, indent=2, sort_keys=True) + "\n")


def decode_registry_event(envelope: Envelope) -> registry.NodeAdmitted | registry.NodeRemoved:
    """Only the hub speaks for the registry (the consumer's filter is the hub's prefix)."""
    event = registry.CATALOGUE.decode(envelope)
    if isinstance(event, registry.NodeAdmitted):
        try:
            decode_public_key(event.public_key)
        except ValueError as exc:
            raise EnvelopeRejected("invalid_payload", str(exc)) from exc
        return event
    if isinstance(event, registry.NodeRemoved):
        return event
    raise EnvelopeRejected("unknown_event", f"no registry event {envelope.type!r}")


RegistryEvent = registry.NodeAdmitted | registry.NodeRemoved


class Federation:
    """A node's federation component: key ring and feed sources follow the hub's registry.

    Without hub credentials (a node that has not joined) it only answers
    ``/api/federation`` with ``joined: false``.
    """

    publishes: list[tuple[EventCatalogue, tuple[Channel, ...]]] = []

    def __init__(
        self,
        context: ProcessContext,
        kits: list[ServiceKit[Any]],
        credentials: HubCredentials | None,
        monitor_url: str | None = None,
    ) -> None:
        self._inbound = context.inbound("federation")
        self._node = context.identity.node
        self._credentials = credentials
        self._peers = Peers(context.settings.data_dir)
        self._kits = kits
        self._monitor_url = monitor_url
        self._state = BackgroundTask("federation-state")
        self._doctor = SourceDoctor(self.bus, subjects.feed_stream(self._node))
        process = "-".join(sorted(kit.name for kit in kits)) or "node"
        self._consumer = (
            VerifiedConsumer(
                self._inbound,
                stream=subjects.feed_stream(self._node),
                subject=registry.CATALOGUE.subjects(Channel.ALLIANCE, registry.HUB_ORIGIN),
                # every process keeps its own key ring, so each reads the whole registry
                durable=subjects.durable_name(self._node, "federation", f"registry-{process}"),
                batch_size=100,
                decode=decode_registry_event,
                apply=self._apply,
                title="federation:registry",
                description="the hub's registry: admitted nodes and their keys",
                schema=RegistryEvent,
            )
            if credentials
            else None
        )
        self.routers = [self._router()]
        self.pages: list[Callable[[WebLayer], APIRouter]] = [self._console_page]
        self.web_package: str | None = None  # its page's template is the web layer's own
        self.navigation: list[NavLink] = [
            NavLink(N_("Federation"), "/console/federation", Area.CONSOLE, order=80)
        ]

    @property
    def bus(self) -> BusConnection:
        return self._inbound.bus

    @property
    def metrics(self) -> Metrics:
        return self._inbound.metrics

    async def start(self) -> None:
        if self._credentials is None or self._consumer is None:
            return
        keyring = self._inbound.keyring
        keyring.admit(registry.HUB_ORIGIN, decode_public_key(self._credentials.hub_public_key))
        for origin, key in self._peers.load().items():
            keyring.admit(origin, decode_public_key(key))
        await self.sync_feed_sources()
        await self._consumer.start()
        self._state.start(self._refresh_state())

    async def stop(self) -> None:
        if self._consumer is not None:
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
            if event.id == self._node:
                continue
            if isinstance(event, registry.NodeAdmitted):
                peers[event.id] = event.public_key
                self._inbound.keyring.admit(event.id, decode_public_key(event.public_key))
            elif event.id in peers:
                peers.pop(event.id)
                self._inbound.keyring.revoke(event.id)
                removed.append(event.id)
        self._peers.save(peers)
        await self.sync_feed_sources()
        for origin in removed:
            for kit in self._kits:
                await kit.forget_origin(origin)

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
        up = await self.leaf_link_up(states)
        self.metrics.leaf_link_up.labels(subjects.HUB_DOMAIN).set(1 if up else 0)

    async def leaf_link_up(self, states: list[SourceState]) -> bool:
        """The embedded server's ``/leafz`` says; a server given by ``NATS_URL`` may have
        no monitoring port we know, so there the feed's sources tell (``hub_heard``)."""
        if self._monitor_url:
            return bool(await leaf_accounts(self._monitor_url))
        return hub_heard(states)

    def _router(self) -> APIRouter:
        api = APIRouter(tags=["ops"])

        @api.get("/api/federation")
        async def federation_state() -> dict[str, object]:
            """This node's link to the hub and how far behind each other origin it is."""
            return await self.state()

        return api

    async def state(self) -> dict[str, object]:
        """The link to the hub and, per other origin, how far behind this node is."""
        if self._credentials is None:
            return {"node": self._node, "joined": False, "origins": []}
        try:
            states = await source_states(self.bus, subjects.feed_stream(self._node))
        except Exception as exc:  # the bus is away: say so, not a 500
            raise HTTPException(503, "the node's bus does not answer; try again shortly") from exc
        active = {state.origin or state.name: state.active_seconds for state in states}
        return {
            "node": self._node,
            "joined": True,
            "leaf_link_up": await self.leaf_link_up(states),
            "origins": [
                {
                    "origin": origin,
                    "lag_events": lag,
                    "behind_seconds": behind,
                    "last_active_seconds": active.get(origin),
                }
                for origin, lag, behind in replication_rows(states)
            ],
        }

    def _console_page(self, web: WebLayer) -> APIRouter:
        """The console's federation page: what staff can read without Prometheus."""
        pages = APIRouter(include_in_schema=False)

        async def federation_page(request: Request) -> Response:
            web.staff()(request)
            try:
                letters = await recent_dead_letters(self.bus, self._node, DEAD_LETTERS_SHOWN)
            except Exception:  # the bus is away: the page says so through the state
                letters = []
            return web.render(
                request,
                "web/federation.html",
                {"state": await self.state(), "dead_letters": letters},
            )

        pages.add_api_route("/console/federation", federation_page, methods=["GET"])
        return pages


def hub_heard(states: list[SourceState]) -> bool:
    """Is the hub heard over the leaf link? While it is, every source of the feed gets a
    heartbeat from ALLIANCE about once a second (measured on nats-server 2.14: ``active``
    stays under 1 s, and grows from the moment the link is cut)."""
    return any(
        s.active_seconds is not None and s.active_seconds <= HUB_SILENT_SECONDS for s in states
    )


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


def node_plan(
    identity: NodeIdentity,
    settings: ProcessSettings,
    credentials: HubCredentials | None = None,
    monitor_url: str | None = None,
) -> ProcessPlan:
    """A national node: its four streams and its federation component."""

    async def streams(bus: BusConnection) -> None:
        await ensure_node_streams(bus, identity.node, settings.duplicate_window_seconds)

    def federation(context: ProcessContext, kits: list[ServiceKit[Any]]) -> Federation:
        return Federation(context, kits, credentials, monitor_url)

    return ProcessPlan(
        title=f"Alliance node {identity.node} — {identity.name}",
        description="Member networks, clusters and organisations of one national association.",
        streams=streams,
        components=[federation],
    )
