"""The service kit: a service is a declaration; everything it needs is built from it.

A service package states what it is (``ServiceDeclaration``): its name, its event
catalogue, its unit of work (its repositories), its collections and index migrations,
the replicas it keeps, the events it subscribes to, its HTTP routers and its demo data.
From that the kit (``ServiceKit``) builds what every service needs and none writes by
hand: its database, the outbox and its relay, verified consumers for its replicas and
subscriptions with their metrics, ``forget_origin`` for every replica it keeps, the
transaction helper, role dependencies and the AsyncAPI entries of what it publishes and
consumes, for a service that declares direct messages the relay that sends them to one
node each and the consumer of its inbox (``shared.direct``), and for one that declares
what it erases of a person its staff-only erasure endpoint (``shared.erasure``). A
package registers its declaration with one entry point line in ``pyproject.toml`` (group
``alliance.services``); nothing in ``shared/`` names it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import Any, Generic, Protocol, TypeVar

from fastapi import APIRouter
from pymongo import ASCENDING, AsyncMongoClient

from shared.auth import Caller, RequireRole, Role, TokenStore
from shared.bus import BusConnection, DeadLetters
from shared.consumer import Inbound, VerifiedConsumer
from shared.contracts.base import Event
from shared.contracts.catalogue import EventCatalogue
from shared.contracts.direct import DirectCatalogue, MessageRefused
from shared.direct import (
    DirectDelivery,
    DirectHandler,
    DirectRelay,
    check_handlers,
    direct_decoder,
    document_direct_messages,
    refusal_handler,
)
from shared.envelope import Envelope, EnvelopeRejected, KeyRing
from shared.erasure import EraseHandler, erasure_router
from shared.identity import NodeIdentity
from shared.instants import from_wire
from shared.jobs import Jobs
from shared.metrics import Metrics
from shared.relay import OutboxRelay
from shared.replicas import (
    ReplicaChange,
    Replicas,
    apply_replica_changes,
    tombstone_origin,
)
from shared.runtime import RuntimeFailure
from shared.settings import ProcessSettings
from shared.store import (
    DirectOutbox,
    Document,
    Migration,
    Outbox,
    ServiceDatabase,
    UnitOfWork,
    database_name,
    in_transaction,
)
from shared.subjects import (
    Channel,
    direct_to,
    durable_name,
    feed_stream,
    inbox_stream,
    local_stream,
)
from shared.tasks import BackgroundTask
from shared.web.layer import NavLink, WebLayer

log = logging.getLogger(__name__)

SERVICE_GROUP = "alliance.services"
HUB_SERVICE_GROUP = "alliance.hub_services"
U = TypeVar("U", bound=UnitOfWork)
T = TypeVar("T")


@dataclass(frozen=True)
class Delivery:
    """Where an inbound event came from, for a subscription's handler."""

    origin: str
    event_id: str
    version: int
    time: str


