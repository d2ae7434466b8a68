"""HTML in: the alliance's news on the hub (``/news``, ``/news/{origin}/{id}``).

Every network's public news, from the portal's replicas (``services/portal/news.py``),
newest first, filtered like a node's news (category, network, country, language, tag),
and each item on a page of its own **in the reader's language**: the text language asked
with ``?lang=`` (the switch lists the original and every translation), else the page's
interface language, else the browser's (Accept-Language); a translation says so, names
its translator network and links the original. Bodies are sanitised again (nh3) before
they are shown: the hub never trusts a node's HTML. Each page links the alliance's feeds
(``<link rel="alternate">`` and a visible link).

Who may see what: anyone; public published items only (``keys.public``). Nothing is
changed here.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from datetime import UTC, date, datetime
from typing import Any

from babel.core import Locale
from fastapi import APIRouter, Query, Request, Response

from services.portal.news import alliance_news, networks
from services.portal.store import PortalUnitOfWork
from shared.contracts.news import Category, NewsItemState
from shared.errors import DomainError, NotFound
from shared.feeds import Network
from shared.news import NewsFilter, Reading, checked_language, language_tag, reading
from shared.sanitise import safe_html
from shared.service import ServiceKit
from shared.store import Document
from shared.web.forms import domain_errors
from shared.web.i18n import N_, accepted_languages
from shared.web.layer import WebLayer

Kit = ServiceKit[PortalUnitOfWork]
PAGE_SIZE = 20
FILTERS = ("category", "network", "country", "language", "tag")
CATEGORY_LABELS = {
    Category.NETWORK_NEWS.value: N_("Network news"),
    Category.MEMBER_NEWS.value: N_("Member news"),
    Category.POLICY_UPDATE.value: N_("Policy update"),
    Category.FUNDING_OPPORTUNITY.value: N_("Funding opportunity"),
    Category.BEST_PRACTICE.value: N_("Best practice"),
    Category.EVENT_REPORT.value: N_("Event report"),
    Category.POSITION_PAPER.value: N_("Position paper"),
}


def news_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/news (the alliance's public news) and /news/{origin}/{id} (one item)."""
    pages = APIRouter(include_in_schema=False)

    @pages.get("/news")
    async def news_list(
        request: Request,
        category: str = Query("", max_length=40),
        network: str = Query("", max_length=64),
        country: str = Query("", max_length=2),
        language: str = Query("", max_length=35),
        tag: str = Query("", max_length=80),
        after: str = Query("", max_length=200),
    ) -> Response:
        """The news, filtered; a mistyped filter is named beside its field (422)."""
        values = dict(zip(FILTERS, (category, network, country, language, tag), strict=True))
        errors: dict[str, str] = {}
        found: list[Document] = []
        following = None
        try:
            filters = filter_of(values)
            found, following = await alliance_news(kit).page(filters, after or None, PAGE_SIZE)
        except DomainError as exc:
            errors = domain_errors(exc)
        known = await networks(kit)
        wanted = reader_languages(web, request)
        gettext = web.language(request).gettext
        return web.render(
            request,
            "portal/news.html",
            {
                "items": [entry(doc, known, wanted) for doc in found],
                "next": following,
                "first_page": not after,
                "filters": values,
                "errors": errors,
                "labels": {k: gettext(v) for k, v in CATEGORY_LABELS.items()},
                "category_options": [(k, gettext(v)) for k, v in CATEGORY_LABELS.items()],
                "network_options": [(node, n.name) for node, n in known.items()],
            },
            status=422 if errors else 200,
        )

    @pages.get("/news/{origin}/{item_id}")
    async def news_item(request: Request, origin: str, item_id: str) -> Response:
        """One item in the reader's language, the original one click away."""
        doc = await alliance_news(kit).one(origin, item_id, public_only=True)
        if doc is None:
            raise NotFound(f"no public news item {item_id!r} of {origin!r}")
        known = await networks(kit)
        shown = entry(doc, known, reader_languages(web, request))
        locale = web.language(request).locale
        item: NewsItemState = shown["item"]
        languages = [item.language, *(t.language for t in item.translations)]
        return web.render(
            request,
            "portal/news_item.html",
            {
                **shown,
                "body": safe_html(shown["text"].body),
                "category_label": web.language(request).gettext(
                    CATEGORY_LABELS.get(item.category, item.category)
                ),
                "switch": [(tag, language_name(locale, tag)) for tag in languages],
                "original_name": language_name(locale, item.language),
                "translator": translator(shown["text"], known),
                "funding_open": _open(item),
            },
        )

    return pages


def filter_of(values: dict[str, str]) -> NewsFilter:
    """The store's filter of the page's query: public items only; mistakes named."""
    category = values["category"]
    if category and category not in CATEGORY_LABELS:
        raise DomainError("unknown category", "category")
    return NewsFilter(
        category=category or None,
        network=values["network"] or None,
        country=values["country"] or None,
        language=checked_language(values["language"] or None),
        tag=values["tag"] or None,
    )


def reader_languages(web: WebLayer, request: Request) -> list[str]:
    """The languages to read in, best first: ``?lang=`` (any BCP 47 tag), the page's
    interface language, then the browser's."""
    asked = request.query_params.get("lang", "")
    try:
        first = [language_tag(asked)] if asked else []
    except ValueError:
        first = []  # a mistyped switch value: the page shows what it can
    browser = accepted_languages(request.headers.get("accept-language", ""))
    return [*first, web.language(request).code, *browser]


def entry(doc: Document, known: dict[str, Network], wanted: list[str]) -> dict[str, Any]:
    """One item as the pages show it: its state, its text to read, its network."""
    item = NewsItemState.model_validate(doc["data"])
    origin = doc["origin"]
    return {
        "item": item,
        "text": reading(item, wanted),
        "origin": origin,
        "network": known.get(origin, Network(origin)),
        "url": f"/news/{origin}/{item.id}",
    }


def translator(text: Reading, known: dict[str, Network]) -> Network | None:
    """The network that translated the text shown (None: the original)."""
    if text.translator is None:
        return None
    return known.get(text.translator, Network(text.translator))


def language_name(locale: Locale, tag: str) -> str:
    """A language's name in the reader's language (``ro`` → « roumain » for French)."""
    names = locale.languages
    return str(names.get(tag.replace("-", "_")) or names.get(tag.split("-")[0]) or tag)


def _open(item: NewsItemState) -> bool | None:
    """Whether a funding call is still open today (None: not a call)."""
    if item.funding is None:
        return None
    return date.fromisoformat(item.funding.deadline) >= datetime.now(UTC).date()
