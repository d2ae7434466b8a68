"""Every subject and stream name of the alliance: built and parsed here and nowhere else.

An event travels on the subject of its aggregate instance::

    alliance.<origin>.<service>.<aggregate>.<aggregate id>   what the alliance may know
    local.<origin>.<service>.<aggregate>.<aggregate id>      the node's own services only

The event's kind (registered, revised, withdrawn…) travels in the CloudEvents ``type``,
not in the subject, so that a stream can keep just the latest event of each aggregate.
The ``alliance`` channel is the node's outbound stream ``NODE_<ID>``, which the hub
sources; the ``local`` channel is ``LOCAL_<ID>``, which never leaves the node and carries
full state (``node``-only records and every contact person included).

A direct message (a request only its target decides, and the answer) travels from one
node to one other node, through the hub, and is stored only in the target's
``INBOX_<ID>``::

    direct.<target>.<sender>.<service>.<kind>.<id>

Stream names are derived from node ids, which may contain dashes (``ro-clustero``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ROOT = "alliance"
DEAD_LETTER_ROOT = "deadletter"
DIRECT_ROOT = "direct"
HUB_DOMAIN = "hub"
ALLIANCE_STREAM = "ALLIANCE"

_NODE_ID = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
_TOKEN = re.compile(r"^[a-z][a-z0-9_-]*$")
_AGGREGATE_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class Channel(StrEnum):
    """Where an event goes: to the whole alliance, or only to this node's services."""

    ALLIANCE = "alliance"
    LOCAL = "local"


def is_valid_node_id(node_id: str) -> bool:
    """Node ids are subject tokens and JetStream domains: lower-case, no dots or spaces."""
    return bool(_NODE_ID.match(node_id))


def is_valid_aggregate_id(aggregate_id: str) -> bool:
    """Aggregate ids are subject tokens: letters, digits, dashes and underscores."""
    return bool(_AGGREGATE_ID.match(aggregate_id))


@dataclass(frozen=True)
class EventSubject:
    """The parts of an event's subject."""

    channel: Channel
    origin: str
    service: str
    aggregate: str
    aggregate_id: str

    def __str__(self) -> str:
        return ".".join(
            (self.channel.value, self.origin, self.service, self.aggregate, self.aggregate_id)
        )


def event_subject(
    channel: Channel, origin: str, service: str, aggregate: str, aggregate_id: str
) -> str:
    """The subject one aggregate instance's events travel on."""
    for token in (service, aggregate):
        if not _TOKEN.match(token):
            raise ValueError(f"invalid subject token {token!r}")
    if not is_valid_aggregate_id(aggregate_id):
        raise ValueError(f"aggregate id {aggregate_id!r} cannot be a subject token")
    return str(EventSubject(channel, origin, service, aggregate, aggregate_id))


def parse_subject(subject: str) -> EventSubject | None:
    """The parts of an event subject, or None if it is not one of ours."""
    parts = subject.split(".")
    if len(parts) != 5 or parts[0] not in (Channel.ALLIANCE, Channel.LOCAL):
        return None
    return EventSubject(Channel(parts[0]), parts[1], parts[2], parts[3], parts[4])


def origin_of(subject: str) -> str | None:
    """The origin token of an event subject (either channel), or the sender of a direct
    message, or None if not ours."""
    parts = subject.split(".")
    if parts[0] == DIRECT_ROOT:
        return parts[2] if len(parts) == 6 else None
    if len(parts) < 3 or parts[0] not in (Channel.ALLIANCE, Channel.LOCAL):
        return None
    return parts[1]


def service_of(subject: str) -> str:
    """The service an event or a direct message belongs to ('' if the subject is not ours)."""
    event = parse_subject(subject)
    if event is not None:
        return event.service
    direct = parse_direct_subject(subject)
    return direct.service if direct is not None else ""


def node_subjects(node_id: str, channel: Channel = Channel.ALLIANCE) -> str:
    """Everything a node publishes on one channel."""
    return f"{channel.value}.{node_id}.>"


