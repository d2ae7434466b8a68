"""Bus in: the portal keeps replicas of what every network shares, from ALLIANCE."""

from __future__ import annotations

from services.portal.store import (
    CLUSTERS,
    NETWORKS,
    ORGANIZATION_INDEXES,
    ORGANIZATIONS,
    PROFILES,
    cluster_keys,
    organization_keys,
)
from shared.contracts import membership, registry
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
)
