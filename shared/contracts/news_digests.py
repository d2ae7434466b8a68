"""Wire contract of the newsletter digests: what a node announces when it issues one.

A digest is a network's newsletter for a period (a week, a month or a range of days) in
one language. Once issued it is announced on the alliance channel (``DigestIssued``) so
the hub can count, for the twice-a-year promise, which partners' items each network
featured. The event carries no text and no personal data: the issuing network, the
period, the language, and the ``(origin, item id)`` pairs it featured. The digest's
content stays on its node (``GET /api/news/digests/{id}``).
"""

from __future__ import annotations

from enum import StrEnum

from shared.contracts.base import Contract, Event


class PeriodKind(StrEnum):
    """How a digest's period was chosen: an ISO week, a calendar month, or any range."""

    WEEK = "week"
    MONTH = "month"
    CUSTOM = "custom"


class FeaturedItem(Contract):
    """One news item a digest featured: its owner node and its id there."""

    origin: str
    item: str


class DigestIssued(Event):
    """A network issued a digest (``id`` is the digest's); it never changes afterwards."""

    network: str  # node id of the issuing network (the envelope's origin)
    period: str  # PeriodKind
    start: str  # first day of the period, ISO 8601 date
    end: str  # last day of the period (included), ISO 8601 date
    language: str  # BCP 47: the digest's language
    featured: list[FeaturedItem]
    issued_at: str  # RFC 3339, UTC
