"""Every subject and stream name of the alliance; no subject literals elsewhere.

Subjects follow ``alliance.<origin>.<service>.<aggregate>.<event>``. Stream names are
derived from node ids, which may contain dashes (``ro-clustero``); stream names keep them.
"""

from __future__ import annotations

import re

ROOT = "alliance"
DEAD_LETTER_ROOT = "deadletter"
HUB_DOMAIN = "hub"
ALLIANCE_STREAM = "ALLIANCE"

_NODE_ID = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
_TOKEN = re.compile(r"^[a-z][a-z0-9_-]*$")


def is_valid_node_id(node_id: str) -> bool:
    """Node ids are subject tokens and JetStream domains: lower-case, no dots or spaces."""
    return bool(_NODE_ID.match(node_id))


def event_subject(origin: str, service: str, aggregate: str, event: str) -> str:
    """The subject an owner publishes one domain event on."""
    for token in (service, aggregate, event):
        if not _TOKEN.match(token):
            raise ValueError(f"invalid subject token {token!r}")
    return f"{ROOT}.{origin}.{service}.{aggregate}.{event}"


def origin_of(subject: str) -> str | None:
    """The origin token of an alliance subject, or None if the subject is not ours."""
    parts = subject.split(".")
    if len(parts) < 3 or parts[0] != ROOT:
        return None
    return parts[1]


def node_subjects(node_id: str) -> str:
    """Everything a node owns and publishes."""
    return f"{ROOT}.{node_id}.>"


def service_subjects(service: str, origin: str = "*") -> str:
    """One service's events from one origin (default: every origin)."""
    return f"{ROOT}.{origin}.{service}.>"


def _stream_suffix(node_id: str) -> str:
    return node_id.upper()


def node_stream(node_id: str) -> str:
    """The node's outbound stream, sourced by the hub."""
    return f"NODE_{_stream_suffix(node_id)}"


def feed_stream(node_id: str) -> str:
    """The node's inbound stream: every other node's shared events."""
    return f"FEED_{_stream_suffix(node_id)}"


def dead_letter_stream(node_id: str) -> str:
    """Where messages a node refused are kept, with the reason."""
    return f"DEADLETTER_{_stream_suffix(node_id)}"


def dead_letter_subject(node_id: str, service: str) -> str:
    """Subject of one service's refused messages on one node."""
    return f"{DEAD_LETTER_ROOT}.{node_id}.{service}"


def dead_letter_subjects(node_id: str) -> str:
    return f"{DEAD_LETTER_ROOT}.{node_id}.>"


def durable_name(node_id: str, service: str, purpose: str) -> str:
    """Durable consumer names must not contain dots."""
    return f"{node_id}-{service}-{purpose}"
