"""Bus in: other nodes' membership events, from this node's feed, into local replicas."""

from __future__ import annotations

from faststream.nats import NatsRouter

from services.membership.handlers import replica_change
from shared import subjects
from shared.bus import Inbound, subscribe_verified
from shared.contracts.membership import SERVICE
from shared.metrics import Metrics
from shared.store import ReplicaChange, ServiceDatabase, apply_replica_changes


def membership_router(
    inbound: Inbound,
    db: ServiceDatabase,
    node: str,
    metrics: Metrics,
    batch_size: int,
    feed_stream: str | None = None,
) -> NatsRouter:
    """Subscribe the replica projection to the node's feed (every other origin)."""
    router = NatsRouter()

    async def on_remote_membership_events(changes: list[ReplicaChange]) -> None:
        result = await apply_replica_changes(db, changes)
        for event in result.applied:
            metrics.projection_applied.labels(SERVICE, event.origin).inc()
        for event in result.skipped:
            metrics.projection_skipped.labels(SERVICE, event.origin).inc()
        if result.applied:
            newest = result.applied[-1]
            metrics.projection_lag.labels(SERVICE, newest.origin).set(_age_seconds(newest.time))

    subscribe_verified(
        router,
        inbound,
        stream=feed_stream or subjects.feed_stream(node),
        subject=subjects.service_subjects(SERVICE),
        durable=subjects.durable_name(node, SERVICE, "replicas"),
        batch_size=batch_size,
        decode=replica_change,
        apply=on_remote_membership_events,
        description="Other nodes' organisations, clusters and network profiles, kept as replicas.",
    )
    return router


def _age_seconds(rfc3339: str) -> float:
    from datetime import UTC, datetime

    sent = datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    return max(0.0, (datetime.now(UTC) - sent).total_seconds())
