"""The news domain: a news item owned by the node that writes it, and its rules.

Pure logic: no I/O. The owner's staff draft an item, publish it, revise it and may
withdraw it (an admin). Its body is rich text, sanitised when it is written
(``shared/sanitise.py``): what was removed is reported, never silently dropped.
An item has an original, in the language it was written in (a BCP 47 tag), and any
number of translations by partner networks (``add_translation``): a translation never
changes the original's text, and a reader gets the item in their language when one
exists (``reading``).

Errors a user can cause (``shared.errors``): ``DomainError`` (422) naming the field,
``NotFound`` (404), ``Gone`` (410, a withdrawn item). Malformed input is refused by
``NewsItemDraft`` itself (pydantic's ValidationError, 422 naming the field).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from shared.aggregate import Aggregate, AggregateDeleted
from shared.contracts import news as contract
from shared.contracts.base import Event as ContractEvent
from shared.contracts.base import Visibility
from shared.contracts.news import Category, ItemStatus
from shared.errors import DomainError, NotFound, shorten
from shared.fields import Input, Tag, Url, refuse_nul
from shared.instants import wire_time
from shared.news import Reading, language_tag, reading  # shared with the hub portal
from shared.sanitise import sanitise
from shared.subjects import is_valid_node_id

__all__ = [
    "AggregateDeleted",
    "Category",
    "DomainError",
    "Funding",
    "Image",
    "ItemStatus",
    "NewsItem",
    "NewsItemDraft",
    "NotFound",
    "Reading",
    "TranslationDraft",
    "language_tag",
    "reading",
]

# Characters of HTML: a long article. An item's events carry the original and every
# translation, and an event may carry 64 KiB (shared/envelope.py): an item whose
# translations would pass that is refused with a 413 naming the limit.
MAX_BODY = 20_000
MAX_TRANSLATIONS = 24  # the EU's official languages


# --- field types -------------------------------------------------------------------------


def _node_id(value: str) -> str:
    if not is_valid_node_id(value):
        raise ValueError(f"{shorten(value, 40)!r} is not a network's node id (such as fr-clusters)")
    return value


LanguageTag = Annotated[
    str, StringConstraints(strict=True, max_length=35), AfterValidator(language_tag)
]
Title = Annotated[
    str,
    BeforeValidator(refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=300),
]
Summary = Annotated[
    str,
    BeforeValidator(refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, max_length=1000),
]
Body = Annotated[
    str, BeforeValidator(refuse_nul), StringConstraints(strict=True, max_length=MAX_BODY)
]
NodeId = Annotated[str, StringConstraints(strict=True, max_length=64), AfterValidator(_node_id)]
Text = Annotated[
    str,
    BeforeValidator(refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, max_length=300),
]


class Image(Input):
    """An image by URL, with the text a screen reader says instead."""

    url: Url
    alt: Text = ""


class Funding(Input):
    """A funding opportunity's call: a deadline (a date; past it the call is closed),
    the programme and where to apply."""

    deadline: date
    programme: Annotated[Text, StringConstraints(min_length=1)]
    url: Url

    @field_validator("deadline")
    @classmethod
    def _plausible(cls, deadline: date) -> date:
        if not 2000 <= deadline.year <= 2199:
            raise ValueError("give a deadline between 2000 and 2199")
        return deadline


class NewsItemDraft(Input):
    """What the owner's staff submit to write or revise an item.

    ``body`` is HTML; it is sanitised when the item takes it (``NewsItem``), and the
    answer says what was removed. A funding opportunity needs its ``funding`` (deadline,
    programme, link); other categories have none.
    """

    category: Category
    language: LanguageTag
    title: Title
    summary: Summary = ""
    body: Body = ""
    images: Annotated[list[Image], Field(max_length=20)] = []
    cluster: Annotated[str, StringConstraints(strict=True, max_length=128)] | None = None
    about_networks: Annotated[list[NodeId], Field(max_length=40)] = []
    funding: Funding | None = Field(None, validate_default=True)
    tags: Annotated[list[Tag], Field(max_length=30)] = []
    visibility: Visibility = Visibility.ALLIANCE

    @field_validator("funding")
    @classmethod
    def _funding_fits_category(
        cls, funding: Funding | None, info: ValidationInfo
    ) -> Funding | None:
        category = info.data.get("category")
        if category is Category.FUNDING_OPPORTUNITY and funding is None:
            raise ValueError("a funding opportunity needs its funding: deadline, programme and url")
        if category is not None and category is not Category.FUNDING_OPPORTUNITY and funding:
            raise ValueError("only a funding opportunity has funding details")
        return funding

    def unique_lists(self) -> Self:
        """The same draft with repeated tags and networks dropped (first kept)."""
        return self.model_copy(
            update={
                "tags": list(dict.fromkeys(self.tags)),
                "about_networks": list(dict.fromkeys(self.about_networks)),
            }
        )


class TranslationDraft(Input):
    """A translation a partner network submits: the item's texts in ``language``."""

    language: LanguageTag
    title: Title
    summary: Summary = ""
    body: Body = ""


# --- the aggregate -----------------------------------------------------------------------


