"""The matching service's collections (each part of the service adds its own).

``profiles`` is the service's projection of every organisation this node knows
(``services/matching/projection.py``); ``interests_sent`` and ``interests_received`` are
the expressions of interest (``services/matching/interest.py``).
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING

from shared.store import Migration, ServiceDatabase, UnitOfWork

PROFILES = "profiles"
INTERESTS_SENT = "interests_sent"
INTERESTS_RECEIVED = "interests_received"

COLLECTIONS: tuple[str, ...] = (PROFILES, INTERESTS_SENT, INTERESTS_RECEIVED)


async def _profile_indexes(db: ServiceDatabase) -> None:
    """The worker takes the oldest pending profiles first; consoles list the newest."""
    await db.collection(PROFILES).create_index([("state", ASCENDING), ("changed_at", ASCENDING)])
    await db.collection(INTERESTS_SENT).create_index([("expressed_at", DESCENDING)])
    await db.collection(INTERESTS_RECEIVED).create_index([("expressed_at", DESCENDING)])


MIGRATIONS: tuple[Migration, ...] = (_profile_indexes,)


class MatchingUnitOfWork(UnitOfWork):
    """The matching service's repositories, bound to one transaction (or to none)."""
