"""The hub's registry of admitted nodes and its rules; no I/O.

A node is admitted once with its Ed25519 public key (which signs its envelopes) and a NATS
nkey (which opens its leaf link). Removal is final for that admission; the node may be
admitted again later with new keys.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.contracts.registry import HUB_ORIGIN
from shared.errors import Duplicate, NotFound
from shared.identity import decode_public_key
from shared.subjects import is_valid_node_id


class JoinRequest(BaseModel):
    """What ``alliance init`` prints on a node, sent to the hub's operators."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    node: str
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    public_key: str
    site_url: str | None = Field(None, max_length=2000, pattern=r"^https?://[^\s]+$")

    @field_validator("node")
    @classmethod
    def _node_id(cls, value: str) -> str:
        if not is_valid_node_id(value) or value == HUB_ORIGIN:
            raise ValueError("not a valid node id (lower-case letters, digits, dashes)")
        return value

    @field_validator("public_key")
    @classmethod
    def _key(cls, value: str) -> str:
        decode_public_key(value)
        return value


class AdmittedNode(BaseModel):
    """One entry of the registry."""

    node: str
    name: str
    country: str
    public_key: str
    site_url: str | None = None  # the network's public site, linked from the hub portal
    nkey: str  # public nkey of the node's leaf connection
    admitted_at: datetime
    removed_at: datetime | None = None
    pending: list[str] = []  # signed registry events not yet acknowledged by JetStream

    @property
    def active(self) -> bool:
        return self.removed_at is None


class Registry(BaseModel):
    """Every node ever admitted, in admission order."""

    nodes: list[AdmittedNode] = []

    def active(self) -> list[AdmittedNode]:
        return [entry for entry in self.nodes if entry.active]

    def find(self, node: str) -> AdmittedNode | None:
        return next((entry for entry in self.active() if entry.node == node), None)

    def admit(self, request: JoinRequest, nkey: str, now: datetime) -> AdmittedNode:
        """Add a node; its id and key must not belong to an active member."""
        for entry in self.active():
            if entry.node == request.node:
                raise Duplicate(f"node {request.node!r} is already admitted", "node")
            if entry.public_key == request.public_key:
                raise Duplicate(f"this key already belongs to {entry.node!r}", "public_key")
        entry = AdmittedNode(**request.model_dump(), nkey=nkey, admitted_at=now)
        self.nodes.append(entry)
        return entry

    def remove(self, node: str, now: datetime) -> AdmittedNode:
        entry = self.find(node)
        if entry is None:
            raise NotFound(f"no admitted node {node!r}", "node")
        entry.removed_at = now
        return entry
