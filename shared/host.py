"""One process hosting one or more services: the wiring written once, parameterised.

``alliance up`` hosts every installed service in one process; ``alliance service NAME``
hosts one (docker-compose runs one per container). Resources open in the lifespan, in
order (bus, streams, broker, services) and close in reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.specification import AsyncAPI
from pymongo import AsyncMongoClient

from shared.auth import TokenStore
from shared.bus import BusConnection, create_broker, ensure_node_streams
from shared.envelope import KeyRing
from shared.federation import Federation, HubCredentials
from shared.http import install_error_handlers, install_metrics
from shared.identity import NodeIdentity
from shared.metrics import Metrics
from shared.service import Service, ServiceContext, ServiceFactory
from shared.settings import NodeSettings
from shared.store import Document

log = logging.getLogger(__name__)
HEALTH_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Endpoints:
    """Where the bus and the store are, embedded or given by NATS_URL / MONGODB_URL."""

    nats_url: str
    mongodb_url: str
    nats_monitor_url: str | None = None  # the embedded server's monitoring endpoint


def create_node_app(
    settings: NodeSettings,
    identity: NodeIdentity,
    endpoints: Endpoints,
    factories: dict[str, ServiceFactory],
    keyring: KeyRing | None = None,
    hub: HubCredentials | None = None,
) -> FastAPI:
    """Build (without opening anything) the HTTP app, broker and services of one process."""
    metrics = Metrics()
    ring = keyring or KeyRing({identity.node: identity.public_key})
    mongo: AsyncMongoClient[Document] = AsyncMongoClient(
        endpoints.mongodb_url, serverSelectionTimeoutMS=5000, tz_aware=True
    )
    bus = BusConnection(endpoints.nats_url)
    broker = create_broker(endpoints.nats_url, metrics)
    context = ServiceContext(
        settings=settings,
        identity=identity,
        keyring=ring,
        mongo=mongo,
        bus=bus,
        broker=broker,
        metrics=metrics,
        tokens=TokenStore(settings.data_dir),
    )
    services = [factory(context) for factory in factories.values()]
    for service in services:
        for subject, contract in service.publishes.items():
            broker.publisher(
                subject,
                schema=contract,
                title=f"{service.name}:{subject}",
                description=(contract.__doc__ or "").strip(),
            )

    federation = _federation(context, services, hub, endpoints)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await bus.connect()
        await ensure_node_streams(bus.js, identity.node, settings.duplicate_window_seconds)
        if federation:  # peers are trusted before any service consumer verifies an event
            await federation.start()
        await broker.start()
        started: list[Service] = []
        try:
            for service in services:
                await service.start()
                started.append(service)
            yield
        finally:
            for service in reversed(started):
                await service.stop()
            if federation:
                await federation.stop()
            await broker.stop()
            await bus.close()
            await mongo.close()

    app = FastAPI(
        title=f"Alliance node {identity.node} — {identity.name}",
        version="0.1.0",
        lifespan=lifespan,
        description="Member networks, clusters and organisations of one national association.",
    )
    install_error_handlers(app)
    install_metrics(app, metrics, "+".join(factories) or "node")
    for service in services:
        app.include_router(service.http)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> Response:
        """200 only when the bus and the store answer."""
        checks = {"bus": bus.connected, "store": await _store_ok(mongo)}
        status = 200 if all(checks.values()) else 503
        return JSONResponse({"node": identity.node, "checks": checks}, status_code=status)

    @app.get("/api/federation", tags=["ops"])
    async def federation_state() -> dict[str, object]:
        """This node's link to the hub and how far behind each other origin it is."""
        if federation is None:
            return {"node": identity.node, "joined": False, "origins": []}
        rows = await federation.replication_state()
        return {
            "node": identity.node,
            "joined": True,
            "leaf_link_up": await federation.leaf_connected()
            if endpoints.nats_monitor_url
            else None,
            "origins": [
                {"origin": origin, "lag_events": lag, "behind_seconds": behind}
                for origin, lag, behind in rows
            ],
        }

    @functools.cache
    def asyncapi_document() -> str:
        spec = AsyncAPI(broker, title=f"Alliance node {identity.node} bus", version="0.1.0")
        return spec.to_specification().to_json()

    @app.get("/asyncapi.json", tags=["ops"])
    async def asyncapi() -> Response:
        """The AsyncAPI document of the contracts this process publishes (built once)."""
        return Response(asyncapi_document(), media_type="application/json")

    return app


def _federation(
    context: ServiceContext,
    services: list[Service],
    hub: HubCredentials | None,
    endpoints: Endpoints,
) -> Federation | None:
    """The node's federation component, when it has joined a hub."""
    if hub is None:
        return None

    async def forget_origin(origin: str) -> None:
        for service in services:
            await service.forget_origin(origin)

    return Federation(
        context.inbound("federation"),
        context.identity.node,
        context.settings.data_dir,
        hub,
        forget_origin,
        endpoints.nats_monitor_url,
        "-".join(sorted(service.name for service in services)) or "node",
    )


async def _store_ok(mongo: AsyncMongoClient[Document]) -> bool:
    try:
        await asyncio.wait_for(mongo.admin.command("ping"), HEALTH_TIMEOUT_SECONDS)
    except Exception:
        return False
    return True
