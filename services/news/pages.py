"""HTML in: the alliance's news (list, item page, funding calls); the console's pages of
this network's items are in ``console_pages.py``.

Who sees what:

- Public pages (anyone, no sign-in) show exactly what the API shows an anonymous reader:
  published ``public`` items, this network's and the partners' (from the ``news``
  replica). Drafts, ``alliance`` and ``node`` items never appear on them; an unknown or
  hidden item is the same 404.
- The console (``console_pages.py``) needs a signed-in editor, withdrawing an admin.
- Other nodes never reach these pages: they get the items over the bus.

An item page shows the item in the reader's language when a translation exists
(``reading_languages``), with a switch listing the original and every translation, and
puts another node's HTML through ``safe_html`` again before showing it.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
import contextlib
from datetime import date
from typing import Any

from babel import Locale, UnknownLocaleError
from fastapi import APIRouter, Query, Request, Response
from markupsafe import Markup

from services.news import handlers
from services.news.api import checked_language, news_filter
from services.news.domain import (
    Category,
    ItemStatus,
    funding_open,
    reading,
)
from services.news.feed_routes import known_networks
from services.news.store import NewsUnitOfWork
from shared.contracts.base import Visibility
from shared.contracts.news import Funding, NewsItemState
from shared.errors import DomainError
from shared.instants import from_wire
from shared.news import NewsFilter
from shared.sanitise import safe_html
from shared.service import ServiceKit
from shared.store import Document
from shared.web.forms import domain_errors
from shared.web.i18n import LANGUAGES, N_, accepted_languages
from shared.web.layer import LANG_COOKIE, WebLayer

Kit = ServiceKit[NewsUnitOfWork]
PAGE_SIZE = 20
FUNDING_LIMIT = 500  # funding calls read at once: open ones first, then closed ones
CLOSED_SHOWN = 20  # the most recently closed calls shown below the open ones

CATEGORY_LABELS = {
    Category.NETWORK_NEWS: N_("Network news"),
    Category.MEMBER_NEWS: N_("Member news"),
    Category.POLICY_UPDATE: N_("Policy update"),
    Category.FUNDING_OPPORTUNITY: N_("Funding opportunity"),
    Category.BEST_PRACTICE: N_("Best practice"),
    Category.EVENT_REPORT: N_("Event report"),
    Category.POSITION_PAPER: N_("Position paper"),
}
STATUS_LABELS = {ItemStatus.DRAFT: N_("Draft"), ItemStatus.PUBLISHED: N_("Published")}
VISIBILITY_LABELS = {
    Visibility.PUBLIC: N_("Public"),
    Visibility.ALLIANCE: N_("Alliance"),
    Visibility.NODE: N_("This network only"),
}
FILTERS = ("category", "network", "country", "language", "tag", "from", "to")


def page_labels(kit: Kit, web: WebLayer, request: Request) -> dict[str, Any]:
    """The enums' names in the page's language, for options and badges."""
    gettext = web.language(request).gettext
    return {
        "category_options": [(c.value, gettext(label)) for c, label in CATEGORY_LABELS.items()],
        "visibility_options": [(v.value, gettext(label)) for v, label in VISIBILITY_LABELS.items()],
        "labels": {
            **{c.value: gettext(label) for c, label in CATEGORY_LABELS.items()},
            **{s.value: gettext(label) for s, label in STATUS_LABELS.items()},
            **{v.value: gettext(label) for v, label in VISIBILITY_LABELS.items()},
        },
        "own_node": kit.identity.node,
    }


def news_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/news, /news/funding, /news/{origin}/{id} (the console's are in console_pages.py)"""
    pages = APIRouter(include_in_schema=False)

    def labels(request: Request) -> dict[str, Any]:
        return page_labels(kit, web, request)

    async def names() -> dict[str, str]:
        """The networks' names by node id (from their profiles), for authors and
        translators; a network not known yet is shown by its node id."""
        return {node: network.name for node, network in (await known_networks(kit, "/")).items()}

    # -- public news ----------------------------------------------------------------------
    @pages.get("/news")
    async def news_list(
        request: Request,
        category: str = Query("", max_length=40),
        network: str = Query("", max_length=80),
        country: str = Query("", max_length=2),
        language: str = Query("", max_length=35),
        tag: str = Query("", max_length=80),
        start: str = Query("", alias="from", max_length=10),
        end: str = Query("", alias="to", max_length=10),
        after: str = Query("", max_length=200),
    ) -> Response:
        """The alliance's public news, newest first, filtered like the API's list."""
        values = dict(
            zip(FILTERS, (category, network, country, language, tag, start, end), strict=True)
        )
        errors: dict[str, str] = {}
        found: list[Document] = []
        following = None
        try:
            filters = public_filter(values)
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            found, following = await kit.reads().news.page(filters, after or None, PAGE_SIZE)
        wanted = reading_languages(request, web)
        return web.render(
            request,
            "news/list.html",
            {
                **labels(request),
                "names": await names(),
                "items": [entry(doc, wanted) for doc in found],
                "next": following,
                "filters": values,
                "errors": errors,
                "first_page": not after,
            },
            status=422 if errors else 200,
        )

    @pages.get("/news/funding")
    async def funding(request: Request) -> Response:
        """Funding calls by deadline: the open ones first (nearest deadline first), then
        the most recently closed ones, marked closed."""
        docs = await kit.reads().news.by_deadline(NewsFilter(), FUNDING_LIMIT)
        wanted = reading_languages(request, web)
        calls = [entry(doc, wanted) for doc in docs]
        open_calls = [c for c in calls if c["open"] is not False]
        closed = [c for c in calls if c["open"] is False]
        closed.reverse()  # the most recently closed first
        return web.render(
            request,
            "news/funding.html",
            {
                **labels(request),
                "names": await names(),
                "open_calls": open_calls,
                "closed_calls": closed[:CLOSED_SHOWN],
            },
        )

    @pages.get("/news/{origin}/{item_id}")
    async def item_page(request: Request, origin: str, item_id: str) -> Response:
        """One public item, in the reader's language when a translation exists."""
        doc = await kit.reads().news.one(origin, item_id, public_only=True)
        if doc is None:
            raise handlers.not_found(item_id)
        checked_language(request.query_params.get("lang") or None, "lang")  # else a 422
        item = entry(doc, reading_languages(request, web))
        interface = web.language(request).code
        return web.render(
            request,
            "news/item.html",
            {
                **labels(request),
                "names": await names(),
                "item": item,
                "body": Markup(safe_html(item["reading"].body)),  # sanitised just now
                "versions": versions(item),
                "original_name": language_name(item["language"], interface),
            },
        )

    return pages


