"""Sortable unique ids for events and aggregates.

An id is ``<origin>-<ULID>``: the origin prefix keeps ids globally unique across the
alliance (the hub de-duplicates on ``Nats-Msg-Id`` across every node's stream), and the
ULID part sorts by creation time. Within one process ids are strictly increasing, so the
outbox relay can publish in id order and keep each aggregate's events in sequence.
"""

from __future__ import annotations

import os
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80


class _MonotonicUlid:
    """ULID generator that never goes backwards inside one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_random = 0

    def next(self) -> str:
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms <= self._last_ms:
                now_ms = self._last_ms
                self._last_random += 1
            else:
                self._last_ms = now_ms
                self._last_random = int.from_bytes(os.urandom(10), "big") >> 1
            value = (now_ms << _RANDOM_BITS) | (self._last_random & ((1 << _RANDOM_BITS) - 1))
        return _encode(value)


def _encode(value: int) -> str:
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


_generator = _MonotonicUlid()


def new_id(origin: str) -> str:
    """A new globally unique, time-sortable id owned by ``origin``."""
    return f"{origin}-{_generator.next()}"
