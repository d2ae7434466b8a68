"""The outbox relay: publishes committed events to JetStream, then forgets them.

An outbox entry holds one change's messages: its full event for the node's own services
(``LOCAL_<ID>``) and, when the alliance may know of it, the shared view (``NODE_<ID>``).
Publish, wait for JetStream's acks, then delete from the outbox. A crash after the
publish and before the delete republishes the same ids on restart; JetStream drops them
because ``Nats-Msg-Id`` is the envelope id (within the stream's duplicate window).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from nats.js.api import PubAck

from shared.bus import BusConnection
from shared.metrics import Metrics
from shared.store import Document, ServiceDatabase
from shared.tasks import BackgroundTask

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 0.5
RETRY_SECONDS = 1.0
ACK_TIMEOUT_SECONDS = 10.0  # a batch's acks take milliseconds; longer means lost


class OutboxRelay:
    """One per service database; woken on every commit, polls when idle."""

    def __init__(
        self,
        database: ServiceDatabase,
        bus: BusConnection,
        metrics: Metrics,
        service: str,
        batch_size: int = 500,
    ) -> None:
        self._database = database
        self._bus = bus
        self._metrics = metrics
        self._service = service
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._loop = BackgroundTask(f"outbox-relay-{service}")
        database.on_commit(self._wake.set)

    def start(self) -> None:
        self._loop.start(self._run())

    async def stop(self) -> None:
        await self._loop.stop()

    async def publish_pending(self) -> int:
        """Publish one batch in id order; returns how many were published.

        The backlog is reported before publishing, so it tells what waits also while the
        bus is down (the publish then fails and the relay tries again).
        """
        async with self._database.writing():  # on nx-27017 a read outside a turn may see
            documents = await self._database.outbox.find(  # an open transaction's rows
                {}, sort=[("_id", 1)], limit=self._batch_size
            ).to_list()
        backlog = self._metrics.outbox_backlog.labels(self._service)
        backlog.set(await self._waiting(len(documents)))
        if not documents:
            return 0
        await self._publish(documents)
        ids = [doc["_id"] for doc in documents]
        async with self._database.writing():
            await self._database.outbox.delete_many({"_id": {"$in": ids}})
        self._metrics.outbox_published.labels(self._service).inc(len(ids))
        backlog.set(
            await self._waiting(len(documents)) if len(documents) == self._batch_size else 0
        )
        return len(ids)

    async def _waiting(self, read: int) -> int:
        """What waits in the outbox, ``read`` entries having just been read: exact below a
        full batch, else an estimate (an exact count scans the outbox, ≈40 µs a row on
        nx-27017)."""
        if read < self._batch_size:
            return read
        return await self._database.outbox.estimated_document_count()

    async def _publish(self, documents: list[Document]) -> None:
        """Publish every message and wait for JetStream's acks, for a bounded time.

        An ack lost with the connection never arrives; waiting for it would stop the relay
        for good. Unsettled acks are cancelled, which frees their slot in nats-py's
        pending-publish window.
        """
        publish = self._bus.js.publish_async
        acks: list[asyncio.Future[PubAck]] = []
        try:
            async with asyncio.timeout(ACK_TIMEOUT_SECONDS):
                for doc in documents:
                    for m in doc["messages"]:
                        acks.append(
                            await publish(m["subject"], m["body"], headers={"Nats-Msg-Id": m["id"]})
                        )
                await asyncio.gather(*acks)
        finally:
            for ack in acks:
                ack.cancel()

    async def drain(self) -> None:
        """Publish until the outbox is empty (used on shutdown and in tests)."""
        while await self.publish_pending():
            pass

    async def _run(self) -> None:
        failing = False
        while True:
            self._wake.clear()
            try:
                published = await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep relaying once the bus or store is back
                if not failing:  # one line per outage, not one a second
                    log.warning(
                        "outbox relay for %s cannot publish (%s); retrying", self._service, exc
                    )
                failing = True
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if failing:
                log.warning("outbox relay for %s publishes again", self._service)
                failing = False
            if published == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)
