"""The Prometheus metrics an operator watches, in one registry per process.

FastStream's middleware adds its own ``faststream_*`` series (bus in/out, handler
latency) to the same registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class Metrics:
    """Every series the alliance processes export."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.http_requests = Counter(
            "alliance_http_requests",
            "HTTP requests answered.",
            ["service", "method", "route", "status"],
            registry=r,
        )
        self.http_latency = Histogram(
            "alliance_http_request_duration_seconds",
            "HTTP request latency.",
            ["service", "method", "route"],
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "alliance_outbox_backlog",
            "Events committed but not yet acknowledged by JetStream.",
            ["service"],
            registry=r,
        )
        self.outbox_published = Counter(
            "alliance_outbox_published",
            "Events the outbox relay published.",
            ["service"],
            registry=r,
        )
        self.dead_letters = Counter(
            "alliance_dead_letters",
            "Inbound messages refused and dead-lettered.",
            ["service", "reason"],
            registry=r,
        )
        self.projection_applied = Counter(
            "alliance_projection_applied",
            "Remote events applied to local replicas.",
            ["service", "origin"],
            registry=r,
        )
        self.projection_skipped = Counter(
            "alliance_projection_skipped",
            "Remote events already applied or superseded (redeliveries, old versions).",
            ["service", "origin"],
            registry=r,
        )
        self.projection_lag = Gauge(
            "alliance_projection_lag_seconds",
            "Age of the newest applied event per origin when it was applied.",
            ["service", "origin"],
            registry=r,
        )
        self.projection_pending = Gauge(
            "alliance_projection_pending",
            "Messages waiting for a consumer (not yet delivered to it).",
            ["service", "consumer"],
            registry=r,
        )
        self.messages_received = Counter(
            "alliance_bus_messages_received",
            "Inbound bus messages pulled by a consumer.",
            ["service", "consumer"],
            registry=r,
        )
        self.replication_lag_events = Gauge(
            "alliance_replication_lag_events",
            "Events of an origin in the hub's ALLIANCE stream not yet in this node's feed.",
            ["origin"],
            registry=r,
        )
        self.replication_lag_seconds = Gauge(
            "alliance_replication_lag_seconds",
            "How long the feed has been behind for an origin (0 when caught up).",
            ["origin"],
            registry=r,
        )
        self.leaf_link_up = Gauge(
            "alliance_leaf_link_up",
            "1 while the leaf link to the hub is connected.",
            ["remote"],
            registry=r,
        )
        self.direct_sent = Counter(
            "alliance_direct_sent",
            "Direct messages a node's target acknowledged (stored in its inbox).",
            ["service", "target"],
            registry=r,
        )
        self.direct_pending = Gauge(
            "alliance_direct_pending",
            "Direct messages committed and waiting for their target to take them.",
            ["service", "target"],
            registry=r,
        )
        self.direct_delivery = Histogram(
            "alliance_direct_delivery_seconds",
            "Time from a direct message's commit to its target's acknowledgement.",
            ["service", "target"],
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 3600, 86400),
            registry=r,
        )
        self.direct_refused = Counter(
            "alliance_direct_refused",
            "MessageRefused answers: sent for a direct message this node refused, or "
            "received for one it sent, by reason.",
            ["service", "direction", "reason"],
            registry=r,
        )
        self.direct_received = Counter(
            "alliance_direct_received",
            "Direct messages handled from the node's inbox, by sender and outcome "
            "(handled, duplicate; refused ones are counted as dead letters with the reason).",
            ["service", "sender", "outcome"],
            registry=r,
        )
        self.handler_latency = Histogram(
            "alliance_batch_handler_duration_seconds",
            "Time to apply one pulled batch.",
            ["service", "consumer"],
            registry=r,
        )
