"""HTTP in: the news API under /api/news.

Reads need no token and show published ``public`` items; with a token a caller sees
everything the node holds (its own drafts, ``alliance`` and ``node`` items, the
partners' ``alliance`` items). Writes need an editor token; withdrawing an item (off
every node) an admin token. The list (``GET /api/news/items``) reads the node's ``news``
collection, which the projection fills from the bus: a change shows there a moment after
it is committed.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the route annotations,
# which name dependencies local to ``news_api``.
import functools
from dataclasses import asdict
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from prometheus_client import CollectorRegistry, Counter

from services.news import handlers
from services.news.domain import (
    Category,
    ItemStatus,
    NewsItem,
    NewsItemDraft,
    reading,
)
from services.news.store import NewsUnitOfWork
from shared.auth import Role, can_read
from shared.contracts.news import NewsItemState
from shared.errors import DomainError
from shared.http import Page, problem_responses
from shared.news import (
    NewsFilter,
    checked_language,  # shared with the hub portal
)
from shared.service import ServiceKit
from shared.store import Document
from shared.web.i18n import accepted_languages

Kit = ServiceKit[NewsUnitOfWork]


def news_view(doc: Document) -> dict[str, Any]:
    """An item of the node's news: its state and the node that owns it."""
    return {**doc["data"], "origin": doc["origin"]}


def own_view(item: NewsItem, origin: str, role: Role | None) -> dict[str, Any]:
    """An own item as its caller may see it; hidden looks exactly like unknown."""
    if not can_read(role, item.visibility, item.deleted) or (
        role is None and item.status is ItemStatus.DRAFT
    ):
        raise handlers.not_found(item.id)
    return {**item.model_dump(mode="json"), "origin": origin}


def written(item: NewsItem, removed: list[str]) -> dict[str, Any]:
    """A written item, and what sanitising removed from its body (the writer is told)."""
    answer: dict[str, Any] = {**item.model_dump(mode="json"), "removed": removed}
    if removed:
        answer["message"] = "the body was stored without: " + ", ".join(removed)
    return answer


def news_filter(
    role: Role | None,
    category: Category | None,
    network: str | None,
    country: str | None,
    language: str | None,
    tag: str | None,
    since: date | None,
    until: date | None,
) -> NewsFilter:
    """The store's filter of a list request's query (the API's and the pages')."""
    if since and until and until < since:
        raise DomainError("`to` must not be before `from`", "to")
    return NewsFilter(
        category=category.value if category else None,
        network=network,
        country=country,
        language=checked_language(language),
        tag=tag,
        since=since.strftime("%Y%m%d") if since else None,
        until=(until + timedelta(days=1)).strftime("%Y%m%d") if until else None,
        public_only=role is None,
    )


def published_counter(kit: Kit) -> Counter:
    """alliance_news_items_published_total{category}: items this node published, from
    the API or the console (one counter per registry, whoever asks first makes it)."""
    return _published_counter(kit.metrics.registry)


@functools.cache
def _published_counter(registry: CollectorRegistry) -> Counter:
    return Counter(
        "alliance_news_items_published_total",
        "News items this node published (first publication), by category.",
        ["category"],
        registry=registry,
    )


def news_api(kit: Kit) -> APIRouter:
    """Routes bound to this node's news service."""
    api = APIRouter(prefix="/api/news", tags=["news"])
    identity = kit.identity
    Caller = Annotated[Role | None, Depends(kit.caller)]
    published = published_counter(kit)
    for category in Category:
        published.labels(category.value)  # every series exists from the start

    @api.post("/items", status_code=201, dependencies=[Depends(kit.editor)])
    async def write_item(draft: NewsItemDraft) -> dict[str, Any]:
        """A new item, as a draft: it stays on this node until published. Unsafe HTML
        in the body is removed, and the answer's ``removed`` says what."""
        return written(
            *await kit.transaction(lambda uow: handlers.write_item(draft, uow, identity))
        )

    @api.get("/items")
    async def list_items(
        role: Caller,
        category: Category | None = None,
        network: str | None = Query(None, max_length=80, description="the owner node's id"),
        country: str | None = Query(None, min_length=2, max_length=2),
        language: str | None = Query(None, max_length=35, description="BCP 47, e.g. fr"),
        tag: str | None = Query(None, max_length=80),
        since: Annotated[date | None, Query(alias="from", description="shown on or after")] = None,
        until: Annotated[date | None, Query(alias="to", description="shown on or before")] = None,
        after: str | None = Query(None, max_length=200, description="the previous page's `next`"),
        limit: int = Query(50, ge=1, le=500),
    ) -> Page:
        """The alliance's news, newest first: this node's items and those others share."""
        filters = news_filter(role, category, network, country, language, tag, since, until)
        found, following = await kit.reads().news.page(filters, after, limit)
        return Page(items=[news_view(doc) for doc in found], next=following)

    @api.get("/items/{origin}/{item_id}", responses=problem_responses(404))
    async def get_item(
        origin: str,
        item_id: str,
        role: Caller,
        lang: str | None = Query(None, max_length=35, description="the language to read in"),
        accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> dict[str, Any]:
        """One item, with ``reading``: its text in the caller's language (``lang``, else
        Accept-Language) when a translation exists, else the original."""
        if origin == identity.node:
            view = own_view(await handlers.existing_item(item_id, kit.reads()), origin, role)
        else:
            doc = await kit.reads().news.one(origin, item_id, public_only=role is None)
            if doc is None:
                raise handlers.not_found(item_id)
            view = news_view(doc)
        wanted = [checked_language(lang, "lang") or ""] if lang else []
        wanted += accepted_languages(accept_language or "")
        shown = reading(NewsItemState.model_validate(view), wanted)
        return {**view, "reading": asdict(shown)}

    @api.put(
        "/items/{item_id}",
        dependencies=[Depends(kit.editor)],
        responses=problem_responses(404, 410),
    )
    async def put_item(item_id: str, draft: NewsItemDraft) -> dict[str, Any]:
        """Replace the item's texts and details; its translations into other languages
        stay (they may need a new request once the original changed)."""
        return written(
            *await kit.transaction(lambda uow: handlers.revise_item(item_id, draft, uow))
        )

    @api.post(
        "/items/{item_id}/publish",
        dependencies=[Depends(kit.editor)],
        responses=problem_responses(404, 410),
    )
    async def publish_item(item_id: str) -> dict[str, Any]:
        """On every node the item's visibility reaches (and the public feeds if public)."""
        item = await kit.transaction(lambda uow: handlers.publish_item(item_id, uow))
        published.labels(item.category.value).inc()
        return item.model_dump(mode="json")

    @api.delete(
        "/items/{item_id}", dependencies=[Depends(kit.admin)], responses=problem_responses(404, 410)
    )
    async def withdraw_item(item_id: str) -> dict[str, Any]:
        """Off every node (admin): other nodes' copies are withdrawn too."""
        item = await kit.transaction(lambda uow: handlers.withdraw_item(item_id, uow))
        return item.model_dump(mode="json")

    return api
