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
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from prometheus_client import Counter

from services.news.api import checked_language
from services.news.domain import Category
from services.news.store import NewsFilter, NewsUnitOfWork
from shared.contracts import membership
from shared.contracts.news import NewsItemState
from shared.feeds import (
    FEED_RESPONSES,
    FORMATS,
    FeedItem,
    FeedPage,
    Network,
    feed_requests_counter,
    feed_tag,
)
from shared.replicas import Replicas
from shared.service import ServiceKit
from shared.store import Document

Kit = ServiceKit[NewsUnitOfWork]
NETWORKS = "networks"
NETWORKS_REPLICA = Replicas(NETWORKS, membership.CATALOGUE, "network", own=True)
"""The networks' public profiles (this node's too): a feed's authors, with their site."""
ALLIANCE = "European Clusters Alliance"
SCOPES = ("node", "alliance", "funding")
MAX_LIMIT = 200


class FeedQuery:
    """A feed request's filters, checked (a 422 naming the field), and its paging."""

    def __init__(
        self,
        category: Annotated[Category | None, Query(description="a news category")] = None,
        language: Annotated[
            str | None,
            Query(max_length=35, description="BCP 47: items readable in it, given in it"),
        ] = None,
        after: Annotated[
            str | None, Query(max_length=200, description="the `next` link's cursor")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    ) -> None:
        self.category = category.value if category else None
        self.language = checked_language(language)
        self.after = after
        self.limit = limit

    def filters(self, network: str | None = None) -> NewsFilter:
        """Public items only: feeds are for anyone."""
        return NewsFilter(category=self.category, network=network, language=self.language)

    def named(self) -> dict[str, str]:
        """The filters that make the feed what it is (its id), paging aside."""
        return {"category": self.category or "", "language": self.language or ""}


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


def site(request: Request) -> str:
    """This node's public site, as the reader reached it."""
    return str(request.base_url).rstrip("/")


def feed_items(docs: list[Document], base: str, networks: dict[str, Network]) -> list[FeedItem]:
    """The replicas as feed items, each linked to its page on this node."""
    return [
        FeedItem(
            origin=doc["origin"],
            item=NewsItemState.model_validate(doc["data"]),
            url=f"{base}/news/{doc['origin']}/{doc['aggregateid']}",
            author=networks.get(doc["origin"], Network(doc["origin"])),
            translators=networks,
        )
        for doc in docs
    ]


def served(kind: str, page: FeedPage) -> Response:
    """The page written in ``kind`` with its media type."""
    write, media_type = FORMATS[kind]
    return Response(write(page, datetime.now(UTC)), media_type=media_type)


Found = tuple[list[Document], str | None]
Finder = Callable[[Kit, FeedQuery], Awaitable[Found]]


async def own_items(kit: Kit, query: FeedQuery) -> Found:
    return await kit.reads().news.page(query.filters(kit.identity.node), query.after, query.limit)


async def every_item(kit: Kit, query: FeedQuery) -> Found:
    return await kit.reads().news.page(query.filters(), query.after, query.limit)


async def open_calls(kit: Kit, query: FeedQuery) -> Found:
    today = date.today().strftime("%Y%m%d")
    return await kit.reads().news.by_deadline(query.filters(), query.limit, today), None


FEEDS: dict[str, tuple[str, Finder, str]] = {
    "feed": ("node", own_items, "This network's own public news items, newest first."),
    "alliance": ("alliance", every_item, "Every public news item this node holds, newest first."),
    "funding": ("funding", open_calls, "Open public funding calls, the nearest deadline first."),
}
"""Each feed of a node: its path's name → its scope (the metric's label), its items and
what it is."""


def news_feeds(kit: Kit) -> APIRouter:
    """The node's six feed routes (three feeds, two formats each)."""
    feeds = APIRouter(tags=["news"])
    counter = feed_requests_counter(kit.metrics.registry, SCOPES)
    for name, (scope, finder, what) in FEEDS.items():
        for kind in FORMATS:
            feeds.add_api_route(
                f"/news/{name}.{kind}",
                _route(kit, counter, scope, kind, finder),
                methods=["GET"],
                response_class=Response,
                responses=FEED_RESPONSES,
                summary=f"The {scope} news feed ({kind})",
                description=what,
            )
    return feeds


def _route(
    kit: Kit, counter: Counter, scope: str, kind: str, finder: Finder
) -> Callable[..., Awaitable[Response]]:
    async def feed(request: Request, query: Annotated[FeedQuery, Depends()]) -> Response:
        counter.labels(kind, scope).inc()
        found, following = await finder(kit, query)
        base = site(request)
        networks = await known_networks(kit, base)
        publisher = networks[kit.identity.node] if scope == "node" else Network(ALLIANCE)
        page = FeedPage(
            id=feed_tag(f"{kit.identity.node}/{scope}", query.named()),
            title=_title(scope, publisher),
            self_url=str(request.url),
            home_url=f"{base}/news/funding" if scope == "funding" else f"{base}/news",
            publisher=publisher,
            items=feed_items(found, base, networks),
            next_url=str(request.url.include_query_params(after=following)) if following else None,
            language=query.language,
        )
        return served(kind, page)

    return feed


def _title(scope: str, publisher: Network) -> str:
    if scope == "node":
        return f"{publisher.name}: news"
    return f"{ALLIANCE}: funding opportunities" if scope == "funding" else f"{ALLIANCE}: news"
