"""What the matching service takes from the bus: every organisation's changes.

One subscription to the membership service's organisation events, on both channels:
this node's own from ``LOCAL_<ID>`` (full state, ``node``-only organisations included)
and the alliance's from the feed (what partners share). A subscription rather than
``Replicas``: its handler is ours, so a change marks the profile for embedding in the
same transaction, and the commit wakes the worker (``services/matching/projection.py``).
"""

from __future__ import annotations

from services.matching.handlers import on_organisation
from shared.contracts import membership
from shared.service import Subscription

ORGANISATIONS = Subscription(
    name="organisations",
    catalogue=membership.CATALOGUE,
    events=(
        membership.OrganizationRegistered,
        membership.OrganizationRevised,
        membership.OrganizationWithdrawn,
    ),
    handle=on_organisation,
    own=True,
    alliance=True,
)
