"""The alliance's news on the hub: the portal's replicas of every network's shared items,
and the alliance-wide feeds.

Every network's published ``public`` and ``alliance`` items arrive on ALLIANCE as their
whole state (the news contract); the portal keeps one replica per item with the same
keys a node's news keeps (``shared/news.py: news_keys``), so a filter finds the same
items on the hub as on a node. Pages and feeds show the ``public`` ones only
(``keys.public``); a withdrawal tombstones the replica, and an item made ``node``-only
is withdrawn from the alliance's view, so from here too.

Feeds (``shared/news_feeds.py``): ``/news/feed.atom`` and ``/news/feed.json``, every
public item of the alliance, newest first, paged; ``/news/funding.atom`` and
``/news/funding.json``, the open public funding calls, the nearest deadline first; each
filtered by ``category`` and ``language``. The authors are the networks as the registry
admitted them, with their public site; each entry links to its page on the hub, and its
id is the same as on every node.

Who may see what: anyone, without a token (the hub has no staff pages for news): public
published items only. Nobody changes anything here: items are their owners' to write,
revise and withdraw on their own nodes.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from datetime import date

from fastapi import APIRouter

from services.portal.store import NETWORKS, PortalUnitOfWork
from shared.contracts import news
from shared.feeds import Network
from shared.news import news_keys
from shared.news_feeds import ALLIANCE, FeedQuery, FeedSource, Found, feed_routes
from shared.news_reads import NewsReads
from shared.replicas import Replicas
from shared.service import ServiceKit

Kit = ServiceKit[PortalUnitOfWork]
ALLIANCE_NEWS = "alliance_news"  # every network's shared news items
# scalar keys only: nx-27017 scans on a match into an array (docs/store.md)
NEWS_INDEXES = ("page", "category", "country", "public", "deadline")
NEWS_REPLICA = Replicas(ALLIANCE_NEWS, news.CATALOGUE, "item", keys=news_keys, indexes=NEWS_INDEXES)


def alliance_news(kit: Kit) -> NewsReads:
    """The portal's replicas of the alliance's news, read as a node reads its own."""
    return NewsReads(kit.reads(), ALLIANCE_NEWS)


async def networks(kit: Kit) -> dict[str, Network]:
    """Every admitted network by node id: its name and its public site (the registry's).

    Read straight from the registry's replicas: the home page's ``networks()`` also counts
    each network's records, too much for every feed request."""
    return {
        doc["aggregateid"]: Network(doc["data"]["name"], doc["data"].get("site_url"))
        async for doc in kit.reads().collection(NETWORKS).find({"deleted": False})
        if doc.get("data")
    }


def portal_news_feeds(kit: Kit) -> APIRouter:
    """The alliance's news feed and funding feed, each in Atom and JSON Feed."""

    async def every_item(query: FeedQuery) -> Found:
        return await alliance_news(kit).page(query.filters(), query.after, query.limit)

    async def open_calls(query: FeedQuery) -> Found:
        today = date.today().strftime("%Y%m%d")
        return await alliance_news(kit).by_deadline(query.filters(), query.limit, today), None

    async def known(site: str) -> dict[str, Network]:
        return await networks(kit)

    sources = (
        FeedSource(
            "/news/feed",
            "alliance",
            f"{ALLIANCE.name}: news",
            "Every public news item of the alliance's networks, newest first.",
            "/news",
            every_item,
        ),
        FeedSource(
            "/news/funding",
            "funding",
            f"{ALLIANCE.name}: funding opportunities",
            "The alliance's open public funding calls, the nearest deadline first.",
            "/news?category=funding_opportunity",  # the hub has no page of its own for them
            open_calls,
        ),
    )
    return feed_routes("hub", sources, known, kit.metrics.registry)
