"""The bus: broker factory, connection, dead letters, and what streams' sources report.

Streams are created in ``shared.streams``, in infrastructure code, never by a subscriber
(a declaring subscriber would add its subject to a sourced stream). Inbound consumers
live in ``shared.consumer``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
from faststream.nats import NatsBroker
from faststream.nats.prometheus import NatsPrometheusMiddleware
from faststream.nats.subscriber.usecases import stream_pull_subscriber
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from shared import subjects
from shared.envelope import MAX_EVENT_BYTES
from shared.metrics import Metrics

log = logging.getLogger(__name__)

DRAIN_SECONDS = 5  # a stop waits at most this long for in-flight messages
DEAD_LETTER_BODY_BYTES = MAX_EVENT_BYTES  # a refused message's body is kept up to this


def create_broker(url: str, metrics: Metrics) -> NatsBroker:
    """The FastStream broker that carries a process's consumers, with Prometheus metrics.

    Handlers get the raw messages (``apply_types=False`` and a raw decoder, see
    ``shared.consumer``): every message is verified against the key ring before it is
    parsed, which FastStream's own validation would do the other way round.
    """
    _tolerate_idle_batch_fetches()
    return NatsBroker(
        url,
        apply_types=False,
        middlewares=[NatsPrometheusMiddleware(registry=metrics.registry, app_name="alliance")],
        log_level=logging.DEBUG,
        max_reconnect_attempts=-1,
        name="alliance",
        drain_timeout=DRAIN_SECONDS,
    )


def _tolerate_idle_batch_fetches() -> None:
    """Work around FastStream 0.7.8's batch pull loop dying every idle poll.

    Its loop catches ``nats.errors.TimeoutError``, but nats-py 2.16 raises the built-in
    ``TimeoutError`` when a fetch expires with no message, so an idle batch subscriber
    crashes and is restarted by FastStream's supervisor every poll (with a traceback in
    the log). The nats error subclasses the built-in one, so catching the built-in one
    catches both. Tested by ``tests/integration/test_bus.py``; drop this when FastStream
    catches both.
    """
    stream_pull_subscriber.TimeoutError = TimeoutError  # type: ignore[assignment,misc]


class BusConnection:
    """A process's one NATS connection: the broker's, plus a JetStream context for the relay.

    FastStream has no asynchronous JetStream publish (its ``publish`` waits for each
    ack), so the relay and the dead-letter publisher use ``js`` on the broker's own
    connection; consumers are the broker's subscribers.
    """

    def __init__(self, url: str, metrics: Metrics | None = None) -> None:
        self.url = url
        self.broker = create_broker(url, metrics or Metrics())
        self._js: JetStreamContext | None = None

    async def connect(self) -> None:
        await self.broker.connect()
        self._js = self.client.jetstream(publish_async_max_pending=4000)

    @property
    def client(self) -> NatsClient:
        return self.broker.connection

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("the bus is not connected yet")
        return self._js

    @property
    def connected(self) -> bool:
        return self._js is not None and self.client.is_connected

    async def start_consuming(self) -> None:
        """Start every subscriber registered on the broker."""
        await self.broker.start()

    async def stop_consuming(self) -> None:
        """Stop pulling (in-flight batches are settled by their owners)."""
        for subscriber in self.broker.subscribers:
            await subscriber.stop()

    async def close(self) -> None:
        if self._js is not None:
            self._js = None
            await self.broker.stop()


class DeadLetters:
    """Keeps refused messages, with the reason, in the node's dead-letter stream."""

    def __init__(self, bus: BusConnection, node: str, service: str, metrics: Metrics) -> None:
        self._bus = bus
        self._subject = subjects.dead_letter_subject(node, service)
        self._service = service
        self._metrics = metrics

    async def reject(self, message: Msg, reason: str, detail: str) -> None:
        """Keep ``message`` with why it was refused; its body is cut to what the stream takes.

        A refused message may be as large as anything the server carries; with our headers
        added it could exceed ``max_payload``, and the server would close the connection.
        ``Alliance-Size`` keeps the size it had.
        """
        log.warning("dead-letter %s on %s: %s (%s)", reason, message.subject, detail, self._service)
        await self._bus.js.publish(
            self._subject,
            message.data[:DEAD_LETTER_BODY_BYTES],
            headers={
                "Alliance-Reason": reason,
                "Alliance-Detail": detail[:500],
                "Alliance-Subject": message.subject[:500],
                "Alliance-Size": str(len(message.data)),
            },
        )
        self._metrics.dead_letters.labels(self._service, reason).inc()