Handler = Callable[[Any, Event, Delivery, Any], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """Events of a catalogue (this service's or another's) handled one at a time.

    ``handle(kit, event, delivery, uow)`` runs in a unit of work that also records the
    event id, so a redelivered event is handled once. ``own`` events come from this
    node's local channel (full state), ``alliance`` ones from the feed (other nodes').
    """

    name: str
    catalogue: EventCatalogue
    events: tuple[type[Event], ...]
    handle: Handler
    own: bool = True
    alliance: bool = False


class SeedClient(Protocol):
    """What demo data is written through: a node's HTTP API with an admin token."""

    def call(self, method: str, path: str, body: Any = None) -> Any: ...

    def every(self, path: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class SampleData:
    """A service's part of ``alliance demo``.

    ``seed(client, node)`` fills one node (skipping what it already holds) and returns how
    many of its records the other nodes should come to hold; ``held(client)`` tells, per
    origin, how many of other nodes' records this node holds now; ``with_partners``, if
    given, runs once the replicas are there (a node acting on its partners' records).
    """

    seed: Callable[[SeedClient, str], int]
    held: Callable[[SeedClient], dict[str, int]]
    # once every node holds the others' records: what a node does with its partners'
    # (e.g. registrations for their events); returns a line for the demo's output
    with_partners: Callable[[SeedClient, str], str] | None = None

    @classmethod
    def joined(cls, *parts: SampleData) -> SampleData:
        """The parts of one service's demo (items, papers, translations…) as one: seeds
        and held counts add up, each step runs in order and a part that fails (a
        ``RuntimeFailure``) is one line, like a service's own, and the next runs."""

        def seed(client: SeedClient, node: str) -> int:
            return sum(part.seed(client, node) for part in parts)

        def held(client: SeedClient) -> dict[str, int]:
            counts: dict[str, int] = {}
            for part in parts:
                for origin, count in part.held(client).items():
                    counts[origin] = counts.get(origin, 0) + count
            return counts

        def with_partners(client: SeedClient, node: str) -> str:
            lines = []
            for part in parts:
                if part.with_partners is None:
                    continue
                try:
                    lines.append(part.with_partners(client, node))
                except RuntimeFailure as exc:
                    lines.append(f"skipped: {exc}")
            return "; ".join(lines)

        return cls(seed, held, with_partners)


@dataclass(frozen=True)
class ServiceDeclaration(Generic[U]):
    """Everything a service is, stated once (see the module docstring)."""

    name: str
    description: str
    unit_of_work: type[U]
    catalogue: EventCatalogue | None = None
    collections: tuple[str, ...] = ()
    migrations: tuple[Migration, ...] = ()
    replicas: tuple[Replicas, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    routers: tuple[Callable[[ServiceKit[U]], APIRouter], ...] = ()
    # its pages in the web layer: routers, navigation entries, and the package whose
    # templates/ and locales/ folders hold its templates and message catalogues
    pages: tuple[Callable[[ServiceKit[U], WebLayer], APIRouter], ...] = ()
    navigation: tuple[NavLink, ...] = ()
    package: str | None = None
    sample: SampleData | None = None
    # direct messages (shared.direct): what it sends to or takes from one other node, and
    # the handler of each kind it takes from its inbox
    messages: DirectCatalogue | None = None
    direct: Mapping[type[Event], DirectHandler] = field(default_factory=dict)
    # what to do when a target refused one of its messages (``MessageRefused``), e.g.
    # mark the pending request refused: each handler is given every refusal and acts on
    # its own kinds; without any the refusal is logged and counted
    on_refused: tuple[DirectHandler, ...] = ()
    # periodic work (an owner moving lapsed offers on): each runs while the kit runs
    tasks: tuple[Callable[[ServiceKit[U]], Coroutine[Any, Any, None]], ...] = ()
    # what else to drop when the hub removed a node (data it keeps beside its replicas,
    # e.g. a projection of its own): each is given the kit and the removed node's id
    forget: tuple[Callable[[ServiceKit[U], str], Awaitable[None]], ...] = ()
    # what it erases of a person (GDPR, shared.erasure): each handler is given the kit,
    # the e-mail and the unit of work; the kit adds ``POST /api/<name>/erasures``
    erase: tuple[EraseHandler, ...] = ()


@dataclass
class ProcessContext:
    """The adapters one process shares among its services; built once by the host."""

    settings: ProcessSettings
    identity: NodeIdentity
    keyring: KeyRing
    mongo: AsyncMongoClient[Document] | None  # None: a process that keeps no data (the hub)
    bus: BusConnection
    metrics: Metrics
    tokens: TokenStore
    feed: str = ""  # the stream of the alliance's shared events here: FEED_<ID>, the hub's ALLIANCE

    def __post_init__(self) -> None:
        if not self.feed:
            self.feed = feed_stream(self.identity.node)

    def inbound(self, service: str) -> Inbound:
        return Inbound(
            bus=self.bus,
            keyring=self.keyring,
            dead_letters=DeadLetters(self.bus, self.identity.node, service, self.metrics),
            metrics=self.metrics,
            service=service,
            max_deliver=self.settings.max_deliver,
        )


class ServiceKit(Generic[U]):
    """One service as a process runs it, built from its declaration."""

    def __init__(self, declaration: ServiceDeclaration[U], context: ProcessContext) -> None:
        self.declaration = declaration
        self.name = declaration.name
        self.context = context
        self.identity = context.identity
        self.settings = context.settings
        self.metrics = context.metrics
        self.tokens = context.tokens
        if context.mongo is None:
            raise RuntimeError(f"the {declaration.name} service needs a store (MONGODB_URL)")
        self.database = ServiceDatabase(
            context.mongo, database_name(context.identity.node, declaration.name)
        )
        catalogue = declaration.catalogue
        self.outbox = Outbox(context.identity, catalogue) if catalogue else None
        self.relay = (
            OutboxRelay(
                self.database,
                context.bus,
                context.metrics,
                self.name,
                context.settings.outbox_batch,
            )
            if catalogue
            else None
        )
        check_handlers(declaration.messages, declaration.direct)
        messages = declaration.messages
        self.direct_outbox = DirectOutbox(context.identity, messages) if messages else None
        if messages:
            document_direct_messages(context.bus.broker, messages)
        self.direct_relay = (
            DirectRelay(self.database, context.bus, context.metrics, self.name)
            if messages
            else None
        )
        self.jobs = Jobs(self.name)
        self.tasks = [
            BackgroundTask(f"{self.name}-task-{i}") for i in range(len(declaration.tasks))
        ]
        self.caller = Caller(context.tokens)
        self.editor = RequireRole(context.tokens, Role.EDITOR)
        self.admin = RequireRole(context.tokens, Role.ADMIN)
        self.consumers: list[VerifiedConsumer[Any]] = [
            *(c for replicas in declaration.replicas for c in self._replica_consumers(replicas)),
            *(c for sub in declaration.subscriptions for c in self._subscription_consumers(sub)),
            *self._inbox_consumers(),
        ]
        self.routers = [router(self) for router in declaration.routers]
        if declaration.erase:
            self.routers.append(erasure_router(self))

    # -- what handlers and routers use -----------------------------------------------------
    def unit_of_work(self) -> U:
        return self.declaration.unit_of_work(self.database, self.outbox, self.direct_outbox)

    async def transaction(self, work: Callable[[U], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction; its aggregates' events commit with it."""
        return await in_transaction(self.unit_of_work, work)

    def reads(self) -> U:
        """The service's repositories outside any transaction (they refuse to save)."""
        return self.unit_of_work()

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Collections and indexes, then the relay and the consumers' apply loops."""
        replica_collections = tuple(r.collection for r in self.declaration.replicas)
        await self.database.prepare(*self.declaration.collections, *replica_collections)
        await self.database.migrate(self.name, self.declaration.migrations)
        await self._ensure_replica_indexes()
        if self.relay:
            self.relay.start()
        if self.direct_relay:
            self.direct_relay.start()
        for consumer in self.consumers:
            await consumer.start()
        for task, work in zip(self.tasks, self.declaration.tasks, strict=True):
            task.start(work(self))

    async def stop(self) -> None:
        await self.jobs.stop()
        for task in self.tasks:
            await task.stop()
        for consumer in self.consumers:
            await consumer.stop()
        if self.relay:
            await self.relay.stop()
        if self.direct_relay:
            await self.direct_relay.stop()

    async def forget_origin(self, origin: str) -> None:
        """Tombstone every replica owned by a node the hub removed (and what the service
        declared it keeps of that node besides)."""
        collections = [r.collection for r in self.declaration.replicas]
        if collections:
            count = await tombstone_origin(self.database, collections, origin)
            log.warning("%s: tombstoned %d replicas of removed node %s", self.name, count, origin)
        for forget in self.declaration.forget:
            await forget(self, origin)

    # -- built from the declaration ------------------------------------------------------
    async def _ensure_replica_indexes(self) -> None:
        """Origin plus the adapter's look-up keys, on every replica collection.

        Made on every start, not as a migration: creating an index that exists changes
        nothing, and a service that adds a look-up key gets its index on existing nodes.
        """
        for replicas in self.declaration.replicas:
            collection = self.database.collection(replicas.collection)
            await collection.create_index([("origin", ASCENDING)])
            for key in replicas.indexes:
                await collection.create_index([(f"keys.{key}", ASCENDING)])

    def _channels(self, own: bool, alliance: bool) -> list[tuple[Channel, str]]:
        node = self.identity.node
        channels = []
        if own:
            channels.append((Channel.LOCAL, local_stream(node)))
        if alliance:
            channels.append((Channel.ALLIANCE, self.context.feed))
        return channels

    def _replica_consumers(self, replicas: Replicas) -> list[VerifiedConsumer[ReplicaChange]]:
        metrics, service = self.metrics, self.name

        async def apply(changes: list[ReplicaChange]) -> None:
            result = await apply_replica_changes(self.database, changes)
            for envelope in result.applied:
                metrics.projection_applied.labels(service, envelope.origin).inc()
            for envelope in result.skipped:
                metrics.projection_skipped.labels(service, envelope.origin).inc()
            if result.applied:
                newest = result.applied[-1]
                metrics.projection_lag.labels(service, newest.origin).set(_age(newest.time))

        return [
            self._consumer(
                channel,
                stream,
                replicas.catalogue.subjects(channel, self._origin(channel), replicas.aggregate),
                f"{replicas.collection}-{channel.value}",
                replicas.change,
                apply,
                f"{replicas.aggregate} replicas into {service}.{replicas.collection}",
                [e.event for e in replicas.catalogue if e.aggregate == replicas.aggregate],
            )
            for channel, stream in self._channels(replicas.own, replicas.alliance)
        ]

    def _subscription_consumers(
        self, subscription: Subscription
    ) -> list[VerifiedConsumer[tuple[Event, Delivery] | None]]:
        catalogue = subscription.catalogue
        wanted = {catalogue.entry(event).type for event in subscription.events}
        aggregates = {catalogue.entry(event).aggregate for event in subscription.events}
        aggregate = next(iter(aggregates)) if len(aggregates) == 1 else None

        def decode(envelope: Envelope) -> tuple[Event, Delivery] | None:
            event = catalogue.decode(envelope)  # refuses what the catalogue does not know
            if envelope.type not in wanted:
                return None  # a sound event this subscription does not handle
            delivery = Delivery(
                envelope.origin, envelope.id, envelope.aggregateversion, envelope.time
            )
            return event, delivery

        async def apply(events: list[tuple[Event, Delivery] | None]) -> None:
            for item in events:
                if item is None:
                    continue

                async def once(
                    uow: U, event: Event = item[0], delivery: Delivery = item[1]
                ) -> None:
                    if await uow.first_time(delivery.event_id):
                        await subscription.handle(self, event, delivery, uow)

                await self.transaction(once)

        return [
            self._consumer(
                channel,
                stream,
                catalogue.subjects(channel, self._origin(channel), aggregate),
                f"{subscription.name}-{channel.value}",
                decode,
                apply,
                f"{self.name}: {subscription.name}",
                list(subscription.events),
            )
            for channel, stream in self._channels(subscription.own, subscription.alliance)
        ]

    def _inbox_consumers(self) -> list[VerifiedConsumer[tuple[Event, DirectDelivery]]]:
        """The consumer of this service's messages in the node's inbox, in arrival order."""
        messages = self.declaration.messages
        if messages is None:
            return []
        handlers: dict[type[Event], DirectHandler] = {
            **self.declaration.direct,
            MessageRefused: refusal_handler(self.declaration.on_refused),
        }
        received = self.metrics.direct_received

        async def apply(items: list[tuple[Event, DirectDelivery]]) -> None:
            for message, delivery in items:

                async def once(
                    uow: U, message: Event = message, delivery: DirectDelivery = delivery
                ) -> str:
                    if not await uow.first_time(delivery.message_id):
                        return "duplicate"
                    await handlers[type(message)](self, message, delivery, uow)
                    return "handled"

                outcome = await self.transaction(once)
                received.labels(self.name, delivery.sender, outcome).inc()

        node = self.identity.node
        return [
            VerifiedConsumer(
                self.context.inbound(self.name),
                stream=inbox_stream(node),
                subject=direct_to(node, self.name),
                durable=durable_name(node, self.name, "direct"),
                batch_size=self.settings.consumer_batch,
                decode=direct_decoder(messages, handlers),
                apply=apply,
                title=f"{self.name}:direct",
                description=f"{self.name}: direct messages to this node",
                schema=_union(list(handlers)),
                refused=self._answer_refusal,
            )
        ]

    async def _answer_refusal(self, envelope: Envelope, rejected: EnvelopeRejected) -> None:
        """Tell the sender of a verified message this service refused why (once per
        message id), so its request does not wait for an answer that never comes."""
        messages = self.declaration.messages
        refusal = messages.refusal(envelope, rejected) if messages else None
        if refusal is None or envelope.origin == self.identity.node:
            return

        async def answer(uow: U) -> bool:
            if not await uow.first_time(envelope.id):
                return False
            uow.send(envelope.origin, refusal)
            return True

        try:
            answered = await self.transaction(answer)
        except ValueError as exc:  # an id that is no subject token: dead-lettered only
            log.warning("%s cannot answer refused %s: %s", self.name, envelope.id, exc)
            return
        if answered:
            self.metrics.direct_refused.labels(self.name, "sent", rejected.reason).inc()

    def _origin(self, channel: Channel) -> str:
        """Own events on the local channel; every other origin's on the feed."""
        return self.identity.node if channel is Channel.LOCAL else "*"

    def _consumer(
        self,
        channel: Channel,
        stream: str,
        subject: str,
        purpose: str,
        decode: Callable[[Envelope], T],
        apply: Callable[[list[T]], Awaitable[None]],
        description: str,
        events: Sequence[type[Event]],
    ) -> VerifiedConsumer[T]:
        """A verified consumer of events on one of the node's streams."""
        return VerifiedConsumer(
            self.context.inbound(self.name),
            stream=stream,
            subject=subject,
            durable=durable_name(self.identity.node, self.name, purpose),
            batch_size=self.settings.consumer_batch,
            decode=decode,
            apply=apply,
            title=f"{self.name}:{purpose}",
            description=description,
            schema=_union(events),
        )


def _union(events: Sequence[type[Event]]) -> Any:
    """The payload schema AsyncAPI shows for a channel carrying any of ``events``."""
    if not events:
        return None
    union: Any = events[0]
    for event in events[1:]:
        union = union | event
    return union


def _age(rfc3339: str) -> float:
    sent = from_wire(rfc3339)
    return max(0.0, (datetime.now(UTC) - sent).total_seconds())


DeclarationFactory = Callable[[], ServiceDeclaration[Any]]


def installed_services(group: str = SERVICE_GROUP) -> dict[str, DeclarationFactory]:
    """Every installed service, by name: a node's (``alliance.services`` entry points) or
    the hub's (``alliance.hub_services``)."""
    return {point.name: point.load() for point in entry_points(group=group)}
