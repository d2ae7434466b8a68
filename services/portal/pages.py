"""HTML in: the alliance's public portal on the hub.

The member networks (from the registry, with a link to each network's own site and when
the hub last heard from it), and the alliance-wide directory of public organisations and
clusters, searchable like a node's own.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
import iso3166
from fastapi import APIRouter, Query, Request, Response

from services.portal.store import PortalUnitOfWork
from shared.errors import NotFound
from shared.nace import nace_divisions
from shared.service import ServiceKit
from shared.text import search_words
from shared.web.layer import WebLayer

Kit = ServiceKit[PortalUnitOfWork]
PAGE_SIZE = 25


def portal_pages(kit: Kit, web: WebLayer) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def country_name(request: Request, code: str) -> str:
        locale = web.language(request).locale
        country = iso3166.countries_by_alpha2.get(code)
        return str(locale.territories.get(code, country.apolitical_name if country else code))

    @pages.get("/")
    async def home(request: Request) -> Response:
        networks = await kit.reads().portal.networks()
        return web.render(
            request,
            "portal/home.html",
            {"networks": networks, "country_name": lambda code: country_name(request, code)},
        )

    @pages.get("/organizations")
    async def directory(
        request: Request,
        q: str = Query("", max_length=200),
        sector: str = Query("", max_length=8),
        country: str = Query("", max_length=2),
        network: str = Query("", max_length=40),
        page: int = Query(1, ge=1, le=10_000),
    ) -> Response:
        reads = kit.reads().portal
        docs = await reads.organizations(
            search_words(q),
            sector or None,
            country or None,
            network or None,
            (page - 1) * PAGE_SIZE,
            PAGE_SIZE + 1,
        )
        networks = await reads.networks()
        names = {n["node"]: n["name"] for n in networks}
        organizations = [
            {
                **doc["data"],
                "origin": doc["origin"],
                "network": names.get(doc["origin"], doc["origin"]),
            }
            for doc in docs[:PAGE_SIZE]
        ]
        return web.render(
            request,
            "portal/directory.html",
            {
                "organizations": organizations,
                "next": page + 1 if len(docs) > PAGE_SIZE else None,
                "first_page": page == 1,
                "filters": {"q": q, "sector": sector, "country": country, "network": network},
                "network_options": [(n["node"], n["name"]) for n in networks],
                "country_options": country_options(web, request),
                "sector_options": _sectors(),
            },
        )

    @pages.get("/organizations/{origin}/{org_id}")
    async def organization(request: Request, origin: str, org_id: str) -> Response:
        reads = kit.reads().portal
        doc = await reads.organization(origin, org_id)
        if doc is None:
            raise NotFound(f"no public organisation {origin}/{org_id} in the alliance", "id")
        networks = {n["node"]: n for n in await reads.networks()}
        org = doc["data"]
        return web.render(
            request,
            "portal/organization.html",
            {
                "org": org,
                "network": networks.get(origin),
                "contacts": [c for c in org.get("contacts", []) if c.get("consent")],
            },
        )

    @pages.get("/clusters")
    async def clusters(request: Request) -> Response:
        reads = kit.reads().portal
        names = {n["node"]: n["name"] for n in await reads.networks()}
        found = [
            {
                **doc["data"],
                "origin": doc["origin"],
                "network": names.get(doc["origin"], doc["origin"]),
            }
            for doc in await reads.clusters()
        ]
        return web.render(request, "portal/clusters.html", {"clusters": found})

    return pages


def country_options(web: WebLayer, request: Request) -> list[tuple[str, str]]:
    """Every country by its name in the visitor's language (CLDR), for a filter."""
    territories = web.language(request).locale.territories
    return sorted(
        ((c.alpha2, str(territories.get(c.alpha2, c.apolitical_name))) for c in iso3166.countries),
        key=lambda option: option[1].casefold(),
    )


def _sectors() -> list[tuple[str, str]]:
    """NACE divisions by title; the portal filters by the same codes nodes store."""
    return [(code, f"{code} · {title}") for code, title in nace_divisions()]
