"""The bus: broker factory, connection, dead letters, and what streams' sources report.

Streams are created in ``shared.streams``, in infrastructure code, never by a subscriber
(a declaring subscriber would add its subject to a sourced stream). Inbound consumers
live in ``shared.consumer``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from faststream.nats import NatsBroker
from faststream.nats.prometheus import NatsPrometheusMiddleware
from faststream.nats.subscriber.usecases import stream_pull_subscriber
from faststream.nats.subscriber.usecases.basic import LogicSubscriber
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from shared import subjects
from shared.envelope import MAX_EVENT_BYTES
from shared.metrics import Metrics
from shared.runtime import without_credentials
from shared.tasks import BackgroundTask

log = logging.getLogger(__name__)

DRAIN_SECONDS = 5  # a stop waits at most this long for in-flight messages
DEAD_LETTER_BODY_BYTES = MAX_EVENT_BYTES  # a refused message's body is kept up to this
CONNECT_TIMEOUT_SECONDS = 5.0  # one attempt to open the bus connection
WATCH_SECONDS = 1.0  # a closed connection is looked for at least this often
REOPEN_BACKOFF_SECONDS = (0.5, 10.0)  # first and longest wait between attempts to reopen


def create_broker(
    url: str, metrics: Metrics, closed: Callable[[], Awaitable[None]] | None = None
) -> NatsBroker:
    """The FastStream broker that carries a process's consumers, with Prometheus metrics.

    Handlers get the raw messages (``apply_types=False`` and a raw decoder, see
    ``shared.consumer``): every message is verified against the key ring before it is
    parsed, which FastStream's own validation would do the other way round. Connection
    trouble is reported by ``BusConnection`` in one line per outage; FastStream's own
    logger would log a traceback for every reconnect attempt (every 2 s), so it is off.
    """
    _tolerate_idle_batch_fetches()
    _end_batch_fetches_on_a_closed_connection()
    return NatsBroker(
        url,
        apply_types=False,
        middlewares=[NatsPrometheusMiddleware(registry=metrics.registry, app_name="alliance")],
        logger=None,
        error_cb=_ignore,
        closed_cb=closed,
        max_reconnect_attempts=-1,
        name="alliance",
        drain_timeout=DRAIN_SECONDS,
    )


async def _ignore(error: Exception) -> None:
    """nats-py's error callback: ``BusConnection`` tells what matters, once."""


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


class _NeverRaised(Exception):
    """Stands in for ``ConnectionClosedError`` in FastStream's batch pull loop."""


def _end_batch_fetches_on_a_closed_connection() -> None:
    """Work around FastStream 0.7.8's batch pull loop spinning on a closed connection.

    The loop catches ``ConnectionClosedError`` and fetches again at once; on a closed
    connection nats-py raises it before awaiting anything, so the loop never yields and
    the whole process stops (measured: HTTP unanswered, the connection never reopened).
    With the name rebound the error ends the loop's task; FastStream restarts the task
    (one pass of the event loop each time) until ``BusConnection``, woken by the close,
    stops the subscribers and opens a new connection. Tested by
    ``tests/integration/test_bus_recovery.py``.
    """
    stream_pull_subscriber.ConnectionClosedError = _NeverRaised  # type: ignore[misc,assignment]


async def _forget_connection(broker: NatsBroker) -> None:
    """Let FastStream 0.7.8 connect again after nats-py closed its connection for good.

    nats-py closes a connection for good on most server errors (``-ERR``). FastStream
    keeps the closed client (``connect`` returns it), and its subscribers keep their dead
    subscriptions (``stop`` fails on them before forgetting them, and ``start`` then
    reuses them, consuming nothing). Nothing public resets either; tested by
    ``tests/integration/test_bus_recovery.py``.
    """
    for subscriber in broker.subscribers:
        with contextlib.suppress(Exception):  # unsubscribing fails on the closed connection
            await subscriber.stop()
        if isinstance(subscriber, LogicSubscriber):
            subscriber.subscription = None
    broker._connection = None
    broker.config.disconnect()


class BusUnavailable(Exception):
    """The NATS server did not answer; the message says why, in a few words."""


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


