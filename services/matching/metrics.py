"""The matching service's Prometheus series, made once per process registry.

Every series exists from the start (gauges at 0, counters with their labels), so a
dashboard panel has samples before the first search or expression of interest.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

SEARCH_KINDS = ("free", "organisation")
DIRECTIONS_OUTCOMES = (
    ("out", "sent"),
    ("in", "received"),
    ("in", "answered"),
    ("out", "answered"),
    ("in", "refused"),
    ("out", "refused"),
)


@dataclass(frozen=True)
class MatchingMetrics:
    """Search latency, the index and its lag behind the store, expressions of interest."""

    search_seconds: Histogram
    profiles: Gauge
    index_bytes: Gauge
    pending: Gauge
    oldest_pending: Gauge
    queue: Gauge
    embedded: Counter
    interests: Counter

    @classmethod
    @functools.cache
    def of(cls, registry: CollectorRegistry) -> MatchingMetrics:
        """The series in ``registry`` (a process's), made on first use only."""
        metrics = cls(
            search_seconds=Histogram(
                "alliance_matching_search_seconds",
                "Partner search latency (free text, or from an organisation's profile).",
                ["kind"],
                buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
                registry=registry,
            ),
            profiles=Gauge(
                "alliance_matching_index_profiles",
                "Organisations in the partner-search index.",
                registry=registry,
            ),
            index_bytes=Gauge(
                "alliance_matching_index_bytes",
                "Memory of the partner-search index's vectors.",
                registry=registry,
            ),
            pending=Gauge(
                "alliance_matching_pending_profiles",
                "Organisations changed but not embedded yet (the lag behind the store).",
                registry=registry,
            ),
            oldest_pending=Gauge(
                "alliance_matching_oldest_pending_seconds",
                "How long the oldest organisation not embedded yet has waited.",
                registry=registry,
            ),
            queue=Gauge(
                "alliance_matching_embedding_queue",
                "Organisations handed to the model right now (one batch).",
                registry=registry,
            ),
            embedded=Counter(
                "alliance_matching_profiles_embedded",
                "Organisations embedded by the model (stored vectors reloaded are not).",
                registry=registry,
            ),
            interests=Counter(
                "alliance_matching_interests",
                "Expressions of interest: sent by this node's members (out) or received "
                "for this node's organisations (in), by outcome.",
                ["direction", "outcome"],
                registry=registry,
            ),
        )
        for kind in SEARCH_KINDS:
            metrics.search_seconds.labels(kind)
        for direction, outcome in DIRECTIONS_OUTCOMES:
            metrics.interests.labels(direction, outcome)
        return metrics
