"""Wire contracts of the hub's registry: which nodes belong to the alliance, and their keys.

The hub publishes these under its own origin (``hub``), signed with its key; every node
learns from them whose envelopes it may apply and which origins its feed must source.
The aggregate is the admitted node; its id is the node id.
"""

from __future__ import annotations

from typing import ClassVar

from shared.contracts.base import Event, Withdrawal
from shared.contracts.catalogue import EventCatalogue

SERVICE = "registry"
HUB_ORIGIN = "hub"


class NodeAdmitted(Event):
    """A national network joined: its events are to be accepted, signed with this key.

    1.1: ``site_url``, where the network's public site is (the hub portal links to it).
    """

    SCHEMA_VERSION: ClassVar[str] = "1.1"

    name: str
    country: str
    public_key: str
    site_url: str | None = None


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
