"""Long work a request starts and a person follows: a CSV import, say.

A job runs in the background of the process that accepted it, reports how far it got
(``done`` of ``total``) while it runs, and keeps its result for a while afterwards. Jobs
live in memory: a restart ends them (work they committed stays committed; the job is
gone, and repeating the request tells what is already there).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from shared.ids import new_id

log = logging.getLogger(__name__)
KEPT_JOBS = 200


class JobStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class Job:
    """One piece of background work and how far it got."""

    id: str
    kind: str
    total: int
    done: int = 0
    status: JobStatus = JobStatus.RUNNING
    result: Any = None
    error: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def progress(self, done: int) -> None:
        self.done = done

    def view(self) -> dict[str, Any]:
        """What a client sees of the job (the result only once it is done)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status.value,
            "total": self.total,
            "done": self.done,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "error": self.error,
            "result": self.result if self.status is JobStatus.DONE else None,
        }


class Jobs:
    """The jobs of one service in one process; the newest few are kept after they end."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    def start(
        self, kind: str, total: int, work: Callable[[Job], Awaitable[Any]], done: int = 0
    ) -> Job:
        """Run ``work`` in the background; ``done`` of ``total`` may be done already."""
        job = Job(id=new_id(self.service), kind=kind, total=total, done=done)
        self._jobs[job.id] = job
        while len(self._jobs) > KEPT_JOBS:
            self._jobs.popitem(last=False)
        task = asyncio.create_task(self._run(job, work), name=f"job-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    async def _run(self, job: Job, work: Callable[[Job], Awaitable[Any]]) -> None:
        try:
            job.result = await work(job)
            job.status = JobStatus.DONE
        except Exception as exc:  # the job's reader is told; the process goes on
            log.exception("%s job %s failed", self.service, job.id)
            job.status = JobStatus.FAILED
            job.error = str(exc) or type(exc).__name__
        finally:
            job.finished_at = datetime.now(UTC)
            job.finished.set()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
