"""Atom (RFC 4287) and JSON Feed 1.1 of news items, for a node and the hub portal alike.

Services never import each other, yet a node's news service and the hub's portal both
publish feeds of the same items; this is the one place that writes them, so that a
reader subscribed to a node and to the hub sees one entry per item:

- a stable id per item, the same on every node and the hub: ``tag:`` URI of the owner
  node and the item id (``item_tag``);
- the entry's language (``xml:lang`` / ``language``) is the text's: the original's, or,
  when the feed was asked for a language (``?language=fr``) and a translation into it
  exists, the translation's, marked as one (Atom: the translator network as
  ``contributor`` and an ``alliance:translation`` element; JSON Feed: ``_alliance``),
  with a link to the original;
- the category with the scheme ``CATEGORY_SCHEME``, the tags with ``TAG_SCHEME``;
- the author is the network that owns the item (name, and its site when known);
- the body as HTML (``type="html"`` / ``content_html``), sanitised again here (nh3's
  allow-list: never pass on another node's HTML unchecked), the summary, the
  images (Atom ``enclosure`` links, JSON Feed ``image``), a funding call's deadline,
  programme and link;
- paging: Atom's RFC 5005 ``next`` link, JSON Feed's ``next_url``.

Atom is written with feedgen; JSON Feed 1.1 (which feedgen does not write) with pydantic
models of the specification. Pure: states in, bytes out.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedgen.entry import FeedEntry as AtomEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree
from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.news import Category, NewsItemState
from shared.instants import from_wire
from shared.news import Reading, reading
from shared.sanitise import safe_html

__all__ = [
    "ATOM_MEDIA_TYPE",
    "CATEGORY_LABELS",
    "CATEGORY_SCHEME",
    "EXTENSION_NAMESPACE",
    "FEED_RESPONSES",
    "FORMATS",
    "JSON_FEED_MEDIA_TYPE",
    "TAG_SCHEME",
    "FeedItem",
    "FeedPage",
    "Network",
    "atom",
    "feed_requests_counter",
    "feed_tag",
    "item_tag",
    "json_feed",
]

ATOM_MEDIA_TYPE = "application/atom+xml"
JSON_FEED_MEDIA_TYPE = "application/feed+json"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
CATEGORY_SCHEME = "https://clustersalliance.eu/news/categories"
TAG_SCHEME = "https://clustersalliance.eu/news/tags"
EXTENSION_NAMESPACE = "https://clustersalliance.eu/ns/news"
TAG_AUTHORITY = "tag:clustersalliance.eu,2026:"  # RFC 4151: fixed for good
GENERATOR = "Alliance federation"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CATEGORY_LABELS: dict[str, str] = {  # by value: a newer minor version may bring more
    Category.NETWORK_NEWS.value: "Network news",
    Category.MEMBER_NEWS.value: "Member news",
    Category.POLICY_UPDATE.value: "Policy update",
    Category.FUNDING_OPPORTUNITY.value: "Funding opportunity",
    Category.BEST_PRACTICE.value: "Best practice",
    Category.EVENT_REPORT.value: "Event report",
    Category.POSITION_PAPER.value: "Position paper",
}


@dataclass(frozen=True)
class Network:
    """A member network as a feed names it: an item's author, a translator."""

    name: str
    url: str | None = None  # its public site, when known


@dataclass(frozen=True)
class FeedItem:
    """One item of a feed: its owner, its state, its page and the networks it names."""

    origin: str
    item: NewsItemState
    url: str  # the item's page
    author: Network
    translators: dict[str, Network]  # node id → network, for a translation's credit


@dataclass(frozen=True)
class FeedPage:
    """One page of a feed: what it is, where it is, and its items."""

    id: str  # a stable tag: URI (``feed_tag``), the same for every page
    title: str
    self_url: str
    home_url: str  # the pages the feed follows
    publisher: Network  # who publishes the feed (a node's network, the alliance)
    items: Sequence[FeedItem]
    next_url: str | None = None
    language: str | None = None  # the language asked for (translations preferred)


def item_tag(origin: str, item_id: str) -> str:
    """An item's id in every feed, on every node and the hub (RFC 4151 ``tag:`` URI)."""
    return f"{TAG_AUTHORITY}news/{origin}/{item_id}"


