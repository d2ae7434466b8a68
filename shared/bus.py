"""The bus: broker factory, stream setup, dead letters, and verified batch consumers.

Streams are created here, in infrastructure code, and subscribers bind to them with
``declare=False`` (a declaring subscriber would add its subject to a sourced stream).
Consumers pull in batches (the fast path measured in NATS-NOTES); every message is
verified against the key ring before a handler sees it, and whatever cannot be applied
goes to the dead-letter stream with its reason, so the consumer never stalls on it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, NatsRouter, PullSub
from faststream.nats.prometheus import NatsPrometheusMiddleware
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from shared import subjects
from shared.envelope import Envelope, EnvelopeRejected, KeyRing
from shared.metrics import Metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
DEAD_LETTER_MAX_AGE_SECONDS = 30 * 24 * 3600
PULL_TIMEOUT_SECONDS = 0.2  # FastStream waits this long to fill a batch; longer stalls


def create_broker(url: str, metrics: Metrics) -> NatsBroker:
    """A FastStream broker with Prometheus metrics and quiet per-message logging."""
    return NatsBroker(
        url,
        middlewares=[NatsPrometheusMiddleware(registry=metrics.registry, app_name="alliance")],
        log_level=logging.DEBUG,
        max_reconnect_attempts=-1,
    )


async def ensure_node_streams(js: JetStreamContext, node: str, duplicate_window: int) -> None:
    """The node's outbound, inbound and dead-letter streams; idempotent."""
    await _ensure_stream(
        js,
        StreamConfig(
            name=subjects.node_stream(node),
            subjects=[subjects.node_subjects(node)],
            storage=StorageType.FILE,
            duplicate_window=duplicate_window,
        ),
    )
    await _ensure_stream(
        js,
        StreamConfig(
            name=subjects.dead_letter_stream(node),
            subjects=[subjects.dead_letter_subjects(node)],
            storage=StorageType.FILE,
            max_age=DEAD_LETTER_MAX_AGE_SECONDS,
        ),
    )
    await _ensure_stream(
        js,
        StreamConfig(
            name=subjects.feed_stream(node),
            subjects=[],
            storage=StorageType.FILE,
            duplicate_window=duplicate_window,
        ),
    )


async def _ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    assert config.name is not None
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)


class BusConnection:
    """The node's plain nats-py connection: stream setup and the relay's publish_async.

    FastStream has no asynchronous JetStream publish, so the relay and the dead-letter
    publisher use this connection; subscribers run on the FastStream broker.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = NatsClient()
        self._js: JetStreamContext | None = None

    async def connect(self) -> None:
        await self.client.connect(self.url, max_reconnect_attempts=-1, name="alliance")
        self._js = self.client.jetstream(publish_async_max_pending=4000)

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("the bus is not connected yet")
        return self._js

    @property
    def connected(self) -> bool:
        return self.client.is_connected

    async def close(self) -> None:
        if not self.client.is_closed:
            await self.client.drain()


class DeadLetters:
    """Keeps refused messages, with the reason, in the node's dead-letter stream."""

    def __init__(self, bus: BusConnection, node: str, service: str, metrics: Metrics) -> None:
        self._bus = bus
        self._subject = subjects.dead_letter_subject(node, service)
        self._service = service
        self._metrics = metrics

    async def reject(self, message: Msg, reason: str, detail: str) -> None:
        log.warning("dead-letter %s on %s: %s (%s)", reason, message.subject, detail, self._service)
        await self._bus.js.publish(
            self._subject,
            message.data,
            headers={
                "Alliance-Reason": reason,
                "Alliance-Detail": detail[:500],
                "Alliance-Subject": message.subject,
            },
        )
        self._metrics.dead_letters.labels(self._service, reason).inc()


@dataclass(frozen=True)
class Inbound:
    """Everything a verified consumer needs besides its handler."""

    keyring: KeyRing
    dead_letters: DeadLetters
    metrics: Metrics
    service: str
    max_deliver: int


def subscribe_verified(
    router: NatsRouter,
    inbound: Inbound,
    *,
    stream: str,
    subject: str,
    durable: str,
    batch_size: int,
    decode: Callable[[Envelope], T],
    apply: Callable[[list[T]], Awaitable[None]],
    description: str,
) -> None:
    """Register a pull-batch consumer that verifies, decodes and applies envelopes.

    ``decode`` raises EnvelopeRejected for a payload the service cannot use; ``apply``
    gets the good ones and lets failures propagate so the batch is redelivered.
    """

    async def on_batch(body: list[bytes], message: NatsMessage) -> None:
        started = time.perf_counter()
        accepted = await _accepted(message.raw_message, inbound, decode)
        if accepted:
            await apply(accepted)
        inbound.metrics.handler_latency.labels(inbound.service, durable).observe(
            time.perf_counter() - started
        )

    router.subscriber(
        subject,
        stream=JStream(stream, declare=False),
        durable=durable,
        pull_sub=PullSub(batch_size=batch_size, batch=True, timeout=PULL_TIMEOUT_SECONDS),
        config=ConsumerConfig(max_deliver=-1, ack_wait=60),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_bodies,
        title=f"{inbound.service}:{durable}",
        description=description,
    )(on_batch)


async def _raw_bodies(message: NatsMessage) -> Any:
    """Skip FastStream's JSON decoding: envelopes are verified on their exact bytes."""
    return message.body


async def _accepted(
    raw: Msg | Sequence[Msg], inbound: Inbound, decode: Callable[[Envelope], T]
) -> list[T]:
    messages = raw if isinstance(raw, Sequence) else [raw]
    accepted: list[T] = []
    for message in messages:
        try:
            if message.metadata.num_delivered > inbound.max_deliver:
                raise EnvelopeRejected(
                    "max_deliveries",
                    f"not applied after {inbound.max_deliver} deliveries",
                )
            envelope = inbound.keyring.open(message.data, message.subject)
            accepted.append(decode(envelope))
        except EnvelopeRejected as rejected:
            await inbound.dead_letters.reject(message, rejected.reason, rejected.detail)
    return accepted
