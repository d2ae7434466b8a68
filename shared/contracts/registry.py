"""Wire contracts of the hub's registry: which nodes belong to the alliance, and their keys.

The hub publishes these under its own origin (``hub``), signed with its key; every node
learns from them whose envelopes it may apply and which origins its feed must source.
"""

from __future__ import annotations

from shared.contracts.base import Contract

SERVICE = "registry"
NODE = "node"
ADMITTED = "admitted"
REMOVED = "removed"
HUB_ORIGIN = "hub"


class NodeAdmitted(Contract):
    """A national network joined: its events are to be accepted, signed with this key."""

    node: str
    name: str
    country: str
    public_key: str


class NodeRemoved(Contract):
    """A network left or was removed: refuse its events, tombstone its replicas."""

    node: str
    reason: str = "removed"
