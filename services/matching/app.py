"""The matching service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.matching import brokerage_app
from services.matching.store import COLLECTIONS, MatchingUnitOfWork
from shared.contracts import matching as contract
from shared.service import ServiceDeclaration


def declare() -> ServiceDeclaration[MatchingUnitOfWork]:
    """Partner search over every organisation this node knows, and brokerage meetings."""
    declaration = ServiceDeclaration(
        name=contract.SERVICE,
        description="partner search across the alliance, brokerage-event meetings",
        unit_of_work=MatchingUnitOfWork,
        collections=COLLECTIONS,
        package="services.matching",
    )
    return brokerage_app.with_brokerage(declaration)  # services/matching/brokerage*.py
