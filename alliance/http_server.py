"""uvicorn's HTTP/1.1 protocol with deadlines for receiving a request.

uvicorn bounds the idle time between requests (``timeout_keep_alive``) but not the time a
client takes to send one: its keep-alive timer is reset by every byte received, so a client
that sends a request head or body a byte at a time, or not at all, holds the connection
for as long as it likes (1,000 of 1,000 such connections were still open after 62 s). An
ASGI middleware cannot help: the app is called only once the head is complete.

``bounded_h11`` returns uvicorn's h11 protocol with two deadlines: the request head must be
complete within ``head_seconds`` of the connection (or of the first byte of a following
request on it), and the body within ``body_seconds`` of the head. A connection that misses
one is answered ``408 Request Timeout`` (if nothing was answered yet) and closed. Once a
request is fully received, no deadline runs: a slow app or a long answer is never cut.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEAD_SECONDS = 10.0
BODY_SECONDS = 60.0  # 5 MiB of CSV at under 1 Mbit/s
_RECEIVED = frozenset({h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR})

log = logging.getLogger(__name__)


class _DeadlineH11Protocol(H11Protocol):
    """H11Protocol closing connections whose request does not arrive in time."""

    head_seconds = HEAD_SECONDS
    body_seconds = BODY_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: Any = None  # h11.IDLE: the head; h11.SEND_BODY: the body

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._follow()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Run the deadline of the part of the request now awaited (or none)."""
        state = self.conn.their_state
        if state in _RECEIVED or self.transport.is_closing():
            self._disarm()
        elif state is not self._waiting_for:  # a new request begins, or its body
            self._disarm()
            seconds = self.body_seconds if state is h11.SEND_BODY else self.head_seconds
            self._waiting_for = state
            self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._waiting_for = None, None

    def _expired(self) -> None:
        part = "body" if self._waiting_for is h11.SEND_BODY else "head"
        self._deadline, self._waiting_for = None, None
        if self.transport.is_closing():
            return
        log.debug("closing %s: request %s not received in time", self.client, part)
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):  # nothing answered yet
            self._send_408(part)
        self.transport.close()

    def _send_408(self, part: str) -> None:
        seconds = self.body_seconds if part == "body" else self.head_seconds
        reason = f"the request {part} did not arrive within {seconds:g} s"
        body = json.dumps({"message": reason, "errors": []}).encode()
        headers = [
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            ("connection", "close"),
        ]
        try:
            for event in (h11.Response(status_code=408, headers=headers), h11.Data(data=body)):
                self.transport.write(self.conn.send(event) or b"")
            self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError:  # the connection is in no state to answer: just close
            pass


def bounded_h11(
    head_seconds: float = HEAD_SECONDS, body_seconds: float = BODY_SECONDS
) -> type[H11Protocol]:
    """uvicorn's h11 protocol class with these deadlines (pass it as ``Config(http=...)``)."""
    namespace = {"head_seconds": head_seconds, "body_seconds": body_seconds}
    return type("DeadlineH11Protocol", (_DeadlineH11Protocol,), namespace)
