"""The streams of a node and of the hub: created, kept within their limits, never by a
subscriber (a declaring subscriber would add its subject to a sourced stream).

Limits per hop. An event enters its origin's stream (``NODE_<ID>``, ``LOCAL_<ID>``), is
sourced into the hub's ``ALLIANCE``, then into every other node's ``FEED_<ID>``. Each
sourcing adds a header (``Nats-Stream-Source``, about 100 bytes). Measured on nats-server
2.14: a message larger than the receiving server's ``max_payload`` (1 MiB) closes the leaf
link that carries it, again on every redelivery (a 1,048,500-byte event made a node's link
to the hub drop every two seconds); and a sourced message larger than the next stream's
``max_msg_size`` stops that source for good. So every hop allows ``HOP_HEADROOM_BYTES``
more than the one before, starting from ``MAX_EVENT_BYTES``, all far under ``max_payload``:
whatever a stream accepts crosses every later hop.

Every event stream keeps only the latest message of each subject, and there is one
subject per aggregate (``shared.subjects``): a withdrawal or an erasure replaces the
earlier content, and catching up costs the live records, not the history.

A node's ``INBOX_<ID>`` is not an event stream: it keeps every direct message to the node
(a request and its later cancellation share a subject, and both must be handled), in the
order they arrived, for ``INBOX_MAX_AGE_SECONDS``. Nothing sources it, and the messages
reach it straight from their sender through the hub, so it takes the origin hop's size.
"""

from __future__ import annotations

import logging
from enum import IntEnum
from typing import Any

from nats.js.api import StorageType, StreamConfig, StreamSource
from nats.js.errors import NotFoundError

from shared import subjects
from shared.bus import DEAD_LETTER_BODY_BYTES, BusConnection, raw_stream_info
from shared.envelope import MAX_EVENT_BYTES
from shared.subjects import Channel

log = logging.getLogger(__name__)

HOP_HEADROOM_BYTES = 4 * 1024  # headers one hop may add; Nats-Stream-Source is ~100 bytes
DEAD_LETTER_MAX_AGE_SECONDS = 30 * 24 * 3600
INBOX_MAX_AGE_SECONDS = 30 * 24 * 3600  # handled long before; kept to read what arrived
LIMITS = ("max_msg_size", "max_msgs_per_subject")


class Hop(IntEnum):
    """Which stream an event is in, counted from its origin's."""

    ORIGIN = 0  # NODE_<ID>, LOCAL_<ID>, the hub's own NODE_HUB
    ALLIANCE = 1  # the hub's ALLIANCE
    FEED = 2  # every node's FEED_<ID>


def max_message_bytes(hop: Hop) -> int:
    """The largest message (headers included) the streams of one hop accept."""
    return MAX_EVENT_BYTES + HOP_HEADROOM_BYTES * (hop + 1)


def event_stream(
    name: str,
    stream_subjects: list[str],
    duplicate_window: int,
    hop: Hop,
    sources: list[StreamSource] | None = None,
) -> StreamConfig:
    """An event stream: on disk, the latest event of each aggregate, sized for its hop."""
    return StreamConfig(
        name=name,
        subjects=stream_subjects,
        storage=StorageType.FILE,
        duplicate_window=duplicate_window,
        max_msgs_per_subject=1,
        max_msg_size=max_message_bytes(hop),
        sources=sources,
    )


async def ensure_node_streams(bus: BusConnection, node: str, duplicate_window: int) -> None:
    """The node's outbound, intra-node, dead-letter and inbound (sourced) streams."""
    await ensure_streams(
        bus,
        [
            event_stream(
                subjects.node_stream(node),
                [subjects.node_subjects(node)],
                duplicate_window,
                Hop.ORIGIN,
            ),
            event_stream(
                subjects.local_stream(node),
                [subjects.node_subjects(node, Channel.LOCAL)],
                duplicate_window,
                Hop.ORIGIN,
            ),
            StreamConfig(
                name=subjects.dead_letter_stream(node),
                subjects=[subjects.dead_letter_subjects(node)],
                storage=StorageType.FILE,
                max_age=DEAD_LETTER_MAX_AGE_SECONDS,
                max_msg_size=DEAD_LETTER_BODY_BYTES + HOP_HEADROOM_BYTES,
            ),
            event_stream(subjects.feed_stream(node), [], duplicate_window, Hop.FEED),
            inbox(node, duplicate_window),
        ],
    )


def inbox(node: str, duplicate_window: int) -> StreamConfig:
    """The direct messages to ``node``: every one kept, in arrival order, deduplicated on
    ``Nats-Msg-Id`` (a sender that lost an ack sends the same message again)."""
    return StreamConfig(
        name=subjects.inbox_stream(node),
        subjects=[subjects.direct_to(node)],
        storage=StorageType.FILE,
        duplicate_window=duplicate_window,
        max_age=INBOX_MAX_AGE_SECONDS,
        max_msg_size=max_message_bytes(Hop.ORIGIN),
    )


async def ensure_streams(bus: BusConnection, configs: list[StreamConfig]) -> None:
    """Create the missing streams; bring existing ones to the limits configured here.

    Only the limits of an existing stream change (its sources stay: the hub and the
    node's federation manage those), so a node or hub that ran an older version gets them
    at its next start. nats-server applies a new per-subject limit only to later messages
    (measured on 2.14), so the older versions a stream kept are purged here.
    """
    js = bus.js
    for config in configs:
        name = config.name or ""
        try:
            current = (await js.stream_info(name)).config
        except NotFoundError:
            await js.add_stream(config)
            continue
        if _take_limits(current, config):
            await js.update_stream(current)
            log.warning("stream %s now has the limits %s", name, _limits(config))
        if config.max_msgs_per_subject == 1:
            await keep_latest_per_subject(bus, name)


def _limits(config: StreamConfig) -> dict[str, Any]:
    return {field: getattr(config, field) for field in LIMITS if getattr(config, field)}


def _take_limits(current: StreamConfig, wanted: StreamConfig) -> bool:
    """Set ``wanted``'s limits on ``current``; True if any changed."""
    changed = False
    for field, value in _limits(wanted).items():
        if getattr(current, field) != value:
            setattr(current, field, value)
            changed = True
    return changed


async def keep_latest_per_subject(bus: BusConnection, stream: str) -> int:
    """Purge every message but the latest of each subject; returns how many went."""
    info = await raw_stream_info(bus, stream)
    state = info.get("state", {})
    if int(state.get("messages", 0)) <= int(state.get("num_subjects", 0)):
        return 0
    purged, offset = 0, 0
    while True:
        page = await raw_stream_info(bus, stream, {"subjects_filter": ">", "offset": offset})
        counts: dict[str, int] = page.get("state", {}).get("subjects") or {}
        for subject, count in counts.items():
            if count > 1 and await bus.js.purge_stream(stream, subject=subject, keep=1):
                purged += count - 1
        offset += len(counts)
        if not counts or offset >= int(page.get("total", 0)):
            break
    log.warning("stream %s: purged %d older versions, kept the latest of each", stream, purged)
    return purged
