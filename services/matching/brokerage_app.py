"""Brokerage sessions' part of the matching service's declaration.

``with_brokerage`` adds to whatever the rest of the service declares (its collections,
migrations, replicas and routers) rather than setting
them, so the service's own parts and this one are declared side by side.
"""

from __future__ import annotations

from dataclasses import replace

from services.matching import brokerage_store as store
from services.matching.brokerage_api import brokerage_api
from services.matching.store import MatchingUnitOfWork
from shared.service import ServiceDeclaration


def with_brokerage(
    declaration: ServiceDeclaration[MatchingUnitOfWork],
) -> ServiceDeclaration[MatchingUnitOfWork]:
    """The declaration with brokerage sessions added to it."""
    return replace(
        declaration,
        collections=(*declaration.collections, *store.COLLECTIONS),
        migrations=(*declaration.migrations, *store.MIGRATIONS),
        replicas=(*declaration.replicas, store.EVENTS_REPLICA),
        routers=(*declaration.routers, brokerage_api),
    )
