"""The hub process's wiring: its NATS server, the registry, ALLIANCE, and HTTP.

A reconcile loop applies registry changes made by ``alliance admit`` / ``remove``:
it rewrites and reloads the NATS configuration, sets ALLIANCE's sources, and publishes
the signed registry events. Nothing restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import Gauge

from services.hub import handlers
from services.hub.natsconf import HUB_USER, HubListeners, account, render
from services.hub.store import RegistryFile
from shared import subjects
from shared.bus import BusConnection, SourceDoctor, SourceState, leaf_accounts, source_states
from shared.http import install_error_handlers, install_metrics
from shared.identity import NodeIdentity
from shared.metrics import Metrics
from shared.runtime import NatsServer
from shared.tasks import BackgroundTask

log = logging.getLogger(__name__)
RECONCILE_SECONDS = 0.5
DUPLICATE_WINDOW_SECONDS = 7200


@dataclass
class HubRuntime:
    """What the hub app drives: its NATS server (for reloads) and where things live."""

    nats: NatsServer
    listeners: HubListeners
    data_dir: Path
    password: str

    def config(self, registry_file: RegistryFile) -> str:
        store = str((self.data_dir / "nats" / "jetstream").resolve())
        return render(self.listeners, store, registry_file.load().active(), self.password)


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


def create_hub_app(runtime: HubRuntime, identity: NodeIdentity) -> FastAPI:
    metrics = Metrics()
    registry_file = RegistryFile(runtime.data_dir)
    client_url = runtime.nats.url.replace("nats://", f"nats://{HUB_USER}:{runtime.password}@")
    bus = BusConnection(client_url)
    monitor_url = f"http://{runtime.listeners.host}:{runtime.listeners.monitor_port}"
    admitted = Gauge(
        "alliance_hub_nodes",
        "Nodes in the registry by state.",
        ["state"],
        registry=metrics.registry,
    )

    async def reconcile() -> None:
        registry = registry_file.load()
        config = runtime.config(registry_file)
        if config != runtime.nats.config:
            await asyncio.to_thread(runtime.nats.reload, config)
        await handlers.sync_alliance_sources(bus.js, registry)
        await handlers.publish_pending(bus.js, registry_file)
        admitted.labels("active").set(len(registry.active()))
        admitted.labels("removed").set(len(registry.nodes) - len(registry.active()))

    doctor = SourceDoctor(bus, subjects.ALLIANCE_STREAM)
    connected: set[str] = set()

    async def publish_state() -> None:
        states = await source_states(bus, subjects.ALLIANCE_STREAM)
        await doctor.heal(states)
        for origin, state in node_sync(states, await leaf_accounts(monitor_url)).items():
            metrics.replication_lag_events.labels(origin).set(state["lag_events"])
            metrics.leaf_link_up.labels(origin).set(1 if state["connected"] else 0)
            if state["connected"] and origin not in connected:
                # A leaf reconnecting restarts stalled sources only in its own account;
                # ALLIANCE lives in the hub's, so its source would wait out a 30 s+ backoff
                # (nats-server 2.14, measured by bench/federation_catchup.py).
                await doctor.restart(states, subjects.node_stream(origin))
            if state["connected"]:
                connected.add(origin)
            else:
                connected.discard(origin)

    async def loop() -> None:
        seen = -1.0
        while True:
            try:
                if registry_file.version() != seen:
                    seen = registry_file.version()
                    await reconcile()
                await publish_state()
            except Exception as exc:  # keep reconciling once NATS answers again
                log.warning("hub reconcile failed, retrying: %s", exc)
                seen = -1.0
            await asyncio.sleep(RECONCILE_SECONDS)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await bus.connect()
        await handlers.ensure_hub_streams(bus.js, DUPLICATE_WINDOW_SECONDS)
        reconciler = BackgroundTask("hub-reconcile")
        reconciler.start(loop())
        try:
            yield
        finally:
            await reconciler.stop()
            await bus.close()

    app = FastAPI(title="European Clusters Alliance hub", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    install_metrics(app, metrics, "hub")
    app.include_router(hub_api(registry_file, bus, monitor_url))

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> Response:
        status = 200 if bus.connected else 503
        return JSONResponse(
            {"node": identity.node, "checks": {"bus": bus.connected}}, status_code=status
        )

    return app
