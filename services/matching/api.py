"""HTTP in for partner search: ``/api/matching/…`` (docs/matching-service.md).

Reads need no token; with one (any role) the caller is this node's staff and also finds
the node's ``alliance`` and ``node`` organisations (``services/matching/handlers.py``).
Unknown query parameters, an unknown country, NACE code or cooperation type, an empty or
too long text and ``top`` out of 1 to 50 are refused with the error body naming the field.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.matching import handlers
from services.matching.handlers import FreeSearch, PartnerFilters
from services.matching.projection import Projection
from services.matching.store import MatchingUnitOfWork
from shared.auth import Role
from shared.http import problem_responses
from shared.service import ServiceKit

Kit = ServiceKit[MatchingUnitOfWork]


def search_api(projection: Projection) -> Callable[[Kit], APIRouter]:
    """The router factory of partner search, bound to the service's projection."""

    def routes(kit: Kit) -> APIRouter:
        projection.load(kit)  # the model loads once, at start: a failure stops the node
        api = APIRouter(prefix="/api/matching", tags=["matching"])
        Caller = Annotated[Role | None, Depends(kit.caller)]

        @api.get("/search", responses=problem_responses(422))
        async def search(query: Annotated[FreeSearch, Query()], role: Caller) -> dict[str, Any]:
            """Organisations that could work with a described need and/or offer (any
            language), best first, each with its score and the reasons that make it up."""
            return await handlers.free_search(kit, projection, query, role is not None)

        @api.get(
            "/organisations/{network}/{organisation_id}/partners",
            responses=problem_responses(404, 422),
        )
        async def partners(
            network: str,
            organisation_id: str,
            query: Annotated[PartnerFilters, Query()],
            role: Caller,
        ) -> dict[str, Any]:
            """Who could work with this organisation (from its own profile), with reasons."""
            return await handlers.partners_of(
                projection, network, organisation_id, query, role is not None
            )

        return api

    return routes
