"""The hub process's plan on the shared host: its NATS server, the registry, ALLIANCE.

The hub runs on the same app factory as a node (``shared.host.create_app``) with its own
streams and two components: ``HubRegistry`` and the ``ConsumerWarden`` that keeps each
node to the consumers its feed needs on ALLIANCE.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import Gauge

from services.hub import handlers
from services.hub.domain import Registry
from services.hub.natsconf import HubListeners, account, render
from services.hub.store import RegistryFile
from services.hub.warden import ConsumerWarden
from shared import subjects
from shared.bus import BusConnection, SourceDoctor, SourceState, leaf_accounts, source_states
from shared.contracts import registry as contract
from shared.contracts.catalogue import EventCatalogue
from shared.host import ProcessPlan
from shared.identity import decode_public_key
from shared.runtime import NatsServer
from shared.service import ProcessContext, ServiceKit
from shared.subjects import Channel
from shared.tasks import BackgroundTask
from shared.web.i18n import N_
from shared.web.layer import NavLink, WebLayer

log = logging.getLogger(__name__)
RECONCILE_SECONDS = 0.5
DUPLICATE_WINDOW_SECONDS = 7200


@dataclass
class HubRuntime:
    """What the hub app drives: its NATS server (for reloads) and where things live.

    The server's credentials are the hub's own NATS user (``HUB_USER`` in ALLIANCE).
    """

    nats: NatsServer
    listeners: HubListeners
    data_dir: Path
    duplicate_window_seconds: int = DUPLICATE_WINDOW_SECONDS

    @property
    def client_url(self) -> str:
        """The hub's own NATS user, for its process's bus connection."""
        return self.nats.url

    def config(self, registry_file: RegistryFile) -> str:
        store = str((self.data_dir / "nats" / "jetstream").resolve())
        password = self.nats.credentials.password
        return render(self.listeners, store, registry_file.load().active(), password)


def node_sync(states: list[SourceState], leafs: set[str] | None) -> dict[str, dict[str, Any]]:
    """Per node: leaf link connected, events not yet sourced, seconds since last activity."""
    return {
        state.origin: {
            "connected": account(state.origin) in (leafs or set()),
            "lag_events": state.lag,
            "last_active_seconds": state.active_seconds,
        }
        for state in states
        if state.origin
    }


async def sync_state(bus: BusConnection, monitor_url: str) -> dict[str, dict[str, Any]]:
    """The hub's view of every node's sync, read now."""
    states = await source_states(bus, subjects.ALLIANCE_STREAM)
    return node_sync(states, await leaf_accounts(monitor_url))


def hub_api(registry_file: RegistryFile, bus: BusConnection, monitor_url: str) -> APIRouter:
    api = APIRouter(prefix="/api/hub", tags=["hub"])

    @api.get("/nodes")
    async def nodes() -> list[dict[str, Any]]:
        """Every admitted node with its sync state (leaf link, events behind)."""
        try:
            state = await sync_state(bus, monitor_url)
        except Exception:  # the listing stays useful while NATS is restarting
            state = {}
        return [
            {
                **entry.model_dump(mode="json", exclude={"nkey", "pending"}),
                "active": entry.active,
                "sync": state.get(entry.node),
            }
            for entry in registry_file.load().nodes
        ]

    return api


class HubRegistry:
    """The hub's component: applies registry changes to NATS and ALLIANCE, and reports sync.

    A reconcile loop notices changes made by ``alliance admit`` / ``remove`` (the registry
    file), rewrites and reloads the NATS configuration, sets ALLIANCE's sources, and
    publishes the signed registry events. Nothing restarts.
    """

    publishes: list[tuple[EventCatalogue, tuple[Channel, ...]]] = [
        (contract.CATALOGUE, (Channel.ALLIANCE,))
    ]

    def __init__(self, runtime: HubRuntime, context: ProcessContext) -> None:
        self._runtime = runtime
        self._bus = context.bus
        self._metrics = context.metrics
        self._registry_file = RegistryFile(runtime.data_dir)
        self._keyring = context.keyring
        self._trust(self._registry_file.load())  # before any consumer verifies an event
        self._monitor_url = runtime.listeners.monitor_url
        self._admitted = Gauge(
            "alliance_hub_nodes",
            "Nodes in the registry by state.",
            ["state"],
            registry=context.metrics.registry,
        )
        self._doctor = SourceDoctor(self._bus, subjects.ALLIANCE_STREAM)
        self._connected: set[str] = set()
        self._loop = BackgroundTask("hub-reconcile")
        self.routers: list[APIRouter] = [hub_api(self._registry_file, self._bus, self._monitor_url)]
        self.pages: list[Callable[[WebLayer], APIRouter]] = [self._status_page]
        self.web_package: str | None = "services.hub"  # its templates/ and locales/
        self.navigation: list[NavLink] = [NavLink(N_("Status"), "/status", order=90)]

    async def start(self) -> None:
        self._loop.start(self._run())

    async def stop(self) -> None:
        await self._loop.stop()

    def _status_page(self, web: WebLayer) -> APIRouter:
        """The portal's status page: each network's link and sync, as the hub sees them."""
        pages = APIRouter(include_in_schema=False)

        async def status_page(request: Request) -> Response:
            try:
                sync = await sync_state(self._bus, self._monitor_url)
            except Exception:  # NATS restarting: the page says nothing is known now
                sync = {}
            networks = [
                {"entry": entry, "sync": sync.get(entry.node)}
                for entry in self._registry_file.load().active()
            ]
            return web.render(request, "hub/status.html", {"networks": networks})

        pages.add_api_route("/status", status_page, methods=["GET"])
        return pages

    def _trust(self, registry: Registry) -> None:
        """The hub's services verify ALLIANCE's events with the admitted nodes' keys."""
        for entry in registry.nodes:
            if entry.active:
                self._keyring.admit(entry.node, decode_public_key(entry.public_key))
            else:
                self._keyring.revoke(entry.node)

    async def _reconcile(self) -> None:
        registry = self._registry_file.load()
        self._trust(registry)
        config = self._runtime.config(self._registry_file)
        if config != self._runtime.nats.config:
            await asyncio.to_thread(self._runtime.nats.reload, config)
        await handlers.sync_alliance_sources(self._bus.js, registry)
        await handlers.publish_pending(self._bus.js, self._registry_file)
        self._admitted.labels("active").set(len(registry.active()))
        self._admitted.labels("removed").set(len(registry.nodes) - len(registry.active()))

    async def _publish_state(self) -> None:
        states = await source_states(self._bus, subjects.ALLIANCE_STREAM)
        await self._doctor.heal(states)
        for origin, state in node_sync(states, await leaf_accounts(self._monitor_url)).items():
            self._metrics.replication_lag_events.labels(origin).set(state["lag_events"])
            self._metrics.leaf_link_up.labels(origin).set(1 if state["connected"] else 0)
            if state["connected"] and origin not in self._connected:
                # A leaf reconnecting restarts stalled sources only in its own account;
                # ALLIANCE lives in the hub's, so its source would wait out a 30 s+ backoff
                # (nats-server 2.14, measured by bench/federation_catchup.py).
                await self._doctor.restart(states, subjects.node_stream(origin))
            if state["connected"]:
                self._connected.add(origin)
            else:
                self._connected.discard(origin)

    async def _run(self) -> None:
        seen = -1.0
        failing = False
        while True:
            try:
                if self._registry_file.version() != seen:
                    seen = self._registry_file.version()
                    await self._reconcile()
                await self._publish_state()
            except Exception as exc:  # keep reconciling once NATS answers again
                if not failing:  # one line per outage, not two a second
                    log.warning("hub reconcile failed (%s); retrying until it works", exc)
                failing = True
                seen = -1.0
            else:
                if failing:
                    log.warning("hub reconcile works again")
                failing = False
            await asyncio.sleep(RECONCILE_SECONDS)


def hub_plan(runtime: HubRuntime) -> ProcessPlan:
    """The hub: its own outbound stream and ALLIANCE, and the registry component."""

    async def streams(bus: BusConnection) -> None:
        await handlers.ensure_hub_streams(bus, runtime.duplicate_window_seconds)

    def registry(context: ProcessContext, kits: list[ServiceKit[Any]]) -> HubRegistry:
        return HubRegistry(runtime, context)

    def warden(context: ProcessContext, kits: list[ServiceKit[Any]]) -> ConsumerWarden:
        return ConsumerWarden(context.bus, RegistryFile(runtime.data_dir))

    return ProcessPlan(
        title="European Clusters Alliance hub",
        description="Admitted national networks, their keys, and the ALLIANCE stream.",
        streams=streams,
        components=[registry, warden],
        site_kind="hub",
        feed=subjects.ALLIANCE_STREAM,  # the hub's services read what every node shares
    )
