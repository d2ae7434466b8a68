"""HTML in: the network's public site and the membership part of its staff console.

Public pages show ``public`` records only, exactly as the API shows them to an anonymous
reader (``api.visible``); console pages need a signed-in editor (the profile: an admin)
and validate forms with the models the API uses, showing each reason beside its field.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
import asyncio
from typing import Annotated, Any

import iso3166
from babel import Locale
from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.datastructures import FormData, UploadFile

from services.membership import handlers
from services.membership.api import IMPORT_CHUNK_ROWS, import_job, usable_plan
from services.membership.domain import (
    ClusterDraft,
    CooperationType,
    NetworkProfileDraft,
    OrganizationDraft,
    SizeClass,
)
from services.membership.store import MembershipUnitOfWork, OrganizationFilter
from shared.auth import Role
from shared.contracts.base import Visibility
from shared.errors import DomainError, NotFound
from shared.http import MAX_CSV_BYTES
from shared.nace import nace_divisions, nace_title
from shared.service import ServiceKit
from shared.text import search_words
from shared.web.forms import (
    checked,
    chosen,
    domain_errors,
    optional,
    split_list,
    submit,
    text,
)
from shared.web.i18n import N_
from shared.web.labels import COOPERATION_LABELS, labelled, labelled_map
from shared.web.layer import WebLayer
from shared.web.session import Session

Kit = ServiceKit[MembershipUnitOfWork]
PAGE_SIZE = 25
CONTACT_ROWS = 3

# English labels (message ids, translated per request) of the stored values
SIZE_LABELS = {
    SizeClass.MICRO: N_("Micro enterprise (under 10 people)"),
    SizeClass.SMALL: N_("Small enterprise (10 to 49 people)"),
    SizeClass.MEDIUM: N_("Medium-sized enterprise (50 to 249 people)"),
    SizeClass.LARGE: N_("Large enterprise (250 people or more)"),
}
VISIBILITY_LABELS = {
    Visibility.PUBLIC: N_("Public"),
    Visibility.ALLIANCE: N_("Alliance"),
    Visibility.NODE: N_("This network only"),
}


def membership_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """The public site (/, /organizations, /clusters) and /console/organizations…"""
    pages = APIRouter(include_in_schema=False)
    identity = kit.identity
    Staff = Annotated[Session, Depends(web.staff())]
    Admin = Annotated[Session, Depends(web.staff(Role.ADMIN))]

    def choices(request: Request) -> dict[str, Any]:
        """The options of the filters and forms, labelled in the request's language."""
        language = web.language(request)
        return {
            "countries": country_options(language.locale),
            "divisions": [(code, f"{code} · {title}") for code, title in nace_divisions()],
            "cooperation_options": labelled(COOPERATION_LABELS, language.gettext),
            "size_class_options": labelled(SIZE_LABELS, language.gettext),
            "visibility_options": labelled(VISIBILITY_LABELS, language.gettext),
            "labels": {
                **labelled_map(COOPERATION_LABELS, language.gettext),
                **labelled_map(SIZE_LABELS, language.gettext),
                **labelled_map(VISIBILITY_LABELS, language.gettext),
            },
            "nace_title": nace_title,
            "contact_rows": CONTACT_ROWS,
        }

    async def clusters(public_only: bool) -> list[Any]:
        query: dict[str, Any] = {"deleted": False}
        if public_only:
            query["visibility"] = Visibility.PUBLIC.value
        return await kit.reads().clusters.find(query, sort=[("name", 1)], limit=500)

    # -- public site --------------------------------------------------------------------
    @pages.get("/")
    async def home(request: Request) -> Response:
        reads = kit.reads()
        profile = await handlers.current_profile(reads, identity)
        return web.render(
            request,
            "membership/home.html",
            {"profile": profile, "clusters": await clusters(public_only=True)},
        )

    @pages.get("/organizations")
    async def directory(
        request: Request,
        q: str = Query("", max_length=200),
        sector: str = Query("", max_length=8),
        country: str = Query("", max_length=2),
        cluster: str = Query("", max_length=200),
        network: str = Query("", pattern="^(|alliance)$"),
        after: str = Query("", max_length=80),
        page: int = Query(1, ge=1, le=10_000),
    ) -> Response:
        """This network's public members, or (``network=alliance``) partner networks'."""
        partners: list[dict[str, Any]] = []
        found: list[Any] = []
        following: str | None = None
        if network == "alliance":
            reads = kit.reads()
            docs = await reads.replicas.public_organizations(
                search_words(q),
                sector or None,
                country or None,
                (page - 1) * PAGE_SIZE,
                PAGE_SIZE + 1,
            )
            names = await reads.replicas.network_names()
            partners = [
                {
                    **doc["data"],
                    "origin": doc["origin"],
                    "network": names.get(doc["origin"], doc["origin"]),
                }
                for doc in docs[:PAGE_SIZE]
            ]
            following = str(page + 1) if len(docs) > PAGE_SIZE else None
        else:
            filters = OrganizationFilter(
                sector=sector or None,
                country=country or None,
                cluster=cluster or None,
                text=q or None,
                visibility=[Visibility.PUBLIC.value],
            )
            found, following = await kit.reads().organizations.page(
                filters.query(), after or None, PAGE_SIZE
            )
        return web.render(
            request,
            "membership/directory.html",
            {
                **choices(request),
                "organizations": found,
                "partners": partners,
                "next": following,
                "filters": {
                    "q": q,
                    "sector": sector,
                    "country": country,
                    "cluster": cluster,
                    "network": network,
                },
                "cluster_options": [(c.name, c.name) for c in await clusters(public_only=True)],
                "first_page": not after and page == 1,
            },
        )

    @pages.get("/alliance/organizations/{origin}/{org_id}")
    async def partner_organization(request: Request, origin: str, org_id: str) -> Response:
        """A partner network's public organisation, from this node's replica of it."""
        reads = kit.reads()
        doc = await reads.replicas.public_organization(origin, org_id)
        if doc is None:
            raise handlers.not_found("organisation", f"{origin}/{org_id}")
        names = await reads.replicas.network_names()
        org = doc["data"]
        return web.render(
            request,
            "membership/organization.html",
            {
                **choices(request),
                "org": org,
                "contacts": [c for c in org.get("contacts", []) if c.get("consent")],
                "network": names.get(origin, origin),
            },
        )

    @pages.get("/organizations/{org_id}")
    async def organization(request: Request, org_id: str) -> Response:
        org = await kit.reads().organizations.get(org_id)
        if org is None or org.deleted or org.visibility is not Visibility.PUBLIC:
            raise handlers.not_found("organisation", org_id)
        contacts = [c for c in org.contacts if c.consent]
        return web.render(
            request,
            "membership/organization.html",
            {**choices(request), "org": org, "contacts": contacts},
        )

    @pages.get("/clusters/{cluster_id}")
    async def cluster_page(request: Request, cluster_id: str) -> Response:
        found = await kit.reads().clusters.get(cluster_id)
        if found is None or found.deleted or found.visibility is not Visibility.PUBLIC:
            raise handlers.not_found("cluster", cluster_id)
        members = await kit.reads().organizations.find(
            OrganizationFilter(cluster=found.name, visibility=[Visibility.PUBLIC.value]).query(),
            sort=[("legal_name", 1)],
            limit=200,
        )
        return web.render(
            request,
            "membership/cluster.html",
            {**choices(request), "cluster": found, "members": members},
        )

    # -- console: organisations -----------------------------------------------------------
    @pages.get("/console/organizations")
    async def console_organizations(
        request: Request,
        session: Staff,
        q: str = Query("", max_length=200),
        after: str = Query("", max_length=80),
        notice: str = Query("", max_length=200),
    ) -> Response:
        query = OrganizationFilter(text=q or None).query()
        found, following = await kit.reads().organizations.page(query, after or None, PAGE_SIZE)
        return web.render(
            request,
            "membership/console_organizations.html",
            {
                **choices(request),
                "organizations": found,
                "next": following,
                "q": q,
                "notice": notice,
            },
        )

    @pages.get("/console/organizations/new")
    async def new_organization(request: Request, session: Staff) -> Response:
        return web.render(
            request,
            "membership/organization_form.html",
            {**choices(request), "values": {"visibility": "alliance"}, "errors": {}, "org": None},
        )

    @pages.post("/console/organizations/new")
    async def create_organization(request: Request, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, _str(form.get("csrf")))
        values = organization_values(form)
        draft, errors = await submit(
            OrganizationDraft,
            values,
            lambda draft: kit.transaction(
                lambda uow: handlers.register_organization(draft, uow, identity)
            ),
        )
        if draft is not None:
            return web.redirect(
                "/console/organizations",
                notice=_said(web, request, N_("Saved: %s"), draft.legal_name),
            )
        return web.render(
            request,
            "membership/organization_form.html",
            {**choices(request), "values": values, "errors": errors, "org": None},
            status=422,
        )

    @pages.get("/console/organizations/{org_id}")
    async def edit_organization(request: Request, org_id: str, session: Staff) -> Response:
        org = await handlers.existing_organization(org_id, kit.reads())
        values = org.model_dump(mode="json")
        return web.render(
            request,
            "membership/organization_form.html",
            {**choices(request), "values": values, "errors": {}, "org": org},
        )

    @pages.post("/console/organizations/{org_id}")
    async def save_organization(request: Request, org_id: str, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, _str(form.get("csrf")))
        org = await handlers.existing_organization(org_id, kit.reads())
        values = organization_values(form)
        draft, errors = await submit(
            OrganizationDraft,
            values,
            lambda draft: kit.transaction(
                lambda uow: handlers.revise_organization(org_id, draft, uow)
            ),
        )
        if draft is not None:
            return web.redirect(
                "/console/organizations",
                notice=_said(web, request, N_("Saved: %s"), draft.legal_name),
            )
        return web.render(
            request,
            "membership/organization_form.html",
            {**choices(request), "values": values, "errors": errors, "org": org},
            status=422,
        )

    @pages.post("/console/organizations/{org_id}/withdraw")
    async def withdraw_organization(request: Request, org_id: str, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, _str(form.get("csrf")))
        org = await kit.transaction(lambda uow: handlers.delete_organization(org_id, uow))
        return web.redirect(
            "/console/organizations",
            notice=_said(web, request, N_("Withdrawn: %s"), org.legal_name),
        )

    # -- console: clusters -------------------------------------------------------------
    @pages.get("/console/clusters")
    async def console_clusters(
        request: Request, session: Staff, notice: str = Query("", max_length=200)
    ) -> Response:
        return web.render(
            request,
            "membership/console_clusters.html",
            {**choices(request), "clusters": await clusters(public_only=False), "notice": notice},
        )

    @pages.get("/console/clusters/new")
    async def new_cluster(request: Request, session: Staff) -> Response:
        return web.render(
            request,
            "membership/cluster_form.html",
            {
                **choices(request),
                "values": {"visibility": "alliance"},
                "errors": {},
                "cluster": None,
            },
        )

    @pages.post("/console/clusters/new")
    async def create_cluster(request: Request, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, _str(form.get("csrf")))
        values = cluster_values(form)
        draft, errors = await submit(
            ClusterDraft,
            values,
            lambda draft: kit.transaction(
                lambda uow: handlers.register_cluster(draft, uow, identity)
            ),
        )
        if draft is not None:
            return web.redirect(
                "/console/clusters", notice=_said(web, request, N_("Saved: %s"), draft.name)
            )
        return web.render(
            request,
            "membership/cluster_form.html",
            {**choices(request), "values": values, "errors": errors, "cluster": None},
            status=422,
        )

    @pages.get("/console/clusters/{cluster_id}")
    async def edit_cluster(request: Request, cluster_id: str, session: Staff) -> Response:
        found = await handlers.existing_cluster(cluster_id, kit.reads())
        return web.render(
            request,
            "membership/cluster_form.html",
            {
                **choices(request),
                "values": found.model_dump(mode="json"),
                "errors": {},
                "cluster": found,
            },
        )

    @pages.post("/console/clusters/{cluster_id}")
    async def save_cluster(request: Request, cluster_id: str, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, _str(form.get("csrf")))
        found = await handlers.existing_cluster(cluster_id, kit.reads())
        values = cluster_values(form)
        draft, errors = await submit(
            ClusterDraft,
            values,
            lambda draft: kit.transaction(
                lambda uow: handlers.revise_cluster(cluster_id, draft, uow)
            ),
        )
        if draft is not None:
            return web.redirect(
                "/console/clusters", notice=_said(web, request, N_("Saved: %s"), draft.name)
            )
        return web.render(
            request,
            "membership/cluster_form.html",
            {**choices(request), "values": values, "errors": errors, "cluster": found},
            status=422,
        )

    @pages.post("/console/clusters/{cluster_id}/withdraw")
    async def withdraw_cluster(request: Request, cluster_id: str, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, _str(form.get("csrf")))
        found = await kit.transaction(lambda uow: handlers.delete_cluster(cluster_id, uow))
        return web.redirect(
            "/console/clusters", notice=_said(web, request, N_("Withdrawn: %s"), found.name)
        )

    # -- console: CSV import -------------------------------------------------------------
    @pages.get("/console/import")
    async def import_page(request: Request, session: Staff) -> Response:
        return web.render(
            request, "membership/import.html", {"errors": {}, "max_mb": MAX_CSV_BYTES // 2**20}
        )

    @pages.post("/console/import")
    async def start_import(request: Request, session: Staff) -> Response:
        form = await request.form(max_part_size=MAX_CSV_BYTES + 1)
        web.check_form(request, _str(form.get("csrf")))
        upload = form.get("file")
        body = await upload.read(MAX_CSV_BYTES + 1) if isinstance(upload, UploadFile) else b""
        try:
            if not body:
                raise DomainError(web.language(request).gettext("Choose a CSV file."), "file")
            plan = await asyncio.to_thread(usable_plan, body)
        except DomainError as exc:
            return web.render(
                request,
                "membership/import.html",
                {"errors": domain_errors(exc), "max_mb": MAX_CSV_BYTES // 2**20},
                status=422,
            )
        job = import_job(kit, plan)
        return web.redirect(f"/console/import/{job.id}")

    @pages.get("/console/import/{job_id}")
    async def import_progress(
        request: Request, job_id: str, session: Staff, fragment: str = ""
    ) -> Response:
        job = kit.jobs.get(job_id)
        if job is None or job.kind != "organization-import":
            raise NotFound(f"no import {job_id!r} on this node", "id")
        template = "membership/import_progress.html"
        return web.render(
            request,
            template,
            {"job": job.view(), "fragment": bool(fragment), "chunk": IMPORT_CHUNK_ROWS},
        )

    # -- console: network profile (admin) -------------------------------------------------
    @pages.get("/console/profile")
    async def profile_page(
        request: Request, session: Admin, notice: str = Query("", max_length=200)
    ) -> Response:
        profile = await handlers.current_profile(kit.reads(), identity)
        return web.render(
            request,
            "membership/profile_form.html",
            {
                **choices(request),
                "values": profile.model_dump(mode="json"),
                "errors": {},
                "notice": notice,
            },
        )

    @pages.post("/console/profile")
    async def save_profile(request: Request, session: Admin) -> Response:
        form = await request.form()
        web.check_form(request, _str(form.get("csrf")))
        values = profile_values(form)
        draft, errors = await submit(
            NetworkProfileDraft,
            values,
            lambda draft: kit.transaction(
                lambda uow: handlers.revise_network_profile(draft, uow, identity)
            ),
        )
        if draft is not None:
            return web.redirect(
                "/console/profile", notice=_said(web, request, N_("Saved: %s"), draft.name)
            )
        return web.render(
            request,
            "membership/profile_form.html",
            {
                **choices(request),
                "values": values,
                "link_lines": _str(form.get("partner_links")),
                "errors": errors,
                "notice": "",
            },
            status=422,
        )

    return pages


# -- forms → the API's models -------------------------------------------------------------


def organization_values(form: FormData) -> dict[str, Any]:
    """The organisation form as the API's JSON body (lists split, empty fields left out)."""
    values: dict[str, Any] = {
        "legal_name": text(form, "legal_name"),
        "vat": optional(form, "vat"),
        "country": text(form, "country"),
        "city": optional(form, "city"),
        "website": optional(form, "website"),
        "nace_codes": split_list(_str(form.get("nace_codes"))),
        "technologies": split_list(_str(form.get("technologies"))),
        "offers": text(form, "offers"),
        "needs": text(form, "needs"),
        "cooperation_types": chosen(form, "cooperation_types", [c.value for c in CooperationType]),
        "countries_of_interest": split_list(_str(form.get("countries_of_interest"))),
        "languages": split_list(_str(form.get("languages"))),
        "size_class": optional(form, "size_class"),
        "clusters": split_list(_str(form.get("clusters"))),
        "visibility": text(form, "visibility") or Visibility.ALLIANCE.value,
        "contacts": [
            {
                "name": text(form, f"contacts.{row}.name"),
                "email": text(form, f"contacts.{row}.email"),
                "role": optional(form, f"contacts.{row}.role"),
                "consent": checked(form, f"contacts.{row}.consent"),
            }
            for row in range(CONTACT_ROWS)
            if text(form, f"contacts.{row}.name") or text(form, f"contacts.{row}.email")
        ],
    }
    return {key: value for key, value in values.items() if value is not None}


def cluster_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": text(form, "name"),
        "region": optional(form, "region"),
        "website": optional(form, "website"),
        "sectors": split_list(_str(form.get("sectors"))),
        "members": {
            kind: _count(text(form, f"members.{kind}"))
            for kind in ("smes", "large_companies", "research_academia", "public_bodies")
        },
        "visibility": text(form, "visibility") or Visibility.ALLIANCE.value,
    }
    return {key: value for key, value in values.items() if value is not None}


def profile_values(form: FormData) -> dict[str, Any]:
    links = []
    for line in _str(form.get("partner_links")).splitlines():
        name, _, url = line.partition("|")
        if name.strip() or url.strip():
            links.append({"name": name.strip(), "url": url.strip()})
    values: dict[str, Any] = {
        "name": text(form, "name"),
        "country": text(form, "country"),
        "website": optional(form, "website"),
        "logo_url": optional(form, "logo_url"),
        "description": text(form, "description"),
        "services_offered": split_list(_str(form.get("services_offered"))),
        "partner_links": links,
    }
    return {key: value for key, value in values.items() if value is not None}


def country_options(locale: Locale) -> list[tuple[str, str]]:
    """Every ISO 3166 country, named and sorted in the reader's language."""
    named = [
        (c.alpha2, locale.territories.get(c.alpha2, c.apolitical_name)) for c in iso3166.countries
    ]
    return sorted(named, key=lambda option: option[1].casefold())


def _count(value: str) -> int | str:
    """A count as typed: a number if it is one, else the text (so the model names it)."""
    return int(value) if value.isdigit() else (value or 0)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _said(web: WebLayer, request: Request, message: str, subject: str) -> str:
    return web.language(request).gettext(message) % subject
