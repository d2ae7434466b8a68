"""HTTP out: a node's news feeds, in Atom (RFC 4287) and JSON Feed 1.1.

- ``/news/feed.atom``, ``/news/feed.json``: this node's own public items, newest first;
- ``/news/alliance.atom``, ``/news/alliance.json``: every public item this node holds,
  its own and the partner networks', newest first;
- ``/news/funding.atom``, ``/news/funding.json``: every public funding call it holds
  whose deadline has not passed, the nearest deadline first (at most ``limit``, no
  further pages).

Each takes ``?category=`` (a news category) and ``?language=`` (a BCP 47 tag: the items
readable in that language, given in it, translations marked as such); an unknown one is
a 422 naming the field. The newest-first feeds are paged (``?after=``: Atom's RFC 5005
``next`` link, JSON Feed's ``next_url``). What an entry holds is written in
``shared/feeds.py``; the authors are the networks, with their site when the node knows
it (``NETWORKS``: the networks' profiles, kept from the bus).

Who may see what: anyone, without a token: published ``public`` items only, exactly
what an anonymous reader of ``/api/news/items`` sees (a token changes nothing: a feed is
a public document, cached and passed on by readers). Nothing is changed here. Requests
are counted in ``alliance_news_feed_requests_total{format, scope}``.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the route annotations.
from datetime import date

from fastapi import APIRouter

from services.news.store import NewsUnitOfWork
from shared.contracts import membership
from shared.feeds import Network
from shared.news_feeds import ALLIANCE, FeedQuery, FeedSource, Found, feed_routes
from shared.replicas import Replicas
from shared.service import ServiceKit

Kit = ServiceKit[NewsUnitOfWork]
NETWORKS = "networks"
NETWORKS_REPLICA = Replicas(NETWORKS, membership.CATALOGUE, "network", own=True)
"""The networks' public profiles (this node's too): a feed's authors, with their site."""


def news_feeds(kit: Kit) -> APIRouter:
    """The node's three feeds, each in Atom and JSON Feed."""
    node = kit.identity.node

    async def own_items(query: FeedQuery) -> Found:
        return await kit.reads().news.page(query.filters(node), query.after, query.limit)

    async def every_item(query: FeedQuery) -> Found:
        return await kit.reads().news.page(query.filters(), query.after, query.limit)

    async def open_calls(query: FeedQuery) -> Found:
        today = date.today().strftime("%Y%m%d")
        return await kit.reads().news.by_deadline(query.filters(), query.limit, today), None

    async def networks(own_site: str) -> dict[str, Network]:
        return await known_networks(kit, own_site)

    sources = (
        FeedSource(
            "/news/feed",
            "node",
            f"{kit.identity.name}: news",
            "This network's own public news items, newest first.",
            "/news",
            own_items,
            publisher=node,
        ),
        FeedSource(
            "/news/alliance",
            "alliance",
            f"{ALLIANCE.name}: news",
            "Every public news item this node holds (its own and partners'), newest first.",
            "/news",
            every_item,
        ),
        FeedSource(
            "/news/funding",
            "funding",
            f"{ALLIANCE.name}: funding opportunities",
            "Open public funding calls this node holds, the nearest deadline first.",
            "/news/funding",
            open_calls,
        ),
    )
    return feed_routes(node, sources, networks, kit.metrics.registry)


async def known_networks(kit: Kit, own_site: str) -> dict[str, Network]:
    """Every network the node knows by name (this one at least), by node id."""
    found = {
        doc["origin"]: Network(doc["data"]["name"], doc["data"].get("website"))
        async for doc in kit.reads().collection(NETWORKS).find({"deleted": False})
        if doc.get("data")
    }
    own = found.get(kit.identity.node) or Network(kit.identity.name)
    found[kit.identity.node] = Network(own.name, own.url or own_site)
    return found
