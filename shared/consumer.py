"""Verified batch consumers: pull, verify, decode, apply, acknowledge.

Every message is opened against the key ring before a handler sees it; what cannot be
applied (malformed, forged, unknown origin, newer major schema, or redelivered too often)
goes to the dead-letter stream with its reason and is acknowledged, so a consumer never
stalls on it. A batch whose handler fails is negatively acknowledged and redelivered.

These consumers use nats-py's pull subscription directly rather than a FastStream
subscriber: FastStream 0.7.8's batch pull loop catches ``nats.errors.TimeoutError`` but
nats-py 2.16 raises ``asyncio.TimeoutError`` when a fetch deadline runs out, so an idle
FastStream batch subscriber crashes and is restarted every poll (measured; see
docs/bus.md). Pulling batches directly is also the fast path NATS-NOTES measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import ServiceUnavailableError

from shared.bus import BusConnection, DeadLetters
from shared.envelope import Envelope, EnvelopeRejected, KeyRing
from shared.metrics import Metrics
from shared.tasks import BackgroundTask

log = logging.getLogger(__name__)

T = TypeVar("T")
FETCH_TIMEOUT_SECONDS = 1.0
PENDING_REFRESH_SECONDS = 5.0
NAK_DELAY_SECONDS = 1.0
ACK_WAIT_SECONDS = 15.0  # a batch applies in ~1 s; after a crash, redelivery waits this long


@dataclass(frozen=True)
class Inbound:
    """Everything a verified consumer needs besides what it consumes and its handler."""

    bus: BusConnection
    keyring: KeyRing
    dead_letters: DeadLetters
    metrics: Metrics
    service: str
    max_deliver: int


@dataclass
class VerifiedBatch(Generic[T]):
    """One pulled batch after verification: what to apply, and the messages to ack."""

    started: float
    size: int
    accepted: list[T] = field(default_factory=list)
    taken: list[Msg] = field(default_factory=list)


class VerifiedConsumer(Generic[T]):
    """A durable pull consumer on one stream and subject filter, applied in batches."""

    def __init__(
        self,
        inbound: Inbound,
        *,
        stream: str,
        subject: str,
        durable: str,
        batch_size: int,
        decode: Callable[[Envelope], T],
        apply: Callable[[list[T]], Awaitable[None]],
    ) -> None:
        self.inbound = inbound
        self.stream = stream
        self.subject = subject
        self.durable = durable
        self.batch_size = batch_size
        self._decode = decode
        self._apply = apply
        self._loop = BackgroundTask(f"consumer-{durable}")
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._pending_checked = 0.0

    async def start(self) -> None:
        js = self.inbound.bus.js
        await js.add_consumer(
            self.stream,
            ConsumerConfig(
                durable_name=self.durable,
                filter_subject=self.subject,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                max_deliver=-1,  # we dead-letter after max_deliver ourselves, with the reason
                ack_wait=ACK_WAIT_SECONDS,
                max_ack_pending=self.batch_size * 4,
            ),
        )
        self._subscription = await js.pull_subscribe_bind(self.durable, self.stream)
        self._loop.start(self._run(self._subscription))

    async def stop(self) -> None:
        """Stop pulling and drop the subscription, so the connection drains at once."""
        await self._loop.stop()
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None

    async def _run(self, subscription: object) -> None:
        """Fetch and verify the next batch while the previous one is being applied.

        Verification is CPU work in this process, applying is I/O in the store; running
        them side by side keeps both busy. Order within the stream is kept.
        """
        ready: asyncio.Queue[VerifiedBatch[T]] = asyncio.Queue(maxsize=1)
        applier = BackgroundTask(f"apply-{self.durable}")
        applier.start(self._apply_loop(ready))
        fetch = subscription.fetch  # type: ignore[attr-defined]
        try:
            while True:
                try:
                    messages: list[Msg] = await fetch(
                        self.batch_size, timeout=FETCH_TIMEOUT_SECONDS
                    )
                except (TimeoutError, NatsTimeout):
                    await self._refresh_pending()
                    continue
                except (ConnectionClosedError, ServiceUnavailableError) as exc:
                    log.warning("consumer %s waiting for the bus: %s", self.durable, exc)
                    await asyncio.sleep(FETCH_TIMEOUT_SECONDS)
                    continue
                try:
                    await ready.put(await self.verify(messages))
                except Exception:  # e.g. the dead-letter publish timed out: unacked, so
                    log.exception("consumer %s could not verify a batch", self.durable)
                    await asyncio.sleep(FETCH_TIMEOUT_SECONDS)  # they come back later
                await self._refresh_pending()
        finally:
            await applier.stop()

    async def _apply_loop(self, ready: asyncio.Queue[VerifiedBatch[T]]) -> None:
        while True:
            batch = await ready.get()
            try:
                await self.apply(batch)
            except Exception:  # acks lost with the connection: JetStream redelivers
                log.exception("consumer %s could not settle a batch", self.durable)

    async def verify(self, messages: list[Msg]) -> VerifiedBatch[T]:
        """Dead-letter (and ack) what must never be applied; decode the rest.

        Opening envelopes is CPU work (Ed25519 releases the GIL), so it runs in a worker
        thread while the event loop keeps relaying and applying.
        """
        batch: VerifiedBatch[T] = VerifiedBatch(time.perf_counter(), len(messages))
        outcomes = await asyncio.to_thread(self._open_all, messages)
        for message, outcome in zip(messages, outcomes, strict=True):
            if isinstance(outcome, EnvelopeRejected):
                await self.inbound.dead_letters.reject(message, outcome.reason, outcome.detail)
                await message.ack()
            else:
                batch.accepted.append(outcome[0])
                batch.taken.append(message)
        return batch

    def _open_all(self, messages: list[Msg]) -> list[tuple[T] | EnvelopeRejected]:
        return [self._open(message) for message in messages]

    def _open(self, message: Msg) -> tuple[T] | EnvelopeRejected:
        inbound = self.inbound
        try:
            if message.metadata.num_delivered > inbound.max_deliver:
                raise EnvelopeRejected(
                    "max_deliveries", f"not applied after {inbound.max_deliver} deliveries"
                )
            return (self._decode(inbound.keyring.open(message.data, message.subject)),)
        except EnvelopeRejected as rejected:
            return rejected

    async def apply(self, batch: VerifiedBatch[T]) -> None:
        """Apply the accepted messages; ack on success, nak (redeliver) on failure."""
        try:
            if batch.accepted:
                await self._apply(batch.accepted)
        except Exception:
            log.exception(
                "consumer %s failed to apply a batch; it will be redelivered", self.durable
            )
            await asyncio.gather(*(m.nak(delay=NAK_DELAY_SECONDS) for m in batch.taken))
            return
        await asyncio.gather(*(m.ack() for m in batch.taken))
        metrics = self.inbound.metrics
        metrics.messages_received.labels(self.inbound.service, self.durable).inc(batch.size)
        metrics.handler_latency.labels(self.inbound.service, self.durable).observe(
            time.perf_counter() - batch.started
        )

    async def _refresh_pending(self) -> None:
        now = time.monotonic()
        if now - self._pending_checked < PENDING_REFRESH_SECONDS:
            return
        self._pending_checked = now
        with contextlib.suppress(Exception):
            info = await self.inbound.bus.js.consumer_info(self.stream, self.durable)
            self.inbound.metrics.projection_pending.labels(self.inbound.service).set(
                info.num_pending
            )
