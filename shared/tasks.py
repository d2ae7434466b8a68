"""Background work owned by one component: kept referenced, cancelled and awaited on stop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

CANCEL_AGAIN_SECONDS = 1.0


class BackgroundTask:
    """One long-running coroutine (a relay loop, a consumer, a state refresher)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._task: asyncio.Task[None] | None = None

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        self._task = asyncio.create_task(work, name=self.name)

    @property
    def running(self) -> bool:
        """Started and not yet ended (a sender that emptied its queue has ended)."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Cancel until it ends. On Python 3.11 ``asyncio.wait_for`` (nats-py's publish
        and request use it) can swallow a cancellation that meets a completing future,
        and a task that loops would then never end: a node's stop hung so."""
        task, self._task = self._task, None
        if task is None:
            return
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=CANCEL_AGAIN_SECONDS)
        with contextlib.suppress(asyncio.CancelledError):
            task.result()  # what it raised, if it failed before the stop
