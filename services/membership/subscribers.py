"""Bus in: other nodes' membership events, from this node's feed, into local replicas."""

from __future__ import annotations

from datetime import UTC, datetime

from services.membership.handlers import replica_change
from shared import subjects
from shared.consumer import Inbound, VerifiedConsumer
from shared.contracts.membership import SERVICE
from shared.store import ReplicaChange, ServiceDatabase, apply_replica_changes


def on_remote_membership_events(
    inbound: Inbound, db: ServiceDatabase, node: str, batch_size: int
) -> VerifiedConsumer[ReplicaChange]:
    """The replica projection, fed by the node's feed stream (every other origin)."""
    metrics = inbound.metrics

    async def apply(changes: list[ReplicaChange]) -> None:
        result = await apply_replica_changes(db, changes)
        for event in result.applied:
            metrics.projection_applied.labels(SERVICE, event.origin).inc()
        for event in result.skipped:
            metrics.projection_skipped.labels(SERVICE, event.origin).inc()
        if result.applied:
            newest = result.applied[-1]
            metrics.projection_lag.labels(SERVICE, newest.origin).set(_age_seconds(newest.time))

    return VerifiedConsumer(
        inbound,
        stream=subjects.feed_stream(node),
        subject=subjects.service_subjects(SERVICE),
        durable=subjects.durable_name(node, SERVICE, "replicas"),
        batch_size=batch_size,
        decode=replica_change,
        apply=apply,
    )


def _age_seconds(rfc3339: str) -> float:
    sent = datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    return max(0.0, (datetime.now(UTC) - sent).total_seconds())
