"""The bus: broker factory, connection, stream setup and dead letters.

Streams are created here, in infrastructure code, never by a subscriber (a declaring
subscriber would add its subject to a sourced stream). Inbound consumers live in
``shared.consumer``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import httpx
from faststream.nats import NatsBroker
from faststream.nats.prometheus import NatsPrometheusMiddleware
from faststream.nats.subscriber.usecases import stream_pull_subscriber
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from shared import subjects
from shared.metrics import Metrics
from shared.subjects import Channel

log = logging.getLogger(__name__)

DEAD_LETTER_MAX_AGE_SECONDS = 30 * 24 * 3600
DRAIN_SECONDS = 5  # a stop waits at most this long for in-flight messages


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


async def ensure_node_streams(js: JetStreamContext, node: str, duplicate_window: int) -> None:
    """The node's outbound, intra-node, dead-letter and inbound (sourced) streams."""
    await ensure_streams(
        js,
        [
            StreamConfig(
                name=subjects.node_stream(node),
                subjects=[subjects.node_subjects(node)],
                storage=StorageType.FILE,
                duplicate_window=duplicate_window,
            ),
            StreamConfig(
                name=subjects.local_stream(node),
                subjects=[subjects.node_subjects(node, Channel.LOCAL)],
                storage=StorageType.FILE,
                duplicate_window=duplicate_window,
            ),
            StreamConfig(
                name=subjects.dead_letter_stream(node),
                subjects=[subjects.dead_letter_subjects(node)],
                storage=StorageType.FILE,
                max_age=DEAD_LETTER_MAX_AGE_SECONDS,
            ),
            StreamConfig(
                name=subjects.feed_stream(node),
                subjects=[],
                storage=StorageType.FILE,
                duplicate_window=duplicate_window,
            ),
        ],
    )


async def ensure_streams(js: JetStreamContext, configs: list[StreamConfig]) -> None:
    """Create the streams that do not exist yet; existing ones are left as they are."""
    for config in configs:
        try:
            await js.stream_info(config.name or "")
        except NotFoundError:
            await js.add_stream(config)


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


async def source_states(bus: BusConnection, stream: str) -> list[SourceState]:
    """The sources of ``stream``, from the raw STREAM.INFO reply.

    nats-py's ``StreamSourceInfo`` drops ``filter_subject``, which tells the sources of
    one stream (ALLIANCE, once per origin) apart, so the reply is read as JSON.
    """
    reply = await bus.client.request(f"$JS.API.STREAM.INFO.{stream}", b"", timeout=2)
    states = []
    for source in json.loads(reply.data).get("sources", []):
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
