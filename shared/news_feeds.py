"""HTTP out: news feed routes, for a node's news service and the hub portal alike.

Each declares its feeds (``FeedSource``: a path, a scope, how it finds its items) and
how it knows the networks (name and site, by node id); ``feed_routes`` serves each in
Atom and JSON Feed 1.1 (``shared/feeds.py``), with the same filters (``FeedQuery``:
``category``, ``language``, a 422 naming the field when unknown), paging by the
``next`` link, each entry linked to its page on the same site
(``/news/<origin>/<id>``), and counted in
``alliance_news_feed_requests_total{format, scope}``. Readers poll feeds: each answer
carries an ``ETag`` (a digest of the document), and a request whose ``If-None-Match``
names it gets a bodiless 304.

Feeds are public: whoever asks gets published ``public`` items only, token or not.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the route annotations.
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from prometheus_client import CollectorRegistry, Counter

from shared.contracts.news import Category, NewsItemState
from shared.feeds import (
    FEED_RESPONSES,
    FORMATS,
    FeedItem,
    FeedPage,
    Network,
    feed_requests_counter,
    feed_tag,
)
from shared.news import NewsFilter, checked_language
from shared.store import Document

ALLIANCE = Network("European Clusters Alliance")
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


Found = tuple[list[Document], str | None]  # one page of replicas, the next page's cursor


@dataclass(frozen=True)
class FeedSource:
    """One feed a site serves, at ``<path>.atom`` and ``<path>.json``."""

    path: str  # e.g. /news/alliance
    scope: str  # the metric's label, and part of the feed's id
    title: str
    description: str  # for the API documentation
    home: str  # the pages the feed follows, e.g. /news
    find: Callable[[FeedQuery], Awaitable[Found]]
    publisher: str | None = None  # the network publishing it (node id); None: the alliance


Networks = Callable[[str], Awaitable[dict[str, Network]]]  # the site's base URL → networks


def feed_routes(
    site: str, sources: Sequence[FeedSource], networks: Networks, registry: CollectorRegistry
) -> APIRouter:
    """Every source in both formats; ``site`` (a node id, ``hub``) prefixes feed ids."""
    router = APIRouter(tags=["news"])
    counter = feed_requests_counter(registry, [source.scope for source in sources])
    for source in sources:
        for kind in FORMATS:
            router.add_api_route(
                f"{source.path}.{kind}",
                _route(site, source, kind, networks, counter),
                methods=["GET"],
                response_class=Response,
                responses=FEED_RESPONSES,
                summary=f"{source.title} ({kind})",
                description=source.description,
            )
    return router


def _route(
    site: str, source: FeedSource, kind: str, networks: Networks, counter: Counter
) -> Callable[..., Awaitable[Response]]:
    async def feed(request: Request, query: Annotated[FeedQuery, Depends()]) -> Response:
        counter.labels(kind, source.scope).inc()
        found, following = await source.find(query)
        base = str(request.base_url).rstrip("/")
        known = await networks(base)
        publisher = known.get(source.publisher, ALLIANCE) if source.publisher else ALLIANCE
        page = FeedPage(
            id=feed_tag(f"{site}/{source.scope}", query.named()),
            title=source.title,
            self_url=str(request.url),
            home_url=base + source.home,
            publisher=publisher,
            items=feed_items(found, base, known),
            next_url=str(request.url.include_query_params(after=following)) if following else None,
            language=query.language,
        )
        write, media_type = FORMATS[kind]
        return conditional(request, write(page, datetime.now(UTC)), media_type)

    return feed


def conditional(request: Request, document: bytes, media_type: str) -> Response:
    """The document, or a bodiless 304 when the reader holds it already (its ETag)."""
    tag = f'"{hashlib.sha256(document).hexdigest()[:32]}"'
    headers = {"ETag": tag, "Cache-Control": "public, max-age=300"}
    asked = request.headers.get("if-none-match", "")
    held = {one.strip().removeprefix("W/") for one in asked.split(",")}
    if tag in held:
        return Response(status_code=304, headers=headers)
    return Response(document, media_type=media_type, headers=headers)


def feed_items(docs: list[Document], base: str, networks: dict[str, Network]) -> list[FeedItem]:
    """Replicas as feed items, each linked to its page on this site."""
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
