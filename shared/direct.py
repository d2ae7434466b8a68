"""Direct messages: from one node to one other node, through the hub, stored nowhere else.

A registration for another node's event, an application to speak there, a question to
its staff: personal data and requests that only the target node decides. They must not
travel like events (``NODE_<ID>`` → the hub's ``ALLIANCE`` → every ``FEED_<ID>``, where
every node and the hub would keep them). Instead (docs/architecture.md, "Messages between
nodes"):

- a handler calls ``uow.send(target, message)``; the message is sealed, signed and written
  to the service's direct outbox in the same transaction as the state change;
- ``DirectRelay`` publishes it on ``direct.<target>.<sender>.<service>.<kind>.<id>``
  with a JetStream publish whose ack comes from the target's ``INBOX_<ID>``, through the
  hub's service import (``services/hub/natsconf.py``): the hub keeps nothing. While the
  target is away there is no responder (or no ack in time): the message stays in the
  outbox and its sender tries again with backoff. Each target has its own sender, which
  sends in the order the messages were committed and never overtakes one that failed; a
  target that is away holds up neither the others nor the node's events (their relay is
  ``shared.relay``);
- on the target, the kit's verified consumer reads ``INBOX_<ID>`` in arrival order: the
  signature is checked against the sender's admitted key and the subject's sender must be
  the envelope's origin (``KeyRing.open``); malformed, forged or unknown messages go to the
  dead letters with the reason; the rest is handed, once per message id, to the handler
  the service declared for its class, inside a unit of work (which may ``send`` the
  answer);
- a message whose envelope verified but that the target refuses (malformed payload,
  unknown kind, a kind it does not handle) is answered with a ``MessageRefused``, sent
  back through the outbox; the sender's kit hands it to the service's ``on_refused``.
  A forged message gets no answer (its sender is unknown), nor does a refusal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from faststream.nats import NatsBroker

from shared import subjects
from shared.bus import BusConnection
from shared.contracts.base import Event
from shared.contracts.direct import DirectCatalogue, MessageRefused
from shared.envelope import Envelope, EnvelopeRejected
from shared.metrics import Metrics
from shared.store import Document, ServiceDatabase
from shared.tasks import BackgroundTask

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 0.5
ACK_TIMEOUT_SECONDS = 2.0  # a delivery through the hub takes milliseconds (measured: 2 ms)
BACKOFF_SECONDS = (0.5, 30.0)  # first and longest wait before trying an absent target again
BATCH = 100


@dataclass(frozen=True)
class DirectDelivery:
    """Who sent an inbound direct message, for its handler (the answer goes back there)."""

    sender: str
    message_id: str
    time: str


DirectHandler = Callable[[Any, Event, DirectDelivery, Any], Awaitable[None]]
"""``handle(kit, message, delivery, uow)``: runs in a unit of work, once per message."""


class NotTheInbox(Exception):
    """The ack came from another stream than the target's inbox: something else stores it."""


