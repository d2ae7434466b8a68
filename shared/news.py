"""News items as readers get them, on a node and on the hub portal alike.

Services never import each other, yet a node's news service and the hub's portal both
show and feed the same items: this is the one place that checks a language tag
(``language_tag``), reads an item in one's language (``reading``) and computes the keys
its replica is filtered and paged by (``news_keys``, ``NewsFilter``), so a filter finds
the same items on a node and on the hub. Pure: states in, values out (the queries on a
collection are in ``shared/news_reads.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import langcodes
from babel.core import negotiate_locale

from shared.contracts import news as contract
from shared.contracts.base import Event, Visibility
from shared.errors import DomainError, shorten
from shared.instants import from_wire

__all__ = [
    "NEWEST",
    "NewsFilter",
    "Reading",
    "checked_language",
    "compact",
    "language_tag",
    "news_keys",
    "reading",
]

Document = dict[str, Any]  # as shared.store names it; this module does no I/O
NEWEST = 10**12  # page keys count down from here: newest first in ascending order


# --- languages ----------------------------------------------------------------------------


def language_tag(value: str) -> str:
    """A well-formed, registered BCP 47 tag in its canonical case (``pt-br`` → ``pt-BR``)."""
    value = value.strip()
    if not langcodes.tag_is_valid(value):
        raise ValueError(
            f"{shorten(value, 40)!r} is not a BCP 47 language tag such as ro, fr or pt-BR"
        )
    return langcodes.standardize_tag(value)


def checked_language(tag: str | None, field: str = "language") -> str | None:
    """A BCP 47 tag from a query, canonical; a 422 naming ``field`` when it is not one."""
    if tag is None:
        return None
    try:
        return language_tag(tag)
    except ValueError as exc:
        raise DomainError(str(exc), field) from None


# --- reading in one's language -----------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """The text a reader gets: the original, or a translation marked as one."""

    language: str
    title: str
    summary: str
    body: str
    translator: str | None  # None: the original
    original_language: str

    @property
    def is_translation(self) -> bool:
        return self.translator is not None


def reading(item: contract.NewsItemState, wanted: list[str]) -> Reading:
    """The item in the first of ``wanted`` languages it exists in (best first, as
    Accept-Language or the switch orders them); the original when none matches."""
    texts = {t.language: t for t in item.translations}
    available = [item.language, *texts]
    chosen = negotiate_locale(wanted, available, sep="-") if wanted else None
    chosen = chosen or _by_primary(wanted, available) or item.language
    translation = texts.get(chosen)
    if translation is None:
        return Reading(item.language, item.title, item.summary, item.body, None, item.language)
    return Reading(
        translation.language,
        translation.title,
        translation.summary,
        translation.body,
        translation.translator,
        item.language,
    )


def _by_primary(wanted: list[str], available: list[str]) -> str | None:
    """``fr-CA`` wanted finds ``fr-FR`` written: the same language, another region."""
    for tag in wanted:
        primary = tag.split("-")[0].lower()
        for candidate in available:
            if candidate.split("-")[0].lower() == primary:
                return candidate
    return None


# --- the replica's keys and filters ------------------------------------------------------


def compact(moment: str) -> str:
    """An RFC 3339 instant as ``20270318T073000Z``: nx-27017 compares a string that
    starts like an ISO date-time as a date, and a range on it then finds nothing."""
    return moment.replace("-", "").replace(":", "")


def news_keys(event: Event) -> Document:
    """What the news filters and pages a (replicated) item by.

    ``page`` puts the newest first (published, else last updated), then the item id, so
    it is a unique cursor; ``deadline`` orders funding calls (``~`` for none: after any
    date)."""
    assert isinstance(event, contract.NewsItemState)
    shown = event.published_at or event.updated_at
    seconds = int(from_wire(shown).timestamp())
    published = event.status == contract.ItemStatus.PUBLISHED.value
    return {
        "page": f"{NEWEST - seconds:013d}|{event.id}",
        "public": event.visibility == Visibility.PUBLIC.value and published,
        "published": published,
        "category": event.category,
        "country": event.country.upper(),
        "languages": sorted({event.language, *(t.language for t in event.translations)}),
        "tags": sorted(set(event.tags)),
        "shown": compact(shown),
        "deadline": event.funding.deadline.replace("-", "") if event.funding else "~",
    }


@dataclass(frozen=True)
class NewsFilter:
    """What a news request may narrow by; all optional. Dates are ``YYYYMMDD``."""

    category: str | None = None
    network: str | None = None
    country: str | None = None
    language: str | None = None
    tag: str | None = None
    since: str | None = None  # shown on or after this day
    until: str | None = None  # shown before this day
    public_only: bool = True
    published_only: bool = False

    def query(self) -> Document:
        query: Document = {"deleted": False}
        if self.public_only:
            query["keys.public"] = True
        if self.published_only:
            query["keys.published"] = True
        if self.category:
            query["keys.category"] = self.category
        if self.network:
            query["origin"] = self.network
        if self.country:
            query["keys.country"] = self.country.upper()
        if self.language:
            query["keys.languages"] = {"$in": [self.language]}
        if self.tag:
            query["keys.tags"] = {"$in": [self.tag.lower()]}
        shown: Document = {}
        if self.since:
            shown["$gte"] = self.since
        if self.until:
            shown["$lt"] = self.until
        if shown:
            query["keys.shown"] = shown
        return query
