"""Newsletter digests: which items a network's digest of a period features. Pure.

A digest is one network's newsletter for a period (an ISO week, a calendar month, or a
range of days) in one language. Its staff build it from the node's news (own items and
the partners' replicas): by default every own item published in the period, plus every
partner item the staff tick; they may leave own items out. A digest is read by anyone
(it goes to members by e-mail and is shown as a page), so it features ``public`` items
only: a partner's ``alliance`` item ticked is refused, naming it. Items are shown in the
digest's language when a translation into it exists, else as the original, marked with
its language. A period with nothing to feature issues no digest (``NothingNew``, 422),
never an empty mail. An issued digest keeps what it showed (its entries) and never
changes; ``DigestIssued`` announces which ``(origin, item)`` pairs it featured.

Who may do what (``services/news/digest_routes.py``): this node's staff (editor or admin
token, or a console session) preview and issue digests; anyone reads an issued one.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from services.news.domain import LanguageTag, NodeId, reading
from shared.aggregate import Aggregate
from shared.contracts.base import Visibility
from shared.contracts.news import ItemStatus, NewsItemState
from shared.contracts.news_digests import DigestIssued, FeaturedItem, PeriodKind
from shared.errors import DomainError
from shared.instants import from_wire, wire_time

MAX_DAYS = 92  # a custom range covers at most a quarter: a newsletter, not an archive
MAX_PICKS = 200


class NothingNew(DomainError):
    """The period holds nothing to feature: no digest (an empty newsletter is noise)."""


class ItemRef(BaseModel):
    """One news item, by its owner node and its id there (what the staff tick)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    origin: NodeId
    item: str = Field(min_length=1, max_length=128)


class DigestRequest(BaseModel):
    """What the staff ask for: the period, the language, their picks; typos are a 422."""

    model_config = ConfigDict(extra="forbid")

    period: PeriodKind
    start: date  # week: any day of it; month: any day of it; custom: the first day
    end: date | None = None  # custom only: the last day, included
    language: LanguageTag  # BCP 47, canonical case (the news items' rule)
    partners: list[ItemRef] = Field(default=[], max_length=MAX_PICKS)  # ticked partner items
    exclude: list[ItemRef] = Field(default=[], max_length=MAX_PICKS)  # own items left out


@dataclass(frozen=True)
class Period:
    """The days a digest covers, ``start`` to ``end`` included, in UTC."""

    kind: PeriodKind
    start: date
    end: date

    @classmethod
    def of(cls, kind: PeriodKind, start: date, end: date | None = None) -> Self:
        """The week or month holding ``start``, or the range ``start`` to ``end``."""
        if kind is not PeriodKind.CUSTOM and end is not None:
            raise DomainError(f"a {kind.value} has no end date: give only start", "end")
        if kind is PeriodKind.WEEK:
            monday = start - timedelta(days=start.weekday())
            return cls(kind, monday, monday + timedelta(days=6))
        if kind is PeriodKind.MONTH:
            last = calendar.monthrange(start.year, start.month)[1]
            return cls(kind, start.replace(day=1), start.replace(day=last))
        if end is None:
            raise DomainError("a custom period needs its last day", "end")
        if end < start:
            raise DomainError("the last day is before the first", "end")
        if (end - start).days + 1 > MAX_DAYS:
            raise DomainError(f"a custom period is at most {MAX_DAYS} days", "end")
        return cls(kind, start, end)

    def contains(self, moment: str | None) -> bool:
        """Whether an RFC 3339 instant falls on one of the period's days (UTC)."""
        if not moment:
            return False
        at = from_wire(moment).astimezone(UTC)
        return self.start <= at.date() <= self.end

    def bounds(self) -> tuple[str, str]:
        """The period as RFC 3339 instants, [first midnight, the midnight after the end)."""
        first = datetime.combine(self.start, time(), UTC)
        after = datetime.combine(self.end + timedelta(days=1), time(), UTC)
        return wire_time(first), wire_time(after)


@dataclass(frozen=True)
class Candidate:
    """A news item this node holds (own or a partner's replica), as the digest sees it."""

    origin: str
    state: NewsItemState

    @property
    def ref(self) -> ItemRef:
        return ItemRef(origin=self.origin, item=self.state.id)

    def shareable(self, period: Period) -> bool:
        """Published, public, and first published within the period."""
        state = self.state
        return (
            state.status == ItemStatus.PUBLISHED.value
            and state.visibility == Visibility.PUBLIC.value
            and period.contains(state.published_at)
        )


