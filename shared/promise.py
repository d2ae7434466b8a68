"""The twice-a-year promise (Bucharest Declaration §1), counted. Pure.

Services never import each other, yet a node's news service (its console's own row,
``services/news/promise_routes.py``) and the hub's portal (the matrix, ``/promise``)
count the same mentions; this is the one place that does it, so the two agree.

For an ordered pair of member networks (A, B): how many of B's activities A communicated
in the last 12 months. A *mention* of B by A is one of

- ``translation``: A translated one of B's items and B published it (``Translation``
  with ``translator`` A in B's item, at the translation's ``published_at``);
- ``digest``: A's digest featured one of B's items (``DigestIssued``, at ``issued_at``);
- ``about``: A published an item tagged with B (``about_networks``, at ``published_at``).

What counts is **distinct news items**: an item is counted once per pair however many
ways it was communicated (B's item translated by A *and* featured in two of A's digests
is one item: A told its members about that activity once, in more forms). Each kind
also counts its own distinct items, for the breakdown. Only what the alliance may see
counts (``node``-only items never reach the hub), so a node's own row and the hub's
matrix agree. The window is the 365 days up to now, both ends included; a mention dated
after now (a clock ahead) is not counted yet. A pair keeps the promise when both
directions reach ``MINIMUM`` (2) items; a partner is *not featured lately* when A's last
mention of it is older than ``LATELY`` (about six months, half the promise) or absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.contracts.base import Visibility
from shared.contracts.news import ItemStatus, NewsItemState
from shared.contracts.news_digests import DigestIssued
from shared.instants import from_wire

WINDOW = timedelta(days=365)
LATELY = timedelta(days=183)
MINIMUM = 2


class MentionKind(StrEnum):
    TRANSLATION = "translation"
    DIGEST = "digest"
    ABOUT = "about"


@dataclass(frozen=True)
class Mention:
    """Network ``by`` communicated an activity of network ``about`` through ``item``."""

    by: str
    about: str
    kind: MentionKind
    item: tuple[str, str]  # (origin, item id)
    at: datetime


def item_mentions(origin: str, state: NewsItemState) -> list[Mention]:
    """What one published, shared item says: whom it is about, who translated it."""
    if state.status != ItemStatus.PUBLISHED.value or state.visibility == Visibility.NODE.value:
        return []
    key = (origin, state.id)
    found = [
        Mention(origin, partner, MentionKind.ABOUT, key, from_wire(state.published_at))
        for partner in dict.fromkeys(state.about_networks)
        if partner != origin and state.published_at
    ]
    found += [
        Mention(t.translator, origin, MentionKind.TRANSLATION, key, from_wire(t.published_at))
        for t in state.translations
        if t.translator != origin
    ]
    return found


def digest_mentions(issued: DigestIssued) -> list[Mention]:
    """The partners' items a digest featured (its network's own are not mentions)."""
    at = from_wire(issued.issued_at)
    return [
        Mention(issued.network, f.origin, MentionKind.DIGEST, (f.origin, f.item), at)
        for f in issued.featured
        if f.origin != issued.network
    ]


@dataclass
class PairCount:
    """What A (``by``) communicated of B (``about``) within the window."""

    by: str
    about: str
    items: set[tuple[str, str]] = field(default_factory=set)
    kinds: dict[MentionKind, set[tuple[str, str]]] = field(default_factory=dict)
    last: datetime | None = None

    @property
    def count(self) -> int:
        return len(self.items)

    def of_kind(self, kind: MentionKind) -> int:
        return len(self.kinds.get(kind, ()))

    def summary(self) -> dict[str, Any]:
        """As the APIs show it: items, items per kind, the last mention's time."""
        return {
            "items": self.count,
            "kinds": {kind.value: self.of_kind(kind) for kind in MentionKind},
            "last": self.last.isoformat() if self.last else None,
        }

    def add(self, mention: Mention) -> None:
        self.items.add(mention.item)
        self.kinds.setdefault(mention.kind, set()).add(mention.item)
        if self.last is None or mention.at > self.last:
            self.last = mention.at


def count(mentions: Iterable[Mention], now: datetime) -> dict[tuple[str, str], PairCount]:
    """Distinct items per ordered pair (by, about) in the 365 days up to ``now``."""
    counts: dict[tuple[str, str], PairCount] = {}
    for mention in mentions:
        if not now - WINDOW <= mention.at <= now:
            continue
        pair = (mention.by, mention.about)
        counts.setdefault(pair, PairCount(*pair)).add(mention)
    return counts


def between(counts: dict[tuple[str, str], PairCount], by: str, about: str) -> PairCount:
    """The count of one ordered pair (zero when nothing was mentioned)."""
    return counts.get((by, about)) or PairCount(by, about)


@dataclass(frozen=True)
class Pair:
    """An unordered pair of networks, both directions: the matrix's unit."""

    first: str
    second: str
    forth: PairCount  # first about second
    back: PairCount  # second about first

    @property
    def kept(self) -> bool:
        """The promise: each told its members of the other at least twice this year."""
        return self.forth.count >= MINIMUM and self.back.count >= MINIMUM


def pairs(networks: Sequence[str], counts: dict[tuple[str, str], PairCount]) -> list[Pair]:
    """Every pair of member networks once, in the order given."""
    return [
        Pair(a, b, between(counts, a, b), between(counts, b, a))
        for index, a in enumerate(networks)
        for b in networks[index + 1 :]
    ]


@dataclass(frozen=True)
class RowEntry:
    """One partner in a network's own row: how often featured, and whether lately."""

    partner: str
    featured: PairCount  # this network about the partner
    featured_by: PairCount  # the partner about this network

    @property
    def kept(self) -> bool:
        """The promise between this network and the partner, both ways."""
        return self.featured.count >= MINIMUM and self.featured_by.count >= MINIMUM

    def lately(self, now: datetime) -> bool:
        last = self.featured.last
        return last is not None and now - last <= LATELY


def row(
    node: str, partners: Sequence[str], counts: dict[tuple[str, str], PairCount]
) -> list[RowEntry]:
    """A network's own row: each partner, least featured first."""
    entries = [
        RowEntry(p, between(counts, node, p), between(counts, p, node))
        for p in partners
        if p != node
    ]
    return sorted(entries, key=lambda e: (e.featured.count, e.partner))
