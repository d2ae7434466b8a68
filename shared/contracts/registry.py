"""Wire contracts of the hub's registry: which nodes belong to the alliance, and their keys.

The hub publishes these under its own origin (``hub``), signed with its key; every node
learns from them whose envelopes it may apply and which origins its feed must source.
The aggregate is the admitted node; its id is the node id.
"""

from __future__ import annotations

from shared.contracts.base import Event, Withdrawal
from shared.contracts.catalogue import EventCatalogue

SERVICE = "registry"
HUB_ORIGIN = "hub"


class NodeAdmitted(Event):
    """A national network joined: its events are to be accepted, signed with this key."""

    name: str
    country: str
    public_key: str


class NodeRemoved(Withdrawal):
    """A network left or was removed: refuse its events, tombstone its replicas."""

    reason: str = "removed"


CATALOGUE = EventCatalogue(
    SERVICE,
    {
        NodeAdmitted: "node.admitted",
        NodeRemoved: "node.removed",
    },
)
