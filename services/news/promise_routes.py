"""HTTP in for the twice-a-year promise on a node: its own row, in the staff's console.

For every partner network (the alliance's admitted nodes): how many of its items, or
items about it, this network communicated in the last 365 days (by kind: translations,
digests, items about it), how many of this network's the partner did, and the partners
not featured lately (nothing in about six months). Counted by ``shared/promise.py`` from
what the node holds (``services/news/digest_store.py: mentions``), as the hub counts the
whole matrix (``/promise`` there).

Who may see it: this node's staff (``/console/news/promise`` with a console session,
``GET /api/news/promise`` with an editor or admin token). Nobody changes it: it follows
from the items and digests.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from services.news import digest_store
from services.news.digest_routes import network_names
from services.news.store import NewsUnitOfWork
from shared.contracts.registry import HUB_ORIGIN
from shared.promise import MINIMUM, WINDOW, RowEntry, count, row
from shared.service import ServiceKit
from shared.web.layer import WebLayer
from shared.web.session import Session

Kit = ServiceKit[NewsUnitOfWork]


async def own_row(kit: Kit, now: datetime) -> list[RowEntry]:
    """Every partner of this node, least featured first."""
    node = kit.identity.node
    partners = [o for o in kit.context.keyring.origins() if o not in (node, HUB_ORIGIN)]
    counts = count(await digest_store.mentions(kit.reads(), now), now)
    return row(node, sorted(partners), counts)


def entry_json(entry: RowEntry, now: datetime) -> dict[str, Any]:
    return {
        "partner": entry.partner,
        "featured": entry.featured.summary(),
        "featured_by": entry.featured_by.summary(),
        "lately": entry.lately(now),
        "kept": entry.kept,
    }


def promise_api(kit: Kit) -> APIRouter:
    api = APIRouter(prefix="/api/news", tags=["news"])

    @api.get("/promise", dependencies=[Depends(kit.editor)])
    async def own_promise() -> dict[str, Any]:
        """This network's row of the twice-a-year promise: each partner, both ways."""
        now = datetime.now(UTC)
        entries = await own_row(kit, now)
        return {
            "network": kit.identity.node,
            "partners": [entry_json(e, now) for e in entries],
            "minimum": MINIMUM,
            "window_days": WINDOW.days,
        }

    return api


def promise_pages(kit: Kit, web: WebLayer) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    Staff = Annotated[Session, Depends(web.staff())]

    @pages.get("/console/news/promise")
    async def console(request: Request, session: Staff) -> Response:
        """The partners this network featured, how often, and those not lately."""
        now = datetime.now(UTC)
        entries = await own_row(kit, now)
        names = await network_names(kit, str(request.base_url))
        context = {
            "entries": entries,
            "not_lately": [e for e in entries if not e.lately(now)],
            "names": names,
            "now": now,
            "minimum": MINIMUM,
            "window_days": WINDOW.days,
        }
        return web.render(request, "news/promise_console.html", context)

    return pages
