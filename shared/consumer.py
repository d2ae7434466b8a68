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
from dataclasses import dataclass
from typing import Generic, TypeVar

from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import ServiceUnavailableError

from shared.bus import BusConnection, DeadLetters
from shared.envelope import Envelope, EnvelopeRejected, KeyRing
from shared.metrics import Metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
FETCH_TIMEOUT_SECONDS = 1.0
PENDING_REFRESH_SECONDS = 5.0
NAK_DELAY_SECONDS = 1.0
ACK_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Inbound:
    """Everything a verified consumer needs besides what it consumes and its handler."""

    bus: BusConnection
    keyring: KeyRing
    dead_letters: DeadLetters
    metrics: Metrics
    service: str
    max_deliver: int


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
        self._task: asyncio.Task[None] | None = None
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
        subscription = await js.pull_subscribe_bind(self.durable, self.stream)
        self._task = asyncio.create_task(self._run(subscription), name=f"consumer-{self.durable}")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self, subscription: object) -> None:
        fetch = subscription.fetch  # type: ignore[attr-defined]
        while True:
            try:
                messages: list[Msg] = await fetch(self.batch_size, timeout=FETCH_TIMEOUT_SECONDS)
            except (TimeoutError, NatsTimeout):
                await self._refresh_pending()
                continue
            except (ConnectionClosedError, ServiceUnavailableError) as exc:
                log.warning("consumer %s waiting for the bus: %s", self.durable, exc)
                await asyncio.sleep(FETCH_TIMEOUT_SECONDS)
                continue
            await self.handle(messages)
            await self._refresh_pending()

    async def handle(self, messages: list[Msg]) -> None:
        """Dead-letter the refused, apply the rest; ack on success, nak on failure."""
        started = time.perf_counter()
        accepted: list[T] = []
        taken: list[Msg] = []
        for message in messages:
            decoded = await self._verify(message)
            if decoded is not None:
                accepted.append(decoded[0])
                taken.append(message)
        try:
            if accepted:
                await self._apply(accepted)
        except Exception:
            log.exception(
                "consumer %s failed to apply a batch; it will be redelivered", self.durable
            )
            await asyncio.gather(*(m.nak(delay=NAK_DELAY_SECONDS) for m in taken))
            return
        await asyncio.gather(*(m.ack() for m in taken))
        metrics = self.inbound.metrics
        metrics.messages_received.labels(self.inbound.service, self.durable).inc(len(messages))
        metrics.handler_latency.labels(self.inbound.service, self.durable).observe(
            time.perf_counter() - started
        )

    async def _verify(self, message: Msg) -> tuple[T] | None:
        """The decoded message, or None once it is dead-lettered and acknowledged."""
        inbound = self.inbound
        try:
            if message.metadata.num_delivered > inbound.max_deliver:
                raise EnvelopeRejected(
                    "max_deliveries", f"not applied after {inbound.max_deliver} deliveries"
                )
            return (self._decode(inbound.keyring.open(message.data, message.subject)),)
        except EnvelopeRejected as rejected:
            await inbound.dead_letters.reject(message, rejected.reason, rejected.detail)
            await message.ack()
            return None

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