@dataclass(frozen=True)
class SourceState:
    """One source of a stream as the server reports it."""

    name: str
    filter_subject: str
    lag: int  # messages not yet sourced
    active_seconds: float | None  # since the source was last active; None: never was

    @property
    def key(self) -> str:
        return f"{self.name}|{self.filter_subject}"

    @property
    def origin(self) -> str | None:
        return subjects.origin_of(self.filter_subject)


async def raw_stream_info(
    bus: BusConnection, stream: str, request: dict[str, Any] | None = None
) -> dict[str, Any]:
    """STREAM.INFO as the server sends it (nats-py's model drops paging and source filters)."""
    body = json.dumps(request).encode() if request else b""
    reply = await bus.client.request(f"$JS.API.STREAM.INFO.{stream}", body, timeout=5)
    answer: dict[str, Any] = json.loads(reply.data)
    if "error" in answer:
        raise RuntimeError(f"STREAM.INFO {stream}: {answer['error'].get('description')}")
    return answer


async def source_states(bus: BusConnection, stream: str) -> list[SourceState]:
    """The sources of ``stream``, from the raw STREAM.INFO reply.

    nats-py's ``StreamSourceInfo`` drops ``filter_subject``, which tells the sources of
    one stream (ALLIANCE, once per origin) apart, so the reply is read as JSON.
    """
    states = []
    for source in (await raw_stream_info(bus, stream)).get("sources", []):
        active = int(source.get("active", -1))
        states.append(
            SourceState(
                name=source["name"],
                filter_subject=source.get("filter_subject") or "",
                lag=int(source.get("lag", 0)),
                active_seconds=active / 1e9 if active >= 0 else None,
            )
        )
    return states


async def leaf_accounts(monitor_url: str) -> set[str] | None:
    """Accounts with a connected leaf link, from a server's /leafz; None if it won't say."""
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            leafz = (await client.get(f"{monitor_url}/leafz")).json()
    except (httpx.HTTPError, ValueError):
        return None
    return {str(leaf.get("account")) for leaf in leafz.get("leafs") or []}


class SourceDoctor:
    """Re-creates stream sources that stopped trying.

    Measured on nats-server 2.14: a source whose consumer is first requested right after a
    configuration reload (a node was just admitted) can fail once and is not retried
    (``active`` stays -1); and a leaf link coming back restarts stalled sources only in
    the leaf's own account. Removing and re-adding the source makes the server create its
    consumer again; sourcing resumes where it stood (the stream keeps per-source
    positions, and duplicates are dropped by ``Nats-Msg-Id``).
    """

    def __init__(self, bus: BusConnection, stream: str, grace_seconds: float = 5.0) -> None:
        self._bus = bus
        self._stream = stream
        self._grace = grace_seconds
        self._first_seen_idle: dict[str, float] = {}

    async def heal(self, states: list[SourceState]) -> list[str]:
        """Re-create the sources never active for longer than the grace period."""
        now = time.monotonic()
        stuck = []
        for state in states:
            if state.active_seconds is not None:
                self._first_seen_idle.pop(state.key, None)
                continue
            first = self._first_seen_idle.setdefault(state.key, now)
            if now - first >= self._grace:
                stuck.append(state.key)
                self._first_seen_idle[state.key] = now
        if stuck:
            await self._bounce(stuck)
        return stuck

    async def restart(self, states: list[SourceState], source_name: str) -> None:
        """Re-create one source now (e.g. its leaf link just came back)."""
        keys = [state.key for state in states if state.name == source_name]
        if keys:
            await self._bounce(keys)

    async def _bounce(self, keys: list[str]) -> None:
        js = self._bus.js
        config = (await js.stream_info(self._stream)).config
        sources = list(config.sources or [])
        config.sources = [s for s in sources if f"{s.name}|{s.filter_subject or ''}" not in keys]
        await js.update_stream(config)
        config.sources = sources
        await js.update_stream(config)
        log.warning("re-created stalled sources of %s: %s", self._stream, ", ".join(keys))
