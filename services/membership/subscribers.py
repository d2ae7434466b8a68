"""Bus in: what the membership service keeps of other networks.

Other nodes' shared organisations, clusters and network profiles, from this node's feed,
as replicas (the kit's idempotent projection); cross-membership reads them.
"""

from __future__ import annotations

from services.membership.store import (
    CLUSTER_REPLICAS,
    NETWORK_REPLICAS,
    ORGANIZATION_REPLICAS,
    REPLICA_INDEXES,
    replica_keys,
)
from shared.contracts import membership as contract
from shared.replicas import Replicas

REPLICAS = (
    Replicas(
        ORGANIZATION_REPLICAS,
        contract.CATALOGUE,
        "organization",
        keys=replica_keys,
        indexes=REPLICA_INDEXES,
    ),
    Replicas(CLUSTER_REPLICAS, contract.CATALOGUE, "cluster"),
    Replicas(NETWORK_REPLICAS, contract.CATALOGUE, "network"),
)