def service_subjects(
    service: str,
    origin: str = "*",
    channel: Channel = Channel.ALLIANCE,
    aggregate: str | None = None,
) -> str:
    """One service's events (of one aggregate, or all) from one origin (default: every one)."""
    tail = f"{aggregate}.*" if aggregate else ">"
    return f"{channel.value}.{origin}.{service}.{tail}"


@dataclass(frozen=True)
class DirectSubject:
    """The parts of a direct message's subject."""

    target: str
    sender: str
    service: str
    kind: str
    message_id: str

    def __str__(self) -> str:
        return ".".join(
            (DIRECT_ROOT, self.target, self.sender, self.service, self.kind, self.message_id)
        )


def direct_subject(target: str, sender: str, service: str, kind: str, message_id: str) -> str:
    """The subject of one message from ``sender`` to ``target`` (both node ids)."""
    for node in (target, sender):
        if not is_valid_node_id(node):
            raise ValueError(f"invalid node id {node!r}")
    for token in (service, kind):
        if not _TOKEN.match(token):
            raise ValueError(f"invalid subject token {token!r}")
    if not is_valid_aggregate_id(message_id):
        raise ValueError(f"message id {message_id!r} cannot be a subject token")
    return str(DirectSubject(target, sender, service, kind, message_id))


def parse_direct_subject(subject: str) -> DirectSubject | None:
    """The parts of a direct message's subject, or None if it is not one."""
    parts = subject.split(".")
    if len(parts) != 6 or parts[0] != DIRECT_ROOT:
        return None
    return DirectSubject(*parts[1:])


def direct_address(service: str, kind: str) -> str:
    """A kind of direct message's subject as documentation shows it (AsyncAPI)."""
    return str(DirectSubject("{target}", "{sender}", service, kind, "{id}"))


def direct_to(target: str, service: str = "*") -> str:
    """Every direct message to ``target`` (for one service, or for all)."""
    if service == "*":
        return f"{DIRECT_ROOT}.{target}.>"
    return f"{DIRECT_ROOT}.{target}.*.{service}.>"


def direct_from(sender: str) -> str:
    """Every direct message ``sender`` may send, to whichever node."""
    return f"{DIRECT_ROOT}.*.{sender}.>"


def direct_between(target: str, sender: str) -> str:
    """The messages from ``sender`` to ``target``: what the hub lets through between them."""
    return f"{DIRECT_ROOT}.{target}.{sender}.>"


def _stream_suffix(node_id: str) -> str:
    return node_id.upper()


def node_stream(node_id: str) -> str:
    """The node's outbound stream, sourced by the hub."""
    return f"NODE_{_stream_suffix(node_id)}"


def local_stream(node_id: str) -> str:
    """The node's intra-node stream: full events for its own services, never sourced."""
    return f"LOCAL_{_stream_suffix(node_id)}"


def feed_stream(node_id: str) -> str:
    """The node's inbound stream: every other node's shared events."""
    return f"FEED_{_stream_suffix(node_id)}"


def dead_letter_stream(node_id: str) -> str:
    """Where messages a node refused are kept, with the reason."""
    return f"DEADLETTER_{_stream_suffix(node_id)}"


def inbox_stream(node_id: str) -> str:
    """The direct messages to a node, in the order they arrived there."""
    return f"INBOX_{_stream_suffix(node_id)}"


def private_streams(node_id: str) -> list[str]:
    """The node's streams the hub must never read (only ``NODE_<ID>`` is for the hub)."""
    return [
        local_stream(node_id),
        feed_stream(node_id),
        dead_letter_stream(node_id),
        inbox_stream(node_id),
    ]


def dead_letter_subject(node_id: str, service: str) -> str:
    """Subject of one service's refused messages on one node."""
    return f"{DEAD_LETTER_ROOT}.{node_id}.{service}"


def dead_letter_subjects(node_id: str) -> str:
    return f"{DEAD_LETTER_ROOT}.{node_id}.>"


def durable_name(node_id: str, service: str, purpose: str) -> str:
    """Durable consumer names must not contain dots."""
    return f"{node_id}-{service}-{purpose}".replace(".", "_")
