"""Verified batch consumers: pull, verify, decode, apply, acknowledge.

Each consumer is a FastStream batch pull subscriber on the process's broker (durable,
explicit acks). Its handler receives the raw messages (``shared.bus.create_broker``),
queues it for a verify loop, which opens every message against the key ring in a worker
thread, dead-letters (and acks) what must never be applied — oversized, malformed,
forged, unknown origin, newer major schema, or redelivered too often — and hands the
rest to an apply loop. Fetching, verifying and applying run as three stages, one batch
in each, so the store (the slowest part) never waits for the next batch to be fetched
and verified.

A batch whose apply fails is split in halves until the failing message is alone: the
good ones are applied and acked, only the bad one is negatively acknowledged; after
``max_deliver`` deliveries it goes to the dead letters with the last error as reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from faststream import AckPolicy
from faststream.nats import JStream, PullSub
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig, DeliverPolicy

from shared.bus import BusConnection, DeadLetters
from shared.envelope import MAX_EVENT_BYTES, Envelope, EnvelopeRejected, KeyRing
from shared.metrics import Metrics
from shared.tasks import BackgroundTask

log = logging.getLogger(__name__)

T = TypeVar("T")
FETCH_TIMEOUT_SECONDS = 0.25  # longest a message waits for its batch to fill
PENDING_REFRESH_SECONDS = 5.0
NAK_DELAY_SECONDS = 1.0
ACK_WAIT_SECONDS = 15.0  # a batch applies in ~1 s; after a crash, redelivery waits this long
REMEMBERED_FAILURES = 10_000


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
    """One pulled batch after verification: what to apply, with the message of each."""

    started: float
    size: int
    accepted: list[tuple[Msg, T]] = field(default_factory=list)


async def raw_messages(message: Any, original: Any = None) -> Any:
    """FastStream decoder: hand the handler the raw NATS messages of the batch."""
    return message.raw_message


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
        title: str | None = None,
        description: str = "",
        schema: Any = None,
        refused: Callable[[Envelope, EnvelopeRejected], Awaitable[None]] | None = None,
    ) -> None:
        self.inbound = inbound
        # told of a message whose envelope verified but that decode refused (its sender
        # is known, so it can be answered: shared.direct); None for events
        self._refused = refused
        self.stream = stream
        self.subject = subject
        self.durable = durable
        self.batch_size = batch_size
        self._decode = decode
        self._apply = apply
        # With one batch waiting in each queue, at most four are unacknowledged at a time
        # (fetched, verifying, verified, applying): max_ack_pending allows exactly that.
        self._fetched: asyncio.Queue[tuple[float, list[Msg]]] = asyncio.Queue(maxsize=1)
        self._ready: asyncio.Queue[VerifiedBatch[T]] = asyncio.Queue(maxsize=1)
        self._verifier = BackgroundTask(f"verify-{durable}")
        self._applier = BackgroundTask(f"apply-{durable}")
        self._watcher = BackgroundTask(f"pending-{durable}")
        self._failures: dict[int, str] = {}  # stream sequence → last apply error
        self._subscribe(title or durable, description, schema)

    def _subscribe(self, title: str, description: str, schema: Any) -> None:
        """Register the handler on the broker; it starts with the broker."""

        async def on_batch(messages: list[Any]) -> None:
            await self.receive(messages)

        # The annotation is what AsyncAPI shows this channel carries; the handler itself
        # gets raw messages and parses them only after verifying their signature.
        on_batch.__annotations__["messages"] = list[schema] if schema is not None else list[Any]
        self._subscriber = self.inbound.bus.broker.subscriber(
            self.subject,
            stream=JStream(self.stream, declare=False),
            durable=self.durable,
            pull_sub=PullSub(batch_size=self.batch_size, timeout=FETCH_TIMEOUT_SECONDS, batch=True),
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.ALL,
                max_deliver=-1,  # we dead-letter after max_deliver ourselves, with the reason
                ack_wait=ACK_WAIT_SECONDS,
                max_ack_pending=self.batch_size * 4,
            ),
            ack_policy=AckPolicy.MANUAL,
            decoder=raw_messages,
            title=title,
            description=description,
        )
        self._subscriber(on_batch)

    async def start(self) -> None:
        """Start verifying and applying (the broker starts pulling) and watching what waits."""
        self._verifier.start(self._verify_loop())
        self._applier.start(self._apply_loop())
        self._watcher.start(self._watch_pending())

    async def stop(self) -> None:
        await self._watcher.stop()
        await self._verifier.stop()
        await self._applier.stop()

    async def receive(self, messages: list[Msg]) -> None:
        """The handler: queue this batch behind the one being verified, and fetch on."""
        await self._fetched.put((time.perf_counter(), messages))

    async def _verify_loop(self) -> None:
        while True:
            started, messages = await self._fetched.get()
            try:
                batch = await self.verify(messages, started)
            except Exception:  # dead-letter publish lost with the connection: redelivered
                log.exception("consumer %s could not verify a batch", self.durable)
                continue
            await self._ready.put(batch)

    async def _apply_loop(self) -> None:
        while True:
            batch = await self._ready.get()
            try:
                await self.apply(batch)
            except Exception:  # acks lost with the connection: JetStream redelivers
                log.exception("consumer %s could not settle a batch", self.durable)

    async def verify(self, messages: list[Msg], started: float | None = None) -> VerifiedBatch[T]:
        """Dead-letter (and ack) what must never be applied; decode the rest.

        Opening envelopes is CPU work (Ed25519 releases the GIL), so it runs in a worker
        thread while the event loop keeps relaying and applying.
        """
        batch: VerifiedBatch[T] = VerifiedBatch(started or time.perf_counter(), len(messages))
        outcomes = await asyncio.to_thread(self._open_all, messages)
        for message, outcome in zip(messages, outcomes, strict=True):
            if isinstance(outcome, EnvelopeRejected):
                await self.inbound.dead_letters.reject(message, outcome.reason, outcome.detail)
                if self._refused is not None and outcome.opened is not None:
                    await self._refused(outcome.opened, outcome)
                await message.ack()
            else:
                batch.accepted.append((message, outcome[0]))
        return batch

    def _open_all(self, messages: list[Msg]) -> list[tuple[T] | EnvelopeRejected]:
        return [self._open(message) for message in messages]

    def _open(self, message: Msg) -> tuple[T] | EnvelopeRejected:
        inbound = self.inbound
        try:
            if message.metadata.num_delivered > inbound.max_deliver:
                last = self._failures.pop(message.metadata.sequence.stream, "")
                raise EnvelopeRejected(
                    "max_deliveries",
                    f"not applied after {inbound.max_deliver} deliveries"
                    + (f": {last}" if last else ""),
                )
            if len(message.data) > MAX_EVENT_BYTES:  # unread: no node publishes one
                raise EnvelopeRejected(
                    "oversized", f"{len(message.data):,} bytes, over {MAX_EVENT_BYTES:,}"
                )
            envelope = inbound.keyring.open(message.data, message.subject)
        except EnvelopeRejected as rejected:
            return rejected
        try:
            return (self._decode(envelope),)
        except EnvelopeRejected as rejected:
            rejected.opened = envelope  # verified: its sender is known and can be answered
            return rejected

    async def apply(self, batch: VerifiedBatch[T]) -> None:
        """Apply what was accepted; ack what applied, nak (redeliver) what did not."""
        if batch.accepted:
            await self._apply_or_split(batch.accepted)
        metrics = self.inbound.metrics
        metrics.messages_received.labels(self.inbound.service, self.durable).inc(batch.size)
        metrics.handler_latency.labels(self.inbound.service, self.durable).observe(
            time.perf_counter() - batch.started
        )

    async def _apply_or_split(self, part: list[tuple[Msg, T]]) -> None:
        try:
            await self._apply([item for _, item in part])
        except Exception as exc:
            if len(part) > 1:
                middle = len(part) // 2
                await self._apply_or_split(part[:middle])
                await self._apply_or_split(part[middle:])
                return
            message = part[0][0]
            self._remember_failure(message, exc)
            log.warning(
                "consumer %s could not apply %s (delivery %d); it will be redelivered: %s",
                self.durable,
                message.subject,
                message.metadata.num_delivered,
                exc,
            )
            await message.nak(delay=NAK_DELAY_SECONDS)
            return
        await asyncio.gather(*(message.ack() for message, _ in part))

    def _remember_failure(self, message: Msg, exc: Exception) -> None:
        if len(self._failures) >= REMEMBERED_FAILURES:
            self._failures.clear()
        self._failures[message.metadata.sequence.stream] = f"{type(exc).__name__}: {exc}"

    async def _watch_pending(self) -> None:
        """Export how many messages wait for this consumer, also while it is stuck."""
        gauge = self.inbound.metrics.projection_pending.labels(self.inbound.service, self.durable)
        while True:
            with contextlib.suppress(Exception):
                info = await self.inbound.bus.js.consumer_info(self.stream, self.durable)
                gauge.set(info.num_pending)
            await asyncio.sleep(PENDING_REFRESH_SECONDS)