class BusConnection:
    """A process's one NATS connection: the broker's, plus a JetStream context for the relay.

    FastStream has no asynchronous JetStream publish (its ``publish`` waits for each
    ack), so the relay and the dead-letter publisher use ``js`` on the broker's own
    connection; consumers are the broker's subscribers.

    nats-py reconnects by itself after a disconnect, but closes the connection for good on
    most errors the server reports. Once connected, a watcher notices such a close and
    opens a new connection (with its subscribers) until it succeeds; meanwhile
    ``connected`` is False, so ``/healthz`` answers 503.
    """

    def __init__(self, url: str, metrics: Metrics | None = None) -> None:
        self.url = url
        self._closed = asyncio.Event()
        self.broker = create_broker(url, metrics or Metrics(), self._on_closed)
        self._client: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._consuming = False
        self._watcher = BackgroundTask("bus-watcher")

    async def connect(self) -> None:
        """Open the connection (or raise ``BusUnavailable``), then keep it open."""
        await self._open()
        self._watcher.start(self._keep_open())

    async def _open(self) -> None:
        try:
            # nats-py retries a first connect forever with unlimited reconnects: one
            # attempt is cut short here, and the caller decides when to try again.
            client = await asyncio.wait_for(self.broker.connect(), CONNECT_TIMEOUT_SECONDS)
        except TimeoutError as exc:
            raise BusUnavailable(f"no answer within {CONNECT_TIMEOUT_SECONDS:.0f} s") from exc
        except Exception as exc:
            raise BusUnavailable(f"{type(exc).__name__}: {exc}") from exc
        self._client = client
        self._js = client.jetstream(publish_async_max_pending=4000)

    async def _on_closed(self) -> None:
        self._closed.set()

    async def _keep_open(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), WATCH_SECONDS)
            self._closed.clear()
            if self._client is not None and self._client.is_closed:
                log.warning(
                    "the bus connection to %s was closed; reopening it",
                    without_credentials(self.url),
                )
                await self._reopen()

    async def _reopen(self) -> None:
        """Drop the closed connection, then connect and resubscribe until it works."""
        await self._drop()
        wait, longest = REOPEN_BACKOFF_SECONDS
        while True:
            try:
                await self._open()
                if self._consuming:
                    await self.broker.start()
            except Exception as exc:
                log.debug("reopening the bus connection failed: %s", exc)
                await self._drop()
                await asyncio.sleep(wait)
                wait = min(wait * 2, longest)
                continue
            log.warning("the bus connection to %s is open again", without_credentials(self.url))
            return

    async def _drop(self) -> None:
        """Forget the connection (closing it if it is still open) and its subscriptions."""
        client, self._js, self._client = self._client, None, None
        if client is not None and not client.is_closed:
            with contextlib.suppress(Exception):
                await client.close()
        await _forget_connection(self.broker)

    @property
    def client(self) -> NatsClient:
        if self._client is None:
            raise RuntimeError("the bus is not connected")
        return self._client

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("the bus is not connected")
        return self._js

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def start_consuming(self) -> None:
        """Start every subscriber registered on the broker."""
        self._consuming = True
        await self.broker.start()

    async def stop_consuming(self) -> None:
        """Stop pulling (in-flight batches are settled by their owners).

        On a closed connection a subscriber's pulling ends, and only its unsubscribing fails.
        """
        self._consuming = False
        if self._client is None:
            return
        for subscriber in self.broker.subscribers:
            with contextlib.suppress(Exception):
                await subscriber.stop()

    async def close(self) -> None:
        """Drain and close; a connection that is closed or reconnecting is just dropped."""
        await self._watcher.stop()
        if self._client is None:
            return
        try:
            await self.broker.stop()
            self._client, self._js = None, None
        except Exception as exc:  # nothing to drain without a server
            log.debug("closing the bus without draining: %s", exc)
            await self._drop()


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
class DeadLetter:
    """One refused message as an operator reads it: when, from where, why."""

    sequence: int
    time: datetime | None
    service: str
    subject: str
    reason: str
    detail: str


async def recent_dead_letters(bus: BusConnection, node: str, limit: int = 20) -> list[DeadLetter]:
    """The newest dead letters of a node, newest first (what its staff should look at)."""
    stream = subjects.dead_letter_stream(node)
    state = (await bus.js.stream_info(stream)).state
    found: list[DeadLetter] = []
    sequence = state.last_seq
    while sequence >= max(state.first_seq, 1) and len(found) < limit:
        with contextlib.suppress(NotFoundError):  # a gap: deleted or purged
            raw = await bus.js.get_msg(stream, sequence)
            headers = raw.headers or {}
            found.append(
                DeadLetter(
                    sequence=sequence,
                    time=_stored_at(raw.time),
                    service=(raw.subject or "").rsplit(".", 1)[-1],
                    subject=headers.get("Alliance-Subject", ""),
                    reason=headers.get("Alliance-Reason", ""),
                    detail=headers.get("Alliance-Detail", ""),
                )
            )
        sequence -= 1
    return found


def _stored_at(value: Any) -> datetime | None:
    """JetStream's storage time (RFC 3339 with nanoseconds) as a datetime."""
    if isinstance(value, datetime) or value is None:
        return value
    text = str(value).replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:  # Python reads at most microseconds
        digits = "".join(ch for ch in rest if ch.isdigit())
        text = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


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
