"""What inquiries, speaker applications and invitations share: a request kept on two nodes.

The generic part (the person's fields, the key, handing over, the staff's decision, the
record of the answer) is ``shared/personal.py``, which the matching service's expressions
of interest use too; it is re-exported here for the events modules. What is the events
service's own: an event's title as the consoles show it, and its request counters.
"""

from __future__ import annotations

import functools
from functools import cache

from prometheus_client import CollectorRegistry, Counter

from shared.calendar import original_text
from shared.personal import (
    EMAIL_SHAPE,
    LISTED,
    Email,
    Inbox,
    Organisation,
    SentBox,
    hand_over,
    key_digest,
    keyed,
    listing,
    new_key,
    now,
    public_view,
    refuse_sent,
    settle,
)
from shared.store import Document

__all__ = [
    "EMAIL_SHAPE",
    "LISTED",
    "Email",
    "Inbox",
    "Organisation",
    "SentBox",
    "counter",
    "hand_over",
    "key_digest",
    "keyed",
    "listing",
    "new_key",
    "now",
    "public_view",
    "refuse_sent",
    "settle",
    "title_of",
]


def title_of(data: Document) -> str:
    """An event's title in the language it was written in (what the consoles show)."""
    return original_text(data.get("title", {}), data.get("language", ""))


@cache
@functools.cache
def counter(registry: CollectorRegistry, kind: str) -> Counter:
    """alliance_event_<kind>_total{direction, outcome}, one per process registry: asked
    by this node's people (``out``) or about this node's events (``in``). Made once per
    registry and kind (handlers ask for it on every message), not per increment."""
    return Counter(
        f"alliance_event_{kind}_total",
        f"Event {kind}: sent by this node's people (out) or about this node's events (in), "
        "by outcome.",
        ["direction", "outcome"],
        registry=registry,
    )