class DirectRelay:
    """One per service database that sends direct messages; a sender task per target."""

    def __init__(
        self, database: ServiceDatabase, bus: BusConnection, metrics: Metrics, service: str
    ) -> None:
        self._database = database
        self._bus = bus
        self._metrics = metrics
        self._service = service
        self._wake = asyncio.Event()
        self._loop = BackgroundTask(f"direct-relay-{service}")
        self._senders: dict[str, BackgroundTask] = {}
        database.on_commit(self._wake.set)

    def start(self) -> None:
        self._loop.start(self._run())

    async def stop(self) -> None:
        await self._loop.stop()
        for sender in self._senders.values():
            await sender.stop()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.dispatch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store is away: the next poll tries again
                log.debug("direct relay for %s cannot read its outbox: %s", self._service, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)

    async def dispatch(self) -> None:
        """Start a sender for every target with messages waiting and no sender running."""
        async with self._database.writing():
            targets = await self._database.direct_outbox.distinct("target")
        for target in sorted(targets):
            sender = self._senders.setdefault(
                target, BackgroundTask(f"direct-{self._service}-{target}")
            )
            if not sender.running:
                sender.start(self._send_all(target))

    async def _send_all(self, target: str) -> None:
        """Send ``target``'s messages in order until none waits; wait and retry on failure."""
        wait, longest = BACKOFF_SECONDS
        failing = False
        while True:
            try:
                waiting = await self._waiting(target)
                if not waiting:
                    return
                for document in waiting:
                    await self.deliver(document)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # target away, hub away, bus away: keep it, try again
                if not failing:
                    log.warning(
                        "direct messages of %s to %s wait (%s: %s)",
                        self._service,
                        target,
                        type(exc).__name__,
                        exc,
                    )
                failing = True
                await asyncio.sleep(wait)
                wait = min(wait * 2, longest)
                continue
            if failing:
                log.warning("direct messages of %s reach %s again", self._service, target)
            failing, wait = False, BACKOFF_SECONDS[0]

    async def _waiting(self, target: str) -> list[Document]:
        """The oldest messages to ``target``; reports how many wait in all."""
        outbox = self._database.direct_outbox
        async with self._database.writing():
            documents = await outbox.find(
                {"target": target}, sort=[("_id", 1)], limit=BATCH
            ).to_list()
            pending = await outbox.count_documents({"target": target})
        self._metrics.direct_pending.labels(self._service, target).set(pending)
        return documents

    async def deliver(self, document: Document) -> None:
        """Publish one message, wait for the target inbox's ack, then forget it.

        ``Nats-Msg-Id`` is the envelope id: a message whose ack was lost is stored once
        when sent again (and its handler would run once anyway).
        """
        target = str(document["target"])
        ack = await self._bus.js.publish(
            document["subject"],
            document["body"],
            timeout=ACK_TIMEOUT_SECONDS,
            headers={"Nats-Msg-Id": document["_id"]},
        )
        if ack.stream != subjects.inbox_stream(target):
            raise NotTheInbox(f"{document['subject']} was stored by {ack.stream}, not the inbox")
        async with self._database.writing():
            await self._database.direct_outbox.delete_one({"_id": document["_id"]})
        self._metrics.direct_sent.labels(self._service, target).inc()
        self._metrics.direct_delivery.labels(self._service, target).observe(
            _age(document["created"])
        )


def _age(created: datetime) -> float:
    when = created if created.tzinfo else created.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - when).total_seconds())


def direct_decoder(
    catalogue: DirectCatalogue, handled: Mapping[type[Event], Any]
) -> Callable[[Envelope], tuple[Event, DirectDelivery]]:
    """What the inbox consumer makes of a verified envelope: a message this service
    handles and who sent it, or a rejection (dead-lettered with the reason)."""

    def decode(envelope: Envelope) -> tuple[Event, DirectDelivery]:
        message = catalogue.decode(envelope)
        if type(message) not in handled:
            raise EnvelopeRejected(
                "unknown_message", f"{catalogue.service} does not handle {envelope.type!r}"
            )
        return message, DirectDelivery(envelope.origin, envelope.id, envelope.time)

    return decode


def refusal_handler(declared: Sequence[DirectHandler]) -> DirectHandler:
    """The kit's handler of ``MessageRefused``: counted by reason, then handed to each of
    the service's ``on_refused`` handlers (each part of a service marks its own pending
    request refused and leaves the others') or, with none, only logged."""

    async def on_refused(kit: Any, message: Event, delivery: DirectDelivery, uow: Any) -> None:
        assert isinstance(message, MessageRefused)
        kit.metrics.direct_refused.labels(kit.name, "received", message.reason).inc()
        for handler in declared:
            await handler(kit, message, delivery, uow)
        if declared:
            return
        log.warning(
            "%s refused %s %s of %s: %s (%s)",
            delivery.sender,
            message.kind,
            message.id,
            kit.name,
            message.reason,
            message.detail,
        )

    return on_refused


def check_handlers(catalogue: DirectCatalogue | None, handled: Mapping[type[Event], Any]) -> None:
    """A service handles only messages its catalogue names (a typo would never be called)."""
    unknown = [m.__name__ for m in handled if catalogue is None or m not in list(catalogue)]
    if unknown:
        raise ValueError(f"direct handlers for messages not in the catalogue: {unknown}")


def document_direct_messages(broker: NatsBroker, catalogue: DirectCatalogue) -> None:
    """Describe every direct message a service sends in the AsyncAPI document (the relay
    publishes them with JetStream's own publish, so these entries document, not carry)."""
    for message in catalogue:
        broker.publisher(
            subjects.direct_address(catalogue.service, catalogue.kind(message)),
            schema=message,
            title=f"{catalogue.type(message)} (direct)",
            description=(message.__doc__ or "").strip(),
        )
