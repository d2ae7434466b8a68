"""HTTP in: the membership REST API under /api/membership.

Reads of ``public`` records need no token; with a token a caller sees everything the node
holds. Writes need an editor token, the network profile an admin token.
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from services.membership import handlers
from services.membership.csv_import import HEADER_LINE, parse_organizations_csv
from services.membership.domain import (
    Cluster,
    ClusterDraft,
    NetworkProfile,
    NetworkProfileDraft,
    Organization,
    OrganizationDraft,
)
from services.membership.store import MembershipStore, OrganizationFilter
from shared.auth import Role, TokenStore
from shared.contracts.base import Visibility
from shared.errors import DomainError
from shared.identity import NodeIdentity
from shared.store import ServiceDatabase, UnitOfWork

MAX_CSV_BYTES = 5 * 1024 * 1024
T = TypeVar("T")
R = TypeVar("R", Organization, Cluster)


class Page(BaseModel):
    """One page of a list; pass ``next`` as ``after`` to get the following one."""

    items: list[dict[str, Any]]
    next: str | None = None


class ImportRowError(BaseModel):
    row: int
    field: str
    reason: str


class ImportResult(BaseModel):
    created: list[dict[str, Any]]
    errors: list[ImportRowError]


class CrossMembership(BaseModel):
    query: str
    member: bool
    networks: list[dict[str, str]] = Field(default_factory=list)


def page(found: Sequence[R], limit: int, view: Callable[[R], dict[str, Any]]) -> Page:
    """One page from ``limit + 1`` records read: the extra one tells there is a next."""
    return Page(
        items=[view(record) for record in found[:limit]],
        next=found[limit - 1].id if len(found) > limit else None,
    )


def membership_api(
    db: ServiceDatabase,
    identity: NodeIdentity,
    tokens: TokenStore,
    editor: Callable[..., Awaitable[Role]],
    admin: Callable[..., Awaitable[Role]],
) -> APIRouter:
    """Routes bound to this node's store and identity."""
    store = MembershipStore(db)
    api = APIRouter(prefix="/api/membership", tags=["membership"])

    async def caller(authorization: Annotated[str | None, Header()] = None) -> Role | None:
        if authorization and authorization.startswith("Bearer "):
            return tokens.role_of(authorization.removeprefix("Bearer ").strip())
        return None

    async def in_transaction(work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        async with db.unit_of_work() as uow:
            result = await work(uow)
            await uow.commit()
        return result

    def visible(record: Organization | Cluster, role: Role | None) -> dict[str, Any]:
        """Anonymous callers see public records only; hidden looks exactly like unknown."""
        if role is None and (record.visibility is not Visibility.PUBLIC or record.deleted):
            noun = "organisation" if isinstance(record, Organization) else "cluster"
            raise handlers.not_found(noun, record.id)
        view = record.model_dump(mode="json")
        if role is None and isinstance(record, Organization):
            view["contacts"] = [c for c in view["contacts"] if c["consent"]]
        return view

    # -- network profile --------------------------------------------------------------
    @api.get("/profile")
    async def get_profile() -> NetworkProfile:
        """The association's network profile (public)."""
        return await handlers.current_profile(store, identity)

    @api.put("/profile", dependencies=[Depends(admin)])
    async def put_profile(draft: NetworkProfileDraft) -> NetworkProfile:
        return await in_transaction(
            lambda uow: handlers.revise_network_profile(draft, store, uow, identity)
        )

    # -- organisations ----------------------------------------------------------------
    @api.post("/organizations", status_code=201, dependencies=[Depends(editor)])
    async def create_organization(draft: OrganizationDraft) -> Organization:
        return await in_transaction(
            lambda uow: handlers.register_organization(draft, store, uow, identity)
        )

    @api.get("/organizations")
    async def list_organizations(
        role: Annotated[Role | None, Depends(caller)],
        sector: str | None = Query(None, max_length=8, description="NACE division, group or class"),
        country: str | None = Query(None, min_length=2, max_length=2),
        cluster: str | None = Query(None, max_length=80),
        text: str | None = Query(None, max_length=200),
        after: str | None = Query(None, max_length=80, description="the previous page's `next`"),
        limit: int = Query(50, ge=1, le=500),
    ) -> Page:
        filters = OrganizationFilter(
            sector=sector,
            country=country,
            cluster=cluster,
            text=text,
            visibility=None if role else [Visibility.PUBLIC.value],
        )
        found = await store.list_organizations(filters, after, limit + 1)
        return page(found, limit, lambda org: visible(org, role))

    @api.get("/organizations/{org_id}")
    async def get_organization(
        org_id: str, role: Annotated[Role | None, Depends(caller)]
    ) -> dict[str, Any]:
        return visible(await handlers.existing_organization(org_id, store), role)

    @api.put("/organizations/{org_id}", dependencies=[Depends(editor)])
    async def put_organization(org_id: str, draft: OrganizationDraft) -> Organization:
        return await in_transaction(
            lambda uow: handlers.revise_organization(org_id, draft, store, uow, identity)
        )

    @api.delete("/organizations/{org_id}", dependencies=[Depends(editor)])
    async def delete_organization(org_id: str) -> Organization:
        return await in_transaction(
            lambda uow: handlers.delete_organization(org_id, store, uow, identity)
        )

    @api.post(
        "/organizations/import",
        dependencies=[Depends(editor)],
        openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    )
    async def import_organizations(request: Request) -> ImportResult:
        """CSV import: good rows land, each bad row is reported with its field and reason."""
        body = await request.body()
        if len(body) > MAX_CSV_BYTES:
            raise DomainError(
                f"the file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB", "file"
            )
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DomainError("the file is not UTF-8 text", "file") from exc
        plan = parse_organizations_csv(text)
        header = [e for e in plan.errors if e.row == HEADER_LINE and not plan.rows]
        if header:  # the file itself is unusable: refuse it, naming every problem
            raise DomainError(
                f"row 1: {header[0].reason}",
                "file",
                errors=[{"row": e.row, "field": e.field, "reason": e.reason} for e in header],
            )
        report = await in_transaction(
            lambda uow: handlers.import_organizations(plan, store, uow, identity)
        )
        return ImportResult(
            created=[{"row": row, "id": org_id} for row, org_id in report.created],
            errors=[
                ImportRowError(row=e.row, field=e.field, reason=e.reason) for e in report.errors
            ],
        )

    # -- clusters ---------------------------------------------------------------------
    @api.post("/clusters", status_code=201, dependencies=[Depends(editor)])
    async def create_cluster(draft: ClusterDraft) -> Cluster:
        return await in_transaction(
            lambda uow: handlers.register_cluster(draft, store, uow, identity)
        )

    @api.get("/clusters")
    async def list_clusters(
        role: Annotated[Role | None, Depends(caller)],
        after: str | None = Query(None, max_length=80),
        limit: int = Query(50, ge=1, le=500),
    ) -> Page:
        found = await store.list_clusters(after, limit + 1, public_only=role is None)
        return page(found, limit, lambda cluster: visible(cluster, role))

    @api.get("/clusters/{cluster_id}")
    async def get_cluster(
        cluster_id: str, role: Annotated[Role | None, Depends(caller)]
    ) -> dict[str, Any]:
        return visible(await handlers.existing_cluster(cluster_id, store), role)

    @api.put("/clusters/{cluster_id}", dependencies=[Depends(editor)])
    async def put_cluster(cluster_id: str, draft: ClusterDraft) -> Cluster:
        return await in_transaction(
            lambda uow: handlers.revise_cluster(cluster_id, draft, store, uow, identity)
        )

    @api.delete("/clusters/{cluster_id}", dependencies=[Depends(editor)])
    async def delete_cluster(cluster_id: str) -> Cluster:
        return await in_transaction(
            lambda uow: handlers.delete_cluster(cluster_id, store, uow, identity)
        )

    # -- cross-membership -------------------------------------------------------------
    @api.get("/cross-membership")
    async def cross_membership(
        role: Annotated[Role | None, Depends(caller)],
        org: str = Query(
            ...,
            min_length=2,
            max_length=200,
            description="organisation name, VAT number or website",
        ),
    ) -> CrossMembership:
        """Is this organisation a member of any alliance network this node knows?"""
        found = await handlers.cross_membership(
            org, store, identity, include_node_only=role is not None
        )
        return CrossMembership(
            query=org,
            member=bool(found),
            networks=[
                {
                    "node": m.node,
                    "network": m.network,
                    "organization_id": m.organization_id,
                    "legal_name": m.legal_name,
                    "country": m.country,
                }
                for m in found
            ],
        )

    @api.get("/replicas")
    async def replica_counts() -> dict[str, int]:
        """How many organisations of each other network this node holds as replicas."""
        return await store.replica_counts()

    return api
