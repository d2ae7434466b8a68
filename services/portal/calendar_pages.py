"""HTML in: the alliance calendar on the hub (``/calendar``) and its feed (``/alliance.ics``).

Upcoming public events of every network, from the portal's replicas, each linked to its
page and its ``.ics`` on the owner's public site (the registry's ``site_url``): the hub
shows the calendar, the owner node registers people. Times are shown as the owner wrote
them, in the event's zone, formatted in the visitor's language.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Query, Request, Response

from services.portal.calendar import CalendarQuery, instant
from services.portal.pages import country_options
from services.portal.store import PortalUnitOfWork
from shared.calendar import FeedItem, feed, original_text
from shared.contracts.events import EventState
from shared.errors import DomainError
from shared.service import ServiceKit
from shared.web.forms import domain_errors
from shared.web.i18n import N_
from shared.web.layer import WebLayer

Kit = ServiceKit[PortalUnitOfWork]
PAGE_SIZE = 25
KIND_LABELS = {
    "conference": N_("Conference"),
    "brokerage": N_("Brokerage event"),
    "training": N_("Training"),
    "trade_mission": N_("Trade mission"),
    "webinar": N_("Webinar"),
    "other": N_("Other"),
}
STATUS_LABELS = {"postponed": N_("Postponed"), "cancelled": N_("Cancelled")}
ALLIANCE_CALENDAR = "European Clusters Alliance"
HUB_PRODUCT = "-//European Clusters Alliance//Alliance hub//EN"
FILTERS = ("kind", "country", "network", "from", "to", "topic", "language")


def calendar_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/calendar (the alliance's upcoming public events) and /alliance.ics."""
    pages = APIRouter(include_in_schema=False)

    @pages.get("/calendar")
    async def alliance_calendar(
        request: Request,
        kind: str = Query("", max_length=20),
        country: str = Query("", max_length=2),
        network: str = Query("", max_length=40),
        start: str = Query("", alias="from", max_length=10),
        end: str = Query("", alias="to", max_length=10),
        topic: str = Query("", max_length=80),
        language: str = Query("", max_length=2),
        after: str = Query("", max_length=200),
    ) -> Response:
        """The calendar, filtered; a mistyped filter is named beside its field (422)."""
        typed = (kind, country, network, start, end, topic, language)
        values = dict(zip(FILTERS, typed, strict=True))
        reads = kit.reads().portal
        errors: dict[str, str] = {}
        found: list[dict[str, Any]] = []
        following = None
        try:
            found, following = await reads.calendar(query_of(values), after or None, PAGE_SIZE)
        except DomainError as exc:
            errors = domain_errors(exc)
        networks = {n["node"]: n for n in await reads.networks()}
        gettext = web.language(request).gettext
        return web.render(
            request,
            "portal/calendar.html",
            {
                "events": [calendar_entry(doc, networks) for doc in found],
                "next": following,
                "first_page": not after,
                "filters": values,
                "errors": errors,
                "labels": {k: gettext(v) for k, v in {**KIND_LABELS, **STATUS_LABELS}.items()},
                "kind_options": [(k, gettext(label)) for k, label in KIND_LABELS.items()],
                "network_options": [(node, n["name"]) for node, n in networks.items()],
                "country_options": country_options(web, request),
            },
            status=422 if errors else 200,
        )

    @pages.get("/alliance.ics")
    async def alliance_feed() -> Response:
        """Every public event of the alliance, for calendars to subscribe to."""
        reads = kit.reads().portal
        sites = {n["node"]: n.get("site_url") for n in await reads.networks()}
        items = [
            FeedItem(doc["origin"], state, event_url(sites.get(doc["origin"]), doc))
            for doc in await reads.public_events()
            for state in [EventState.model_validate(doc["data"])]
        ]
        return Response(
            feed(ALLIANCE_CALENDAR, items, datetime.now(UTC), HUB_PRODUCT),
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'inline; filename="alliance.ics"'},
        )

    return pages


def query_of(values: dict[str, str]) -> CalendarQuery:
    """The store query of the page's filters, upcoming events only (bad dates named)."""
    return CalendarQuery(
        after=instant(datetime.now(UTC)),
        kind=values["kind"] or None,
        country=values["country"] or None,
        network=values["network"] or None,
        start=_day(values["from"], "from"),
        end=_day(values["to"], "to"),
        topic=values["topic"] or None,
        language=values["language"] or None,
    )


def event_url(site_url: str | None, doc: dict[str, Any]) -> str | None:
    """The event's page on its owner's public site (None: the owner has no site known)."""
    if not site_url:
        return None
    return f"{site_url.rstrip('/')}/events/{doc['origin']}/{doc['aggregateid']}"


def calendar_entry(doc: dict[str, Any], networks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One line of the calendar: the state, its network, its links on the owner's site."""
    data, origin = doc["data"], doc["origin"]
    network = networks.get(origin, {})
    url = event_url(network.get("site_url"), doc)
    return {
        **data,
        "origin": origin,
        "network": network.get("name", origin),
        "shown_title": original_text(data["title"], data["language"]),
        "url": url,
        "ics_url": f"{url}.ics" if url else None,
    }


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("give a date as YYYY-MM-DD", field) from None