def choose(
    node: str, period: Period, candidates: Iterable[Candidate], request: DigestRequest
) -> list[Candidate]:
    """The items a digest features: own ones in the period but those left out, and the
    partner items ticked; a pick that is not a public item of the period is refused."""
    held = {c.ref: c for c in candidates if c.shareable(period)}
    _check_picks(node, held, request.partners, "partners", own=False)
    _check_picks(node, held, request.exclude, "exclude", own=True)
    left_out, ticked = set(request.exclude), set(request.partners)
    own = [c for ref, c in held.items() if ref.origin == node and ref not in left_out]
    partners = [c for ref, c in held.items() if ref.origin != node and ref in ticked]
    if not own and not partners:
        raise NothingNew(
            f"nothing new from {period.start} to {period.end}: no digest is issued", "period"
        )
    return _newest_first(own) + _newest_first(partners)


def _check_picks(
    node: str, held: dict[ItemRef, Candidate], picks: Sequence[ItemRef], field: str, own: bool
) -> None:
    for index, ref in enumerate(picks):
        if (ref.origin == node) != own or ref not in held:
            whose = "an own" if own else "a partner's"
            raise DomainError(
                f"{ref.origin}/{ref.item} is not {whose} public item published in the period",
                f"{field}[{index}]",
            )


def _newest_first(items: list[Candidate]) -> list[Candidate]:
    return sorted(items, key=lambda c: c.state.published_at or "", reverse=True)


class DigestEntry(BaseModel):
    """One item as the digest shows it: in the digest's language when translated."""

    model_config = ConfigDict(frozen=True)

    origin: str
    item: str
    category: str
    title: str
    summary: str
    language: str  # the language the text below is shown in
    original_language: str
    translated_by: str | None = None  # the translating network, when shown translated
    marked: bool = False  # shown in another language than the digest's: the reader is told
    published_at: str

    @classmethod
    def of(cls, candidate: Candidate, language: str) -> Self:
        """The item in ``language`` when a translation exists, else its original, marked
        when its language is not the digest's (the news' own rule: ``reading``)."""
        state = candidate.state
        shown = reading(state, [language])
        return cls(
            origin=candidate.origin,
            item=state.id,
            category=state.category,
            title=shown.title,
            summary=shown.summary,
            language=shown.language,
            original_language=state.language,
            translated_by=shown.translator,
            marked=_primary(shown.language) != _primary(language),
            published_at=state.published_at or "",
        )


def _primary(tag: str) -> str:
    return tag.split("-")[0].lower()


class Digest(Aggregate):
    """An issued digest: what it showed, kept as it was (items may change later)."""

    network: str
    period: PeriodKind
    start: str  # ISO date (BSON stores no bare dates)
    end: str
    language: str
    entries: list[DigestEntry]
    issued_at: datetime

    @classmethod
    def issue(
        cls,
        digest_id: str,
        node: str,
        period: Period,
        language: str,
        chosen: Sequence[Candidate],
        now: datetime,
    ) -> Self:
        """Issue the digest of ``chosen`` items and record its announcement."""
        digest = cls(
            id=digest_id,
            version=1,
            updated_at=now,
            network=node,
            period=period.kind,
            start=period.start.isoformat(),
            end=period.end.isoformat(),
            language=language,
            entries=[DigestEntry.of(c, language) for c in chosen],
            issued_at=now,
        )
        issued = digest.issued()
        digest.record(issued, issued)  # no personal data, no text: the alliance may know
        return digest

    def issued(self) -> DigestIssued:
        """The announcement: the featured pairs only (the hub counts them)."""
        return DigestIssued(
            id=self.id,
            network=self.network,
            period=self.period.value,
            start=self.start,
            end=self.end,
            language=self.language,
            featured=[FeaturedItem(origin=e.origin, item=e.item) for e in self.entries],
            issued_at=wire_time(self.issued_at),
        )


def build(
    digest_id: str,
    node: str,
    request: DigestRequest,
    candidates: Iterable[Candidate],
    now: datetime,
) -> Digest:
    """The digest a request makes of the items this node holds (a preview is not saved)."""
    period = Period.of(request.period, request.start, request.end)
    chosen = choose(node, period, candidates, request)
    return Digest.issue(digest_id, node, period, request.language, chosen, now)
