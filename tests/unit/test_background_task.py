"""A background task stops even when it swallows a cancellation (as asyncio.wait_for on
Python 3.11 can, when the cancellation meets a completing future)."""

from __future__ import annotations

import asyncio

import pytest

from shared.tasks import BackgroundTask


async def test_a_task_that_swallows_one_cancellation_still_stops() -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1  # lost, as a cancelled wait_for can lose it

    task = BackgroundTask("stubborn")
    task.start(stubborn())
    await asyncio.sleep(0)
    stopping = asyncio.create_task(task.stop())
    await asyncio.wait({stopping}, timeout=10)  # unlike wait_for, cancels nothing itself
    assert stopping.done(), "stop() waits for ever on a task that lost its cancellation"
    assert swallowed == 1 and not task.running


async def test_what_a_failed_task_raised_is_raised_by_stop() -> None:
    async def failing() -> None:
        raise RuntimeError("broken")

    task = BackgroundTask("failing")
    task.start(failing())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="broken"):
        await task.stop()