def feed_tag(scope: str, filters: dict[str, str]) -> str:
    """A feed's id: its scope and the filters that make it (never the page cursor)."""
    query = "&".join(f"{name}={value}" for name, value in sorted(filters.items()) if value)
    return f"{TAG_AUTHORITY}news-feed/{scope}" + (f"?{query}" if query else "")


def _updated(page: FeedPage, now: datetime) -> datetime:
    """The newest change among the page's items; ``now`` for an empty page."""
    return max((from_wire(i.item.updated_at) for i in page.items), default=now)


def _text(entry: FeedItem, language: str | None) -> Reading:
    return reading(entry.item, [language] if language else [])


def _translator(entry: FeedItem, text: Reading) -> Network | None:
    if text.translator is None:
        return None
    return entry.translators.get(text.translator, Network(text.translator))


def _with_language(url: str, language: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}lang={language}"


# --- Atom ----------------------------------------------------------------------------------


class _Namespace(BaseExtension):
    """Declares the ``alliance:`` prefix once, on the feed element."""

    def extend_ns(self) -> dict[str, str]:
        return {"alliance": EXTENSION_NAMESPACE}


class _EntryDetails(BaseEntryExtension):
    """What feedgen 1.0 cannot write on an entry: ``xml:lang``, links with their
    ``rel``/``type``/``hreflang`` (its entry link loop drops them), and our extension
    elements (translation, funding)."""

    def __init__(self) -> None:
        self.language = ""
        self.links: list[dict[str, str]] = []
        self.elements: list[tuple[str, dict[str, str]]] = []

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        entry.set(XML_LANG, self.language)
        for attributes in self.links:
            etree.SubElement(entry, "link", attributes)  # as feedgen's: Atom by xmlns
        for name, attributes in self.elements:
            etree.SubElement(entry, f"{{{EXTENSION_NAMESPACE}}}{name}", attributes)
        return entry


def atom(page: FeedPage, now: datetime) -> bytes:
    """The page as an Atom feed document (UTF-8)."""
    generator = FeedGenerator()
    generator.register_extension("alliance", _Namespace, _EntryDetails, atom=True, rss=False)
    generator.id(page.id)
    generator.title(page.title)
    generator.updated(_updated(page, now))
    generator.author(_person(page.publisher))
    generator.generator(GENERATOR)
    generator.link(href=page.self_url, rel="self", type=ATOM_MEDIA_TYPE)
    generator.link(href=page.home_url, rel="alternate", type="text/html")
    if page.next_url:
        generator.link(href=page.next_url, rel="next", type=ATOM_MEDIA_TYPE)  # RFC 5005
    if page.language:
        generator.language(page.language)
    for entry in page.items:
        _atom_entry(generator.add_entry(order="append"), entry, page.language)
    document: bytes = generator.atom_str(pretty=True)
    return document


def _person(network: Network) -> dict[str, str]:
    return {"name": network.name, **({"uri": network.url} if network.url else {})}


def _atom_entry(atom_entry: AtomEntry, entry: FeedItem, language: str | None) -> None:
    item, text = entry.item, _text(entry, language)
    details: _EntryDetails = atom_entry.alliance
    details.language = text.language
    atom_entry.id(item_tag(entry.origin, item.id))
    atom_entry.title(text.title)
    atom_entry.updated(from_wire(item.updated_at))
    if item.published_at:
        atom_entry.published(from_wire(item.published_at))
    atom_entry.author(_person(entry.author))
    if text.summary:
        atom_entry.summary(text.summary, type="text")
    atom_entry.content(safe_html(text.body), type="html")
    atom_entry.category(_categories(item))
    details.links = _atom_links(entry, text)
    translator = _translator(entry, text)
    if translator is not None:
        atom_entry.contributor(_person(translator))
        original = {"original": text.original_language, "translator": text.translator or ""}
        details.elements.append(("translation", original))
    if item.funding:
        funding = item.funding
        call = {"deadline": funding.deadline, "programme": funding.programme, "href": funding.url}
        details.elements.append(("funding", call))


def _categories(item: NewsItemState) -> list[dict[str, str]]:
    label = CATEGORY_LABELS.get(item.category, item.category)
    tags = [{"term": tag, "scheme": TAG_SCHEME} for tag in item.tags]
    return [{"term": item.category, "scheme": CATEGORY_SCHEME, "label": label}, *tags]


