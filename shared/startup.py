"""Bringing a process's parts up without hanging on a server that does not answer yet.

A process opens, in order, its bus connection, its streams, its components (the node's
federation, the hub's registry), its services and their consumers. Any of the servers
behind them may not answer yet (``NATS_URL`` or ``MONGODB_URL`` pointing at nothing, or
an embedded server still restarting). ``Startup`` tries again until each step succeeds,
with growing pauses, and says once, in one line, what it waits for. Meanwhile the HTTP app
serves: ``/healthz`` answers 503 with the reason, the API answers 503 (``UntilStarted``),
and a stop signal ends the process at once. Before, the lifespan blocked in nats-py's
endless first connect: HTTP never answered, a traceback was logged every 2 s, and only
SIGKILL stopped the process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.bus import BusConnection, BusUnavailable
from shared.http import problem
from shared.runtime import without_credentials
from shared.tasks import BackgroundTask

log = logging.getLogger(__name__)

RETRY_SECONDS = (1.0, 15.0)  # first and longest pause between two tries


class Part(Protocol):
    """A component or a service kit: something started after the bus, stopped before it."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class Step:
    """One part to start, and what the log line names when it cannot start yet."""

    part: Part
    needs: str  # e.g. "the store at mongodb://127.0.0.1:27017"


def one_line(exc: BaseException) -> str:
    """An error as a short line (PyMongo's carry a whole topology description)."""
    text = (str(exc).splitlines() or [""])[0]
    for tail in (" (configured timeouts", ", Timeout:"):
        text = text.split(tail)[0]
    text = text[:200]
    if isinstance(exc, BusUnavailable):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Startup:
    """Starts the bus, the streams and the parts in order, trying again until all are up."""

    def __init__(
        self,
        title: str,
        bus: BusConnection,
        streams: Callable[[BusConnection], Awaitable[None]],
        steps: Sequence[Step],
    ) -> None:
        self.title = title
        self.ready = False
        self.waiting_for: str | None = "the start"
        self._bus = bus
        self._streams = streams
        self._steps = list(steps)
        self._opened = False
        self._streams_made = False
        self._started: list[Part] = []
        self._consuming = False
        self._tried = asyncio.Event()
        self._task = BackgroundTask("startup")

    async def begin(self) -> None:
        """Start trying; return once everything is up, or once the first try failed."""
        self._task.start(self._keep_trying())
        await self._tried.wait()

    async def close(self) -> None:
        """Stop trying, then stop what started, in reverse, and close the bus."""
        await self._task.stop()
        if self._consuming:
            await self._bus.stop_consuming()
        for part in reversed(self._started):
            await part.stop()
        await self._bus.close()

    async def _keep_trying(self) -> None:
        pause, longest = RETRY_SECONDS
        waited = False
        while True:
            try:
                await self._advance()
            except Exception as exc:
                if not waited:
                    log.warning(
                        "%s: waiting for %s (%s); retrying until it answers",
                        self.title,
                        self.waiting_for,
                        one_line(exc),
                    )
                waited = True
                self._tried.set()
                await asyncio.sleep(pause)
                pause = min(pause * 2, longest)
                continue
            self.ready, self.waiting_for = True, None
            self._tried.set()
            if waited:
                log.warning("%s: up", self.title)
            return

    async def _advance(self) -> None:
        """Do every step not done yet; each is done once."""
        if not self._opened:
            self.waiting_for = f"NATS at {without_credentials(self._bus.url)}"
            await self._bus.connect()
            self._opened = True
        if not self._streams_made:
            self.waiting_for = f"the streams on NATS at {without_credentials(self._bus.url)}"
            await self._streams(self._bus)
            self._streams_made = True
        for step in self._steps[len(self._started) :]:
            self.waiting_for = step.needs
            await step.part.start()
            self._started.append(step.part)
        self.waiting_for = f"the consumers on NATS at {without_credentials(self._bus.url)}"
        await self._bus.start_consuming()
        self._consuming = True


class UntilStarted:
    """ASGI middleware: the API answers 503, saying what it waits for, until all is up."""

    def __init__(self, app: ASGIApp, startup: Startup) -> None:
        self.app = app
        self.startup = startup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        startup = self.startup
        if scope["type"] == "http" and not startup.ready and scope["path"].startswith("/api/"):
            answer = problem(503, f"{startup.title} is starting: waiting for {startup.waiting_for}")
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)
