"""One process hosting services and components: the wiring written once, for node and hub.

``alliance up`` hosts every installed service in one process, ``alliance service NAME``
one of them (docker-compose runs one per container), ``alliance hub`` the hub's registry.
Each is ``create_app`` with a different ``ProcessPlan``. Resources open in the lifespan, in
order (bus, streams, components, services, consumers), retried until the servers behind
them answer (``shared.startup``), and close in reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.specification import AsyncAPI
from pymongo import AsyncMongoClient

from shared.auth import TokenStore
from shared.bus import BusConnection
from shared.contracts.catalogue import EventCatalogue
from shared.envelope import KeyRing
from shared.http import install_error_handlers, install_metrics, install_request_limits
from shared.identity import NodeIdentity
from shared.metrics import Metrics
from shared.openapi import documented_app
from shared.runtime import without_credentials
from shared.service import ProcessContext, ServiceDeclaration, ServiceKit
from shared.settings import ProcessSettings
from shared.startup import Startup, Step, UntilStarted
from shared.store import Document
from shared.subjects import Channel, event_subject
from shared.web.layer import NavLink, Site, WebLayer, locale_dir, template_dir
from shared.web.routes import WEB_LINKS, static_files, web_router

log = logging.getLogger(__name__)
HEALTH_TIMEOUT_SECONDS = 2.0
VERSION = "0.1.0"


@dataclass(frozen=True)
class Endpoints:
    """Where the bus and the store are, embedded or given by NATS_URL / MONGODB_URL."""

    nats_url: str
    mongodb_url: str | None = None  # None: this process keeps no data (the hub)
    nats_monitor_url: str | None = None  # the embedded server's monitoring endpoint


class Component(Protocol):
    """Process-level work beside the services: the node's federation, the hub's registry."""

    routers: list[APIRouter]
    publishes: list[tuple[EventCatalogue, tuple[Channel, ...]]]
    pages: list[Callable[[WebLayer], APIRouter]]  # its pages in the web layer, if any
    navigation: list[NavLink]
    web_package: str | None  # the package holding their templates/ and locales/

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


ComponentFactory = Callable[[ProcessContext, list[ServiceKit[Any]]], Component]


@dataclass(frozen=True)
class ProcessPlan:
    """What kind of process this is: its streams and its components."""

    title: str
    description: str
    streams: Callable[[BusConnection], Awaitable[None]]
    components: Sequence[ComponentFactory] = field(default=())
    site_kind: str = "node"  # the frame of its pages: a node's site or the hub's portal
    feed: str | None = None  # where the alliance's shared events are (default FEED_<ID>)


def create_app(
    settings: ProcessSettings,
    identity: NodeIdentity,
    endpoints: Endpoints,
    declarations: Sequence[ServiceDeclaration[Any]],
    plan: ProcessPlan,
    keyring: KeyRing | None = None,
) -> FastAPI:
    """Build (without opening anything) the HTTP app, bus, services and components."""
    metrics = Metrics()
    mongo: AsyncMongoClient[Document] | None = (
        AsyncMongoClient(endpoints.mongodb_url, serverSelectionTimeoutMS=5000, tz_aware=True)
        if endpoints.mongodb_url
        else None
    )
    bus = BusConnection(endpoints.nats_url, metrics)
    context = ProcessContext(
        settings=settings,
        identity=identity,
        keyring=keyring or KeyRing({identity.node: identity.public_key}),
        mongo=mongo,
        bus=bus,
        metrics=metrics,
        tokens=TokenStore(settings.data_dir),
        feed=plan.feed or "",
    )
    kits = [ServiceKit(declaration, context) for declaration in declarations]
    components = [make(context, kits) for make in plan.components]
    publishes = [
        (kit.declaration.catalogue, (Channel.LOCAL, Channel.ALLIANCE))
        for kit in kits
        if kit.declaration.catalogue
    ] + [entry for component in components for entry in component.publishes]
    _document_publishers(bus, publishes)

    nats, store = (
        without_credentials(endpoints.nats_url),
        without_credentials(endpoints.mongodb_url or ""),
    )
    startup = Startup(  # peers are trusted before any consumer verifies an event
        plan.title,
        bus,
        plan.streams,
        [Step(part, f"NATS at {nats} ({type(part).__name__})") for part in components]
        + [Step(kit, f"the store at {store} ({kit.name})") for kit in kits],
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await startup.begin()  # returns when up, or keeps trying in the background
        try:
            yield
        finally:
            await startup.close()
            if mongo is not None:
                await mongo.close()

    app = documented_app(  # /docs without a CDN; OpenAPI with the token scheme and errors
        title=plan.title, version=VERSION, lifespan=lifespan, description=plan.description
    )
    install_error_handlers(app)
    install_request_limits(app)  # inside the metrics: refusals are counted too
    app.add_middleware(UntilStarted, startup=startup)  # inside the request metrics
    install_metrics(app, metrics, "+".join(kit.name for kit in kits) or "hub")
    web = _web_layer(settings, identity, plan, kits, components, context.tokens)
    web.add_links(link for component in components for link in component.navigation)
    app.state.web = web
    for router in [r for kit in kits for r in kit.routers] + [
        r for component in components for r in component.routers
    ]:
        app.include_router(router)
    for kit in kits:
        for page in kit.declaration.pages:
            app.include_router(page(kit, web))
    for component in components:
        for component_page in component.pages:
            app.include_router(component_page(web))
    app.include_router(web_router(web))
    app.mount("/static", static_files(), name="static")
    app.include_router(_ops_router(identity, bus, mongo, plan.title, startup))
    app.state.kits = {kit.name: kit for kit in kits}
    return app


def _web_layer(
    settings: ProcessSettings,
    identity: NodeIdentity,
    plan: ProcessPlan,
    kits: Sequence[ServiceKit[Any]],
    components: Sequence[Component],
    tokens: TokenStore,
) -> WebLayer:
    """The pages' frame, templates, catalogues and navigation, from the declarations."""
    packages = [kit.declaration.package for kit in kits if kit.declaration.package] + [
        component.web_package for component in components if component.web_package
    ]
    return WebLayer(
        site=Site(title=identity.name, kind=plan.site_kind),
        tokens=tokens,
        data_dir=settings.data_dir,
        template_dirs=[template_dir(package) for package in packages],
        locale_dirs=[locale_dir(package) for package in packages],
        navigation=[
            *(link for kit in kits for link in kit.declaration.navigation),
            *WEB_LINKS,
        ],
    )