def _atom_links(entry: FeedItem, text: Reading) -> list[dict[str, str]]:
    """The page in the text's language, the original one click away, the images, the
    funding call."""
    page = {"rel": "alternate", "type": "text/html"}
    links = [{**page, "href": _with_language(entry.url, text.language), "hreflang": text.language}]
    if text.is_translation:
        original = text.original_language
        links.append({**page, "href": _with_language(entry.url, original), "hreflang": original})
    for image in entry.item.images:
        kind = mimetypes.guess_type(image.url)[0]
        link = {"rel": "enclosure", "href": image.url, "title": image.alt}
        links.append({**link, **({"type": kind} if kind else {})})
    if entry.item.funding:
        links.append({"rel": "related", "href": entry.item.funding.url, "title": "apply"})
    return links


# --- JSON Feed 1.1 -------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class JsonAuthor(_Model):
    name: str
    url: str | None = None


class JsonItem(_Model):
    """A JSON Feed 1.1 item; ``_alliance`` is our extension (the spec's ``_`` prefix)."""

    id: str
    url: str
    title: str
    content_html: str
    summary: str | None = None
    image: str | None = None
    date_published: str | None = None
    date_modified: str
    authors: list[JsonAuthor]
    tags: list[str]
    language: str
    alliance: dict[str, Any] = Field(serialization_alias="_alliance")


class JsonFeed(_Model):
    version: str = JSON_FEED_VERSION
    title: str
    home_page_url: str
    feed_url: str
    next_url: str | None = None
    language: str | None = None
    authors: list[JsonAuthor]
    items: list[JsonItem]


def json_feed(page: FeedPage, now: datetime) -> bytes:
    """The page as a JSON Feed 1.1 document (UTF-8)."""
    document = JsonFeed(
        title=page.title,
        home_page_url=page.home_url,
        feed_url=page.self_url,
        next_url=page.next_url,
        language=page.language,
        authors=[_json_author(page.publisher)],
        items=[_json_item(entry, page.language) for entry in page.items],
    )
    return document.model_dump_json(by_alias=True, exclude_none=True).encode()


def _json_author(network: Network) -> JsonAuthor:
    return JsonAuthor(name=network.name, url=network.url)


def _json_item(entry: FeedItem, language: str | None) -> JsonItem:
    item, text = entry.item, _text(entry, language)
    return JsonItem(
        id=item_tag(entry.origin, item.id),
        url=_with_language(entry.url, text.language),
        title=text.title,
        content_html=safe_html(text.body),
        summary=text.summary or None,
        image=item.images[0].url if item.images else None,
        date_published=item.published_at,
        date_modified=item.updated_at,
        authors=[_json_author(entry.author)],
        tags=list(item.tags),
        language=text.language,
        alliance=_extension(entry, text),
    )


def _extension(entry: FeedItem, text: Reading) -> dict[str, Any]:
    """What JSON Feed has no field for: origin, category, translation, funding, images."""
    item = entry.item
    extension: dict[str, Any] = {
        "origin": entry.origin,
        "category": item.category,
        "category_scheme": CATEGORY_SCHEME,
        "original_language": text.original_language,
        "original_url": _with_language(entry.url, text.original_language),
        "images": [image.model_dump() for image in item.images],
    }
    translator = _translator(entry, text)
    if translator is not None:
        extension["translation"] = {"translator": text.translator, "name": translator.name}
    if item.funding:
        extension["funding"] = item.funding.model_dump()
    return extension


# --- serving -------------------------------------------------------------------------------

Writer = Callable[[FeedPage, datetime], bytes]
FORMATS: dict[str, tuple[Writer, str]] = {
    "atom": (atom, ATOM_MEDIA_TYPE),
    "json": (json_feed, JSON_FEED_MEDIA_TYPE),
}
"""Each format a feed is served in (the path's suffix): its writer and media type."""
FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            ATOM_MEDIA_TYPE: {"schema": {"type": "string"}},
            JSON_FEED_MEDIA_TYPE: {"schema": {"type": "object"}},
        }
    }
}


def feed_requests_counter(registry: CollectorRegistry, scopes: Sequence[str]) -> Counter:
    """alliance_news_feed_requests_total{format, scope}: feeds served, every series
    present from the start (a node's and the hub's feeds count alike)."""
    counter = Counter(
        "alliance_news_feed_requests",
        "News feeds served, by format (atom, json) and scope.",
        ["format", "scope"],
        registry=registry,
    )
    for kind in FORMATS:
        for scope in scopes:
            counter.labels(kind, scope)
    return counter