# -- reading --------------------------------------------------------------------------------


def reading_languages(request: Request, web: WebLayer) -> list[str]:
    """The languages a reader wants an item in, best first: the switch's ``?lang=``
    (any BCP 47 tag), the interface language the reader chose (the switcher's cookie),
    Accept-Language, then the page's interface language."""
    wanted: list[str] = []
    chosen = request.query_params.get("lang", "")
    if chosen:
        with contextlib.suppress(DomainError):  # the item page refuses it with a 422
            wanted.append(checked_language(chosen, "lang") or "")
    cookie = request.cookies.get(LANG_COOKIE, "")
    if cookie in LANGUAGES:
        wanted.append(cookie)
    wanted += accepted_languages(request.headers.get("accept-language", ""))
    wanted.append(web.language(request).code)
    return list(dict.fromkeys(tag for tag in wanted if tag))


def entry(doc: Document, wanted: list[str]) -> dict[str, Any]:
    """An item of the news for a page: its state, its owner, its text in the reader's
    language (``reading``), and whether its funding call is still open."""
    state = NewsItemState.model_validate(doc["data"])
    data = doc["data"]
    deadline = _deadline(state.funding)
    return {
        **data,
        "origin": doc["origin"],
        "reading": reading(state, wanted),
        "open": funding_open(state.funding, date.today()) if state.funding and deadline else None,
        "deadline": deadline,
        "day": from_wire(state.published_at or state.updated_at).date(),
        "images": [i for i in data.get("images", []) if is_http(i.get("url", ""))],
    }


def _deadline(funding: Funding | None) -> date | None:
    """A call's deadline; None for a date another node wrote wrong (the page shows the
    rest rather than failing for every reader)."""
    try:
        return date.fromisoformat(funding.deadline) if funding else None
    except ValueError:
        return None


def versions(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The switch: the original, then each translation, each named in its own language
    ("română", "français"), as a reader looks for the language they read."""
    shown = item["reading"].language
    tags = [item["language"], *(t["language"] for t in item.get("translations", []))]
    return [
        {
            "tag": tag,
            "name": language_name(tag, tag),
            "original": index == 0,
            "current": tag == shown,
        }
        for index, tag in enumerate(tags)
    ]


def language_name(tag: str, in_language: str) -> str:
    """``ro`` as "Romanian" (in ``in_language`` ``en``; "roumain" in ``fr``); the tag if
    CLDR has no name for it."""
    try:
        name = Locale.parse(tag, sep="-").get_display_name(Locale.parse(in_language, sep="-"))
    except (ValueError, UnknownLocaleError):
        return tag
    return name or tag


def is_http(url: str) -> bool:
    """Only http(s) URLs from another node are linked or shown (never ``javascript:``)."""
    return url.lower().startswith(("https://", "http://"))


# -- filters --------------------------------------------------------------------------------


def public_filter(values: dict[str, str]) -> NewsFilter:
    """The public list's filters from the page's query; a bad one names its field."""
    category = None
    if values["category"]:
        try:
            category = Category(values["category"])
        except ValueError:
            raise DomainError("unknown category", "category") from None
    return news_filter(
        None,
        category,
        values["network"] or None,
        values["country"] or None,
        values["language"] or None,
        values["tag"] or None,
        _day(values["from"], "from"),
        _day(values["to"], "to"),
    )


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("give a date as YYYY-MM-DD", field) from None
