"""The matching service's collections (each part of the service adds its own)."""

from __future__ import annotations

from shared.store import UnitOfWork

COLLECTIONS: tuple[str, ...] = ()


class MatchingUnitOfWork(UnitOfWork):
    """The matching service's repositories, bound to one transaction (or to none)."""
