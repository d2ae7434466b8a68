"""What a service is to the process that hosts it, and what it is given.

A service package exposes ``create_service(context) -> Service`` through the
``alliance.services`` entry point group; the host discovers it there, so nothing in
``shared/`` names a particular service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from fastapi import APIRouter
from faststream.nats import NatsBroker
from pymongo import AsyncMongoClient

from shared.auth import RequireRole, Role, TokenStore
from shared.bus import BusConnection, DeadLetters
from shared.consumer import Inbound
from shared.contracts.base import Contract
from shared.envelope import KeyRing
from shared.identity import NodeIdentity
from shared.metrics import Metrics
from shared.settings import NodeSettings
from shared.store import Document, ServiceDatabase, database_name

SERVICE_GROUP = "alliance.services"


@dataclass
class ServiceContext:
    """The adapters a service may use; built once per process by the host."""

    settings: NodeSettings
    identity: NodeIdentity
    keyring: KeyRing
    mongo: AsyncMongoClient[Document]
    bus: BusConnection
    broker: NatsBroker
    metrics: Metrics
    tokens: TokenStore

    def database(self, service: str) -> ServiceDatabase:
        """Each service owns one database, named after the node and the service."""
        return ServiceDatabase(self.mongo, database_name(self.identity.node, service))

    def requires(self, role: Role) -> RequireRole:
        return RequireRole(self.tokens, role)

    def inbound(self, service: str) -> Inbound:
        return Inbound(
            bus=self.bus,
            keyring=self.keyring,
            dead_letters=DeadLetters(self.bus, self.identity.node, service, self.metrics),
            metrics=self.metrics,
            service=service,
            max_deliver=self.settings.max_deliver,
        )


@dataclass
class Service:
    """A service as the host sees it: HTTP routes, start and stop, what it publishes.

    ``start`` runs once the bus and store are reachable (indexes, relay, consumers);
    ``publishes`` maps each subject pattern to its contract, for the AsyncAPI document;
    ``forget_origin`` tombstones every replica of a node the hub removed.
    """

    name: str
    http: APIRouter
    start: Callable[[], Awaitable[None]]
    stop: Callable[[], Awaitable[None]]
    publishes: dict[str, type[Contract]] = field(default_factory=dict)
    forget_origin: Callable[[str], Awaitable[None]] = field(default=lambda origin: _nothing())


async def _nothing() -> None:
    """Default for services that keep no replicas."""


ServiceFactory = Callable[[ServiceContext], Service]


def discover_services() -> dict[str, ServiceFactory]:
    """Every installed service, by name."""
    return {point.name: point.load() for point in entry_points(group=SERVICE_GROUP)}
