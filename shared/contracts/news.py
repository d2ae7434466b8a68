"""Wire contracts of the news service: news items with their translations, translation
requests, digests and joint position papers.

Every event carries its aggregate's whole state (like ``EventState``), so a replica never
needs an older event to be complete. On the node's own ``local`` channel every event
travels, drafts and ``node``-only items included; on the ``alliance`` channel only
published ``public`` and ``alliance`` items, and a withdrawal when one leaves the
alliance's view.

Texts: ``body`` is HTML already sanitised by its owner (``shared/sanitise.py``);
a reader sanitises it again before showing it (never trust another node's HTML).
Languages are BCP 47 tags (``ro``, ``fr``, ``pt-BR``), in their canonical case.
Times are RFC 3339 in UTC; a funding deadline is a calendar date (``2027-03-31``).
"""

from __future__ import annotations

from enum import StrEnum

from shared.contracts.base import Contract, Event, Visibility, Withdrawal
from shared.contracts.catalogue import EventCatalogue
from shared.contracts.news_digests import DigestIssued
from shared.contracts.news_papers import PositionPaperPublished
from shared.contracts.news_translations import TranslationRequestChanged, TranslationRequested

SERVICE = "news"


class Category(StrEnum):
    """What a news item is about (Declaration §1 to §4)."""

    NETWORK_NEWS = "network_news"  # the network's own activities (§1)
    MEMBER_NEWS = "member_news"  # a member cluster's activities (§1)
    POLICY_UPDATE = "policy_update"  # cluster policy in the country (§2)
    FUNDING_OPPORTUNITY = "funding_opportunity"  # a call, with a deadline (§2)
    BEST_PRACTICE = "best_practice"  # (§3)
    EVENT_REPORT = "event_report"
    POSITION_PAPER = "position_paper"  # a joint recommendation (§4)


class ItemStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class WithdrawalReason(StrEnum):
    WITHDRAWN = "withdrawn"  # taken down by the owner
    RESTRICTED = "restricted"  # made node-only: gone from the alliance's view


class Image(Contract):
    """An image by URL (nodes store no files), with the text that replaces it."""

    url: str
    alt: str = ""


class Funding(Contract):
    """What a funding-opportunity item must say: until when, under which programme."""

    deadline: str  # a calendar date, ISO 8601 (2027-03-31); past it the call is closed
    programme: str  # e.g. "Horizon Europe", "Interreg Danube"
    url: str  # where to apply


class Translation(Contract):
    """One translation of an item, by a network, accepted and published by the owner.

    A translation never changes the original: it is the same item in another language.
    """

    language: str  # BCP 47, never the original's
    translator: str  # node id of the network that translated it
    title: str
    summary: str
    body: str  # sanitised HTML
    published_at: str  # RFC 3339, UTC


class NewsItemState(Event):
    """The whole state of a news item, as its owner node holds it."""

    category: str  # Category
    language: str  # BCP 47: the language the original is written in
    title: str
    summary: str
    body: str  # sanitised HTML
    images: list[Image] = []
    cluster: str | None = None  # a member cluster of the owner network, by id
    about_networks: list[str] = []  # node ids of partner networks the item is about
    funding: Funding | None = None  # for funding opportunities, always
    tags: list[str] = []
    country: str  # the owner network's country (ISO 3166-1 alpha-2)
    visibility: Visibility
    status: str  # ItemStatus
    published_at: str | None = None  # RFC 3339 UTC, first publication
    updated_at: str
    translations: list[Translation] = []


class NewsItemPublished(NewsItemState):
    """An item was published (or, on the local channel, drafted)."""


class NewsItemRevised(NewsItemState):
    """A published item changed: its text, or a translation was added."""


class NewsItemWithdrawn(Withdrawal):
    """The item was withdrawn, or is no longer shared: forget it."""


CATALOGUE_TABLE: dict[type[Event], str] = {
    NewsItemPublished: "item.published",
    NewsItemRevised: "item.revised",
    NewsItemWithdrawn: "item.withdrawn",
    DigestIssued: "digest.issued",  # shared/contracts/news_digests.py
    PositionPaperPublished: "paper.published",  # joint position papers (news_papers.py)
    TranslationRequested: "request.opened",  # shared/contracts/news_translations.py
    TranslationRequestChanged: "request.changed",
}
"""The news items' events; the other parts of the service (translation requests,
digests, papers) add theirs to the catalogue in ``CATALOGUE`` below."""

CATALOGUE = EventCatalogue(SERVICE, CATALOGUE_TABLE)
