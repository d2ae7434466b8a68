"""Wire contracts of translation requests between networks (the news service).

A network asks for a translation of one of its published, shared news items into a
language. The request is the owner node's aggregate (``request``): its whole state is
announced on both channels (``TranslationRequested`` first, ``TranslationRequestChanged``
after; both in ``shared.contracts.news.CATALOGUE_TABLE``, aggregate ``request``), so
every partner's console lists the open ones from its replicas. It names networks only
(node ids), never a person.

Claims, submissions and the answers to them are direct messages between the claimer's
node and the owner node (``shared.direct``); the owner decides, in inbox order, so the
first claim wins. ``DIRECT`` is this part of the news service's direct catalogue
(``services/news/app.py`` joins it).

Times are RFC 3339 in UTC; languages BCP 47 tags in their canonical case.
"""

from __future__ import annotations

from enum import StrEnum

from shared.contracts.base import Event


class RequestStatus(StrEnum):
    """Where a translation request stands (services/news/translations.py: the rules)."""

    OPEN = "open"  # waiting for a partner to claim it
    CLAIMED = "claimed"  # a partner holds it until ``claimed_until``
    SUBMITTED = "submitted"  # the claimer sent a translation; the owner's staff decide
    RETURNED = "returned"  # sent back with a reason; the claimer may submit again
    ACCEPTED = "accepted"  # published beside the original, with the translator network
    CLOSED = "closed"  # the owner withdrew the request


class TranslationRequestState(Event):
    """The whole state of a translation request, as its owner holds it (no submitted
    text: that stays on the owner node until it is accepted and published)."""

    item_id: str  # the owner's news item
    language: str  # the language wanted
    original_language: str  # the item's
    status: str  # RequestStatus
    note: str = ""  # a word from the owner's staff to the translators
    claimer: str | None = None  # node id of the network holding the claim
    claimed_until: str | None = None  # when that claim lapses unless submitted
    returned_reason: str = ""  # why the owner sent the last submission back
    translator: str | None = None  # once accepted: the network that translated it
    requested_at: str
    updated_at: str


class TranslationRequested(TranslationRequestState):
    """A network asked for a translation of one of its items."""


class TranslationRequestChanged(TranslationRequestState):
    """A request was claimed, submitted, returned, accepted, closed, or its claim lapsed."""


class TranslationClaimed(Event):
    """Claimer → owner: this network will translate request ``id``."""

    item_id: str
    language: str
    claimed_at: str


class ClaimGranted(Event):
    """Owner → claimer: the claim on request ``id`` holds until ``until``."""

    until: str


class ClaimRefused(Event):
    """Owner → claimer: a claim (or a submission) on request ``id`` was not taken.

    ``holder`` and ``until`` name the network holding the request, when another does."""

    reason: str
    holder: str | None = None
    until: str | None = None


class TranslationSubmitted(Event):
    """Claimer → owner: the translation of request ``id``, for the owner's staff."""

    language: str
    title: str
    summary: str = ""
    body: str = ""  # HTML; the owner sanitises it again
    submitted_at: str


DIRECT: dict[type[Event], str] = {
    TranslationClaimed: "translation-claimed",
    ClaimGranted: "claim-granted",
    ClaimRefused: "claim-refused",
    TranslationSubmitted: "translation-submitted",
}
