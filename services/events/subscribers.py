"""Bus in: the calendar, kept by the kit's idempotent projection.

One collection holds this node's own events (in full, drafts included, from its local
channel) and the events other nodes share with it (from its feed), each with the keys
the calendar's filters read (``calendar_keys``).
"""

from __future__ import annotations

from services.events.store import CALENDAR, CALENDAR_INDEXES, calendar_keys
from shared.contracts import events as contract
from shared.replicas import Replicas

REPLICAS = (
    Replicas(
        CALENDAR,
        contract.CATALOGUE,
        "event",
        keys=calendar_keys,
        own=True,
        alliance=True,
        indexes=CALENDAR_INDEXES,
    ),
)