def _ops_router(
    identity: NodeIdentity,
    bus: BusConnection,
    mongo: AsyncMongoClient[Document] | None,
    title: str,
    startup: Startup,
) -> APIRouter:
    ops = APIRouter(tags=["ops"])

    @ops.get("/healthz")
    async def healthz() -> Response:
        """200 only when everything started and the bus and (where this process keeps data)
        the store answer now; while starting, ``waiting_for`` says what does not answer."""
        checks = {"bus": bus.connected}
        if mongo is not None:
            checks["store"] = await _store_ok(mongo)
        body: dict[str, Any] = {"node": identity.node, "checks": checks}
        if not startup.ready:
            body["waiting_for"] = startup.waiting_for
        status = 200 if startup.ready and all(checks.values()) else 503
        return JSONResponse(body, status_code=status)

    @functools.cache
    def asyncapi_document() -> str:
        spec = AsyncAPI(bus.broker, title=f"{title} — bus", version=VERSION)
        return spec.to_specification().to_json()

    @ops.get("/asyncapi.json")
    async def asyncapi() -> Response:
        """The AsyncAPI document of what this process publishes and consumes (built once)."""
        return Response(asyncapi_document(), media_type="application/json")

    return ops


def _document_publishers(
    bus: BusConnection, publishes: list[tuple[EventCatalogue, tuple[Channel, ...]]]
) -> None:
    """Describe every event this process publishes in the AsyncAPI document.

    The outbox relay publishes with JetStream's asynchronous publish on the broker's own
    connection (FastStream's publisher waits for each ack), so these publisher entries
    document the traffic rather than carry it.
    """
    for catalogue, channels in publishes:
        for entry in catalogue:
            for channel in channels:
                subject = event_subject(
                    channel, "{origin}", catalogue.service, entry.aggregate, "x"
                )
                bus.broker.publisher(
                    subject.removesuffix(".x") + ".{id}",
                    schema=entry.event,
                    title=f"{entry.type} ({channel.value})",
                    description=(entry.event.__doc__ or "").strip(),
                )


async def _store_ok(mongo: AsyncMongoClient[Document]) -> bool:
    try:
        await asyncio.wait_for(mongo.admin.command("ping"), HEALTH_TIMEOUT_SECONDS)
    except Exception:
        return False
    return True
