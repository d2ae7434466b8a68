"""Bus in: the portal keeps replicas of what every network shares, from ALLIANCE.

One consumer per replica set on ALLIANCE: seven here and the promise's one (the networks'
digests, ``services/portal/promise.py``), within the room the hub leaves its read models
(services/hub/natsconf.py, ``HUB_SERVICE_CONSUMERS``).
"""

from __future__ import annotations

from services.portal.calendar import EVENT_INDEXES, EVENTS, event_keys
from services.portal.news import NEWS_REPLICA
from services.portal.papers import PAPERS_REPLICA
from services.portal.store import (
    CLUSTERS,
    NETWORKS,
    ORGANIZATION_INDEXES,
    ORGANIZATIONS,
    PROFILES,
    cluster_keys,
    organization_keys,
)
from shared.contracts import events, membership, registry
from shared.replicas import Replicas

REPLICAS = (
    Replicas(NETWORKS, registry.CATALOGUE, "node"),
    Replicas(PROFILES, membership.CATALOGUE, "network"),
    Replicas(
        ORGANIZATIONS,
        membership.CATALOGUE,
        "organization",
        keys=organization_keys,
        indexes=ORGANIZATION_INDEXES,
    ),
    Replicas(CLUSTERS, membership.CATALOGUE, "cluster", keys=cluster_keys, indexes=("public",)),
    # the alliance calendar: every network's shared events (public ones are shown)
    Replicas(EVENTS, events.CATALOGUE, "event", keys=event_keys, indexes=EVENT_INDEXES),
    NEWS_REPLICA,  # the alliance's news: every network's shared items (public ones shown)
    PAPERS_REPLICA,  # the alliance's published position papers
)
