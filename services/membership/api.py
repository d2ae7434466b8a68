"""HTTP in: the membership REST API under /api/membership.

Reads of ``public`` records need no token; with a token a caller sees everything the node
holds. Writes need an editor token, the network profile an admin token.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the route annotations,
# which name dependencies local to ``membership_api``.
import asyncio
from email.message import Message
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.membership import handlers
from services.membership.csv_import import (
    HEADER_LINE,
    CsvImportPlan,
    parse_organizations_csv,
    template_csv,
)
from services.membership.domain import (
    Cluster,
    ClusterDraft,
    NetworkProfile,
    NetworkProfileDraft,
    Notice,
    Organization,
    OrganizationDraft,
)
from services.membership.store import MembershipUnitOfWork, OrganizationFilter
from shared.auth import Role, can_read, readable_visibilities
from shared.errors import DomainError, Unavailable, shorten
from shared.http import CSV_MEDIA_TYPES, STORAGE_FULL_MESSAGE, Page, problem_responses, storage_full
from shared.jobs import Job, JobStatus
from shared.service import ServiceKit

IMPORT_CHUNK_ROWS = 200  # one transaction each, so other writes never wait long behind one
NOTICE_HEADER = "Alliance-Notice"  # one per change made to the input (NACE Rev. 2 converted)

Kit = ServiceKit[MembershipUnitOfWork]


class ImportRowError(BaseModel):
    row: int
    field: str
    reason: str


class ImportResult(BaseModel):
    created: list[dict[str, Any]]
    errors: list[ImportRowError]
    notices: list[ImportRowError] = Field(
        default_factory=list, description="what was changed in rows that landed"
    )


class CrossMembership(BaseModel):
    query: str
    member: bool
    networks: list[dict[str, str]] = Field(default_factory=list)


def visible(record: Organization | Cluster, role: Role | None) -> dict[str, Any]:
    """Anonymous callers see public records only; hidden looks exactly like unknown."""
    if not can_read(role, record.visibility, record.deleted):
        noun = "organisation" if isinstance(record, Organization) else "cluster"
        raise handlers.not_found(noun, record.id)
    view = record.model_dump(mode="json")
    if role is None and isinstance(record, Organization):
        view["contacts"] = [c for c in view["contacts"] if c["consent"]]
    return view


def noted(response: Response, notices: list[Notice]) -> None:
    """Tell the client what its input was changed into: one header per notice."""
    for notice in notices:
        response.headers.append(NOTICE_HEADER, f"{notice.field}: {notice.reason}")


NOTICES = {
    "headers": {
        NOTICE_HEADER: {
            "description": "what the input was changed into, one header each "
            "(e.g. a NACE Rev. 2 code stored as Rev. 2.1)",
            "schema": {"type": "string"},
        }
    }
}


def membership_api(kit: Kit) -> APIRouter:
    """Routes bound to this node's membership service."""
    api = APIRouter(prefix="/api/membership", tags=["membership"])
    identity = kit.identity
    Caller = Annotated[Role | None, Depends(kit.caller)]

    # -- network profile --------------------------------------------------------------
    @api.get("/profile")
    async def get_profile() -> NetworkProfile:
        """The association's network profile (public)."""
        return await handlers.current_profile(kit.reads(), identity)

    @api.put("/profile", dependencies=[Depends(kit.admin)])
    async def put_profile(draft: NetworkProfileDraft) -> NetworkProfile:
        return await kit.transaction(
            lambda uow: handlers.revise_network_profile(draft, uow, identity)
        )

    # -- organisations ----------------------------------------------------------------
    @api.post(
        "/organizations",
        status_code=201,
        dependencies=[Depends(kit.editor)],
        responses={201: NOTICES, **problem_responses(409)},
    )
    async def create_organization(draft: OrganizationDraft, response: Response) -> Organization:
        """Register an organisation; NACE Rev. 2 codes are stored as Rev. 2.1 (see headers)."""
        noted(response, draft.notices)
        return await kit.transaction(
            lambda uow: handlers.register_organization(draft, uow, identity)
        )

    @api.get("/organizations")
    async def list_organizations(
        role: Caller,
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
            visibility=readable_visibilities(role),
        )
        found, following = await kit.reads().organizations.page(filters.query(), after, limit)
        return Page(items=[visible(org, role) for org in found], next=following)

    @api.get("/organizations/{org_id}", responses=problem_responses(404))
    async def get_organization(org_id: str, role: Caller) -> dict[str, Any]:
        return visible(await handlers.existing_organization(org_id, kit.reads()), role)

    @api.put(
        "/organizations/{org_id}",
        dependencies=[Depends(kit.editor)],
        responses={200: NOTICES, **problem_responses(404, 409, 410)},
    )
    async def put_organization(
        org_id: str, draft: OrganizationDraft, response: Response
    ) -> Organization:
        noted(response, draft.notices)
        return await kit.transaction(lambda uow: handlers.revise_organization(org_id, draft, uow))

    @api.delete(
        "/organizations/{org_id}",
        dependencies=[Depends(kit.editor)],
        responses=problem_responses(404, 410),
    )
    async def delete_organization(org_id: str) -> Organization:
        return await kit.transaction(lambda uow: handlers.delete_organization(org_id, uow))

    @api.get(
        "/organizations/import/template",
        response_class=Response,
        responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    )
    async def import_template() -> Response:
        """A CSV file to fill in: every column the import reads, and one example row."""
        return Response(
            template_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="organizations.csv"'},
        )

    @api.post(
        "/organizations/import",
        dependencies=[Depends(kit.editor)],
        openapi_extra={
            "requestBody": {
                "content": {kind: {"schema": {"type": "string"}} for kind in CSV_MEDIA_TYPES}
            }
        },
        response_model=ImportResult,
        responses={
            202: {"description": "accepted; follow the import at the Location given"},
            **problem_responses(413, 415, 503),
        },
    )
    async def import_organizations(
        request: Request, prefer: Annotated[str | None, Header()] = None
    ) -> Response:
        """CSV import: good rows land, each bad row is reported with its field and reason.

        Columns and list separators: ``GET /api/membership/organizations/import/template``
        and the README. The import runs in chunks, so other writes go on meanwhile. By
        default the answer waits for the end and carries the per-row report; with
        ``Prefer: respond-async`` it is ``202 Accepted`` at once, and
        ``GET /api/membership/imports/{job}`` tells how many rows are done, and the
        report once finished.
        """
        _check_csv_type(request.headers.get("content-type"))
        # Parsing 10,000 rows takes most of a second: in a worker thread, the event loop
        # (and every other request) goes on meanwhile.
        plan = await asyncio.to_thread(usable_plan, await request.body())
        job = import_job(kit, plan)
        where = {"Location": f"{api.prefix}/imports/{job.id}"}
        if prefer and "respond-async" in prefer.lower():
            return JSONResponse(job.view(), status_code=202, headers=where)
        await job.finished.wait()
        if job.status is not JobStatus.DONE and storage_full(job.error or ""):
            raise Unavailable(STORAGE_FULL_MESSAGE, "file")
        if job.status is not JobStatus.DONE:
            raise DomainError(f"the import stopped: {job.error}", "file")
        return JSONResponse(job.result, headers={"Content-Location": where["Location"]})

    @api.get(
        "/imports/{job_id}", dependencies=[Depends(kit.editor)], responses=problem_responses(404)
    )
    async def import_progress(job_id: str) -> dict[str, Any]:
        """How far an import got (rows done of total), and its report once done."""
        job = kit.jobs.get(job_id)
        if job is None or job.kind != "organization-import":
            raise handlers.not_found("import", job_id)
        return job.view()

    # -- clusters ---------------------------------------------------------------------
    @api.post(
        "/clusters", status_code=201, dependencies=[Depends(kit.editor)], responses={201: NOTICES}
    )
    async def create_cluster(draft: ClusterDraft, response: Response) -> Cluster:
        noted(response, draft.notices)
        return await kit.transaction(lambda uow: handlers.register_cluster(draft, uow, identity))

    @api.get("/clusters")
    async def list_clusters(
        role: Caller,
        after: str | None = Query(None, max_length=80),
        limit: int = Query(50, ge=1, le=500),
    ) -> Page:
        query: dict[str, Any] = {"deleted": False}
        if (shown := readable_visibilities(role)) is not None:
            query["visibility"] = {"$in": shown}
        found, following = await kit.reads().clusters.page(query, after, limit)
        return Page(items=[visible(cluster, role) for cluster in found], next=following)

    @api.get("/clusters/{cluster_id}", responses=problem_responses(404))
    async def get_cluster(cluster_id: str, role: Caller) -> dict[str, Any]:
        return visible(await handlers.existing_cluster(cluster_id, kit.reads()), role)

    @api.put(
        "/clusters/{cluster_id}",
        dependencies=[Depends(kit.editor)],
        responses={200: NOTICES, **problem_responses(404, 410)},
    )
    async def put_cluster(cluster_id: str, draft: ClusterDraft, response: Response) -> Cluster:
        noted(response, draft.notices)
        return await kit.transaction(lambda uow: handlers.revise_cluster(cluster_id, draft, uow))

    @api.delete(
        "/clusters/{cluster_id}",
        dependencies=[Depends(kit.editor)],
        responses=problem_responses(404, 410),
    )
    async def delete_cluster(cluster_id: str) -> Cluster:
        return await kit.transaction(lambda uow: handlers.delete_cluster(cluster_id, uow))

    # -- cross-membership -------------------------------------------------------------
    @api.get("/cross-membership")
    async def cross_membership(
        role: Caller,
        org: str = Query(
            ...,
            min_length=2,
            max_length=200,
            description="organisation name, VAT number or website",
        ),
    ) -> CrossMembership:
        """Is this organisation a member of any alliance network this node knows?"""
        found = await handlers.cross_membership(
            org, kit.reads(), identity, include_node_only=role is not None
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
        return await kit.reads().replicas.organization_counts()

    return api


def import_job(kit: Kit, plan: CsvImportPlan) -> Job:
    """Start importing a parsed file in chunks, as a job people can follow."""
    refused = len({error.row for error in plan.errors})

    async def run(job: Job) -> dict[str, Any]:
        created: list[tuple[int, str]] = []
        errors = list(plan.errors)
        for start in range(0, len(plan.rows), IMPORT_CHUNK_ROWS):
            chunk = plan.rows[start : start + IMPORT_CHUNK_ROWS]
            report = await kit.transaction(
                lambda uow, chunk=chunk: handlers.import_organizations(chunk, uow, kit.identity)  # type: ignore[misc]
            )
            created += report.created
            errors += report.errors
            job.progress(refused + start + len(chunk))
        errors.sort(key=lambda error: error.row)
        landed = {row for row, _ in created}
        return ImportResult(
            created=[{"row": row, "id": org_id} for row, org_id in created],
            errors=[ImportRowError(row=e.row, field=e.field, reason=e.reason) for e in errors],
            notices=[
                ImportRowError(row=n.row, field=n.field, reason=n.reason)
                for n in plan.notices
                if n.row in landed
            ],
        ).model_dump(mode="json")

    # the rows refused on reading are done from the start
    return kit.jobs.start("organization-import", refused + len(plan.rows), run, refused)


class UnsupportedMediaType(DomainError):
    status = 415


def _check_csv_type(content_type: str | None) -> None:
    """A CSV file in UTF-8, by what the request says it sends (415 naming what is taken)."""
    header = Message()
    header["content-type"] = content_type or ""
    kind, charset = header.get_content_type(), str(header.get_param("charset", "utf-8"))
    if not content_type or kind not in CSV_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"the import takes a CSV file, sent as Content-Type {', '.join(CSV_MEDIA_TYPES)} "
            f"(got {shorten(content_type or 'none', 80)})",
            "content-type",
        )
    if charset.lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(
            f"the import reads UTF-8 only (got charset={shorten(charset, 40)}); "
            "save the file as UTF-8",
            "content-type",
        )


def usable_plan(body: bytes) -> CsvImportPlan:
    """The parsed file, or a 422 naming why the file itself cannot be imported.

    Its size was checked before it was read (``shared.http.RequestLimits``: 413).
    """
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
    return plan
