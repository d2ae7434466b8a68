"""HTTP in for partner search and expressions of interest: ``/api/matching/…``
(docs/matching-service.md).

Reads need no token; with one (any role) the caller is this node's staff and also finds
the node's ``alliance`` and ``node`` organisations (``services/matching/handlers.py``).
Unknown query parameters, an unknown country, NACE code or cooperation type, an empty or
too long text and ``top`` out of 1 to 50 are refused with the error body naming the field.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.matching import handlers, interest
from services.matching.handlers import FreeSearch, PartnerFilters
from services.matching.interest import AnswerDraft, InterestDraft
from services.matching.projection import Projection
from services.matching.store import MatchingUnitOfWork
from shared.auth import Role
from shared.errors import NotFound
from shared.http import problem_responses
from shared.personal import public_view
from shared.service import ServiceKit
from shared.store import Document

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


async def express(
    kit: Kit, projection: Projection, draft: InterestDraft, staff: bool
) -> tuple[Document, str]:
    """Check, record and send an expression of interest; counted once committed."""
    node = kit.identity.node
    message = interest.prepare(projection, node, draft, staff)
    record, key = await kit.transaction(lambda uow: interest.express(uow, node, message, draft))
    interest.count(kit.metrics, "out", "sent")
    if message.partner.network == node:
        interest.count(kit.metrics, "in", "received")
    return record, key


async def answer(kit: Kit, interest_id: str, draft: AnswerDraft) -> Document:
    """Record and send the staff's answer; counted once committed."""
    node = kit.identity.node
    record = await kit.transaction(lambda uow: interest.answer(uow, node, interest_id, draft))
    interest.count(kit.metrics, "in", "answered")
    return record


def interests_api(projection: Projection) -> Callable[[Kit], APIRouter]:
    """The router factory of expressions of interest (services/matching/interest.py)."""

    def routes(kit: Kit) -> APIRouter:
        api = APIRouter(prefix="/api/matching/interests", tags=["matching"])
        Caller = Annotated[Role | None, Depends(kit.caller)]

        @api.post("", status_code=201, responses=problem_responses(404, 422))
        async def express_interest(draft: InterestDraft, role: Caller) -> dict[str, Any]:
            """Ask this network to introduce the member's organisation to a result's;
            keep ``key`` to read the answer. Name and e-mail never leave this node."""
            record, key = await express(kit, projection, draft, role is not None)
            return {**public_view(record), "key": key}

        @api.get("/{interest_id}", responses=problem_responses(404))
        async def read_interest(
            interest_id: str, role: Caller, key: str | None = Query(None, max_length=100)
        ) -> dict[str, Any]:
            """The member's record (with its key, or as staff) and, once it came, the answer."""
            if key is None and role is None:
                raise NotFound(f"no expression of interest {interest_id!r} with this key", "key")
            record = await interest.member_record(
                kit.reads(), interest_id, None if role is not None else key
            )
            return public_view(record)

        @api.get("", dependencies=[Depends(kit.editor)])
        async def list_interests(
            side: str = Query("received", pattern="^(received|sent)$"),
        ) -> dict[str, Any]:
            """Received for this network's organisations, or sent by its members."""
            found = await interest.listing_of(kit.reads(), side)
            return {"items": [public_view(doc) for doc in found]}

        @api.post(
            "/{interest_id}/answer",
            dependencies=[Depends(kit.editor)],
            responses=problem_responses(404, 409, 422),
        )
        async def answer_interest(interest_id: str, draft: AnswerDraft) -> dict[str, Any]:
            """Will introduce, or decline with a note: the answer goes to the member's node."""
            return public_view(await answer(kit, interest_id, draft))

        return api

    return routes