class NewsItem(NewsItemDraft, Aggregate):
    """A news item, owned by the node that wrote it.

    Each change records its full event (for this node's services) and what the alliance
    may see of it: the state once published and shared, a withdrawal when it stops being
    shared, nothing while it is a draft or ``node``-only.
    """

    status: ItemStatus = ItemStatus.DRAFT
    country: str  # the owner network's country: readers filter by it
    published_at: datetime | None = None
    translations: list[contract.Translation] = []

    @classmethod
    def draft(
        cls, id: str, country: str, draft: NewsItemDraft, now: datetime
    ) -> tuple[Self, list[str]]:
        """A new item at version 1, a draft, and what sanitising removed from its body."""
        fields, removed = _clean(draft)
        item = cls.model_validate(
            {**fields, "id": id, "country": country, "version": 1, "updated_at": now}
        )
        item._announce(was_shared=False, first_shown=False)
        return item, removed

    def revise(self, draft: NewsItemDraft, now: datetime) -> list[str]:
        """Replace what the staff edit; translations of another language stay.

        A change of the original's language drops a translation into the new one (the
        original now is that language)."""
        self._live()
        was_shared = self.is_shared
        fields, removed = _clean(draft)
        self.bump(now)
        for name, value in fields.items():
            setattr(self, name, value)
        self.translations = [t for t in self.translations if t.language != self.language]
        self._announce(was_shared, first_shown=False)
        return removed

    def publish(self, now: datetime) -> None:
        """Draft → published: from now on it may leave the node."""
        self._live()
        if self.status is ItemStatus.PUBLISHED:
            raise DomainError("the item is already published", "status")
        was_shared = self.is_shared
        self.bump(now)
        self.status = ItemStatus.PUBLISHED
        self.published_at = now
        self._announce(was_shared, first_shown=True)

    def withdraw(self, now: datetime) -> None:
        """Take it down everywhere (a tombstone): replicas forget it; final."""
        was_shared = self.is_shared
        self.bump(now)
        self.deleted = True
        self._announce(was_shared, first_shown=False)

    def add_translation(self, draft: TranslationDraft, translator: str, now: datetime) -> list[str]:
        """Publish a partner's translation beside the original (which never changes); a
        newer one into the same language replaces the older. What sanitising removed is
        returned."""
        self._live()
        if same_language(draft.language, self.language):
            raise DomainError(
                f"the original is already in {self.language!r}: a translation needs "
                "another language",
                "language",
            )
        others = [t for t in self.translations if t.language != draft.language]
        if len(others) >= MAX_TRANSLATIONS:
            raise DomainError(f"an item has at most {MAX_TRANSLATIONS} translations", "language")
        cleaned = sanitise(draft.body)
        was_shared = self.is_shared
        self.bump(now)
        translation = contract.Translation(
            language=draft.language,
            translator=translator,
            title=draft.title,
            summary=draft.summary,
            body=cleaned.html,
            published_at=wire_time(now),
        )
        self.translations = [*others, translation]
        self._announce(was_shared, first_shown=False)
        return cleaned.removed

    # -- reads ---------------------------------------------------------------------------
    @property
    def is_shared(self) -> bool:
        """Does the alliance hold this item (published, shared, not withdrawn)?"""
        return (
            not self.deleted and self.status is ItemStatus.PUBLISHED and self.visibility.leaves_node
        )

    # -- internals -----------------------------------------------------------------------
    def _live(self) -> None:
        if self.deleted:
            raise AggregateDeleted(f"news item {self.id!r} was withdrawn")

    def _announce(self, was_shared: bool, first_shown: bool) -> None:
        event = self._event(first_shown)
        if self.is_shared:
            shared: ContractEvent | None = event
        elif was_shared:
            reason = (
                contract.WithdrawalReason.WITHDRAWN
                if self.deleted
                else contract.WithdrawalReason.RESTRICTED
            )
            shared = contract.NewsItemWithdrawn(id=self.id, reason=reason.value)
        else:
            shared = None
        self.record(event, shared)

    def _event(self, first_shown: bool) -> ContractEvent:
        if self.deleted:
            return contract.NewsItemWithdrawn(
                id=self.id, reason=contract.WithdrawalReason.WITHDRAWN.value
            )
        drafted = self.status is ItemStatus.DRAFT
        kind = contract.NewsItemPublished if first_shown or drafted else contract.NewsItemRevised
        state = self.model_dump(mode="json")
        state["updated_at"] = wire_time(self.updated_at)
        state["published_at"] = wire_time(self.published_at) if self.published_at else None
        return kind.model_validate(state)


def _clean(draft: NewsItemDraft) -> tuple[dict[str, Any], list[str]]:
    """The draft's fields with the body sanitised, and what sanitising removed."""
    draft = draft.unique_lists()
    cleaned = sanitise(draft.body)
    fields = {name: getattr(draft, name) for name in NewsItemDraft.model_fields}
    fields["body"] = cleaned.html
    return fields, cleaned.removed


def same_language(one: str, other: str) -> bool:
    """``fr`` and ``fr-FR`` are one language for a translation's purpose (``pt-BR`` and
    ``pt-PT`` are not: a translation between them is real work)."""
    return one == other or one.split("-")[0] == other or other.split("-")[0] == one


def funding_open(funding: contract.Funding, today: date) -> bool:
    """A call is open until the end of its deadline day."""
    return date.fromisoformat(funding.deadline) >= today
