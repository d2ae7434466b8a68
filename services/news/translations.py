"""Translation requests between networks: the rules, pure (no I/O).

A network's staff ask for a translation of one of its published, shared news items into
another language (``TranslationRequest.open``). Partner networks claim it; the owner
decides, so the first claim wins and a second one is refused while the first holds,
naming the network holding it and until when (``ClaimHeld``, 409: a network, never a
person). A claim lapses after the node's ``translation_claim_days`` unless the claimer
submitted (``lapse``: the owner's periodic task and every decision apply it). The
claimer submits the translation; the owner's staff accept it (it is then published
beside the original by ``handlers.publish_translation``) or send it back with a reason,
and the claimer may submit again while the claim holds. The owner's staff may close a
request that is not accepted yet.

::

    open ──claim──▶ claimed ──submit──▶ submitted ──accept──▶ accepted
      ▲               │  ▲                  │
      └──lapse────────┘  └──submit── returned ◀──send back──┘ (lapses like a claim)
    open / claimed / submitted / returned ──close──▶ closed

Who may do what (enforced by the API, docs/news-translations.md): only the owner's
staff open, close, accept and send back; any partner network's staff claim and submit,
from their own node; the public sees only published translations, through the item.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, StringConstraints

from services.news.domain import (
    Body,
    LanguageTag,
    Summary,
    Text,
    Title,
    TranslationDraft,
    same_language,
)
from shared.aggregate import Aggregate
from shared.contracts.news_translations import (
    RequestStatus,
    TranslationRequestChanged,
    TranslationRequested,
    TranslationRequestState,
)
from shared.errors import DomainError, Duplicate
from shared.instants import from_wire, wire_time

__all__ = [
    "ClaimHeld",
    "Conflict",
    "RequestDraft",
    "RequestStatus",
    "ReturnDraft",
    "Submission",
    "SubmissionDraft",
    "TranslationRequest",
    "held_by_another",
]

LIVE = (RequestStatus.OPEN, RequestStatus.CLAIMED, RequestStatus.SUBMITTED, RequestStatus.RETURNED)
HELD = (RequestStatus.CLAIMED, RequestStatus.RETURNED)  # a claim that can lapse
HOLDING = (*HELD, RequestStatus.SUBMITTED)  # a network holds it: no one else may claim


class Conflict(Duplicate):
    """409: the request is not in a state that allows this (accepted, closed, …)."""


class ClaimHeld(Conflict):
    """409: another network holds the claim; says which, and until when."""

    def __init__(self, holder: str, until: datetime) -> None:
        super().__init__(
            f"claimed by the network {holder} until {wire_time(until)}; try again once it lapses",
            "claim",
        )
        self.holder = holder
        self.until = until


class RequestDraft(BaseModel):
    """What the owner's staff ask for: a language, and a word for the translators."""

    model_config = ConfigDict(extra="forbid")

    language: LanguageTag
    note: Text = ""


class ReturnDraft(BaseModel):
    """Why the owner's staff send a submission back (the claimer reads it)."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[Text, StringConstraints(min_length=1)]


class SubmissionDraft(BaseModel):
    """What a claimer's staff submit: the item's texts in the request's language."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    summary: Summary = ""
    body: Body = ""

    def translation(self, language: str) -> TranslationDraft:
        return TranslationDraft(language=language, **self.model_dump())


class Submission(BaseModel):
    """The translation a claimer submitted, kept by the owner until it decides."""

    model_config = ConfigDict(extra="forbid")

    translator: str
    title: str
    summary: str = ""
    body: str = ""
    submitted_at: datetime

    def draft(self, language: str) -> TranslationDraft:
        """What ``handlers.publish_translation`` takes."""
        return TranslationDraft(
            language=language, title=self.title, summary=self.summary, body=self.body
        )


class TranslationRequest(Aggregate):
    """A request for one item's translation into one language, owned by the item's node.

    Every change records its whole state (``TranslationRequestState``) for this node and
    the alliance alike: requests exist only for items the alliance sees.
    """

    item_id: str
    language: str
    original_language: str
    status: RequestStatus = RequestStatus.OPEN
    note: str = ""
    claimer: str | None = None
    claimed_until: datetime | None = None
    submission: Submission | None = None
    returned_reason: str = ""
    translator: str | None = None
    requested_at: datetime
    accepted_at: datetime | None = None

    @classmethod
    def open(
        cls, id: str, item_id: str, original_language: str, draft: RequestDraft, now: datetime
    ) -> Self:
        """A new open request; a translation into the original's language is refused."""
        if same_language(draft.language, original_language):
            raise DomainError(
                f"the item is written in {original_language!r}: ask for another language",
                "language",
            )
        request = cls(
            id=id,
            version=1,
            updated_at=now,
            item_id=item_id,
            language=draft.language,
            original_language=original_language,
            note=draft.note,
            requested_at=now,
        )
        request._announce(first=True)
        return request

    # -- the partners' side, decided by the owner ---------------------------------------
    def claim(self, claimer: str, owner: str, now: datetime, hold: timedelta) -> None:
        """``claimer`` holds the request for ``hold``; refused while another holds it
        (also while its submission waits for the owner's decision)."""
        self.lapse(now)
        if claimer == owner:
            raise DomainError("a network cannot claim its own request", "claimer")
        if self.status in HOLDING and self.claimer is not None and self.claimed_until:
            if self.claimer != claimer:
                raise ClaimHeld(self.claimer, self.claimed_until)
            if self.status in HELD:
                return  # the holder asked again (a message sent twice): it still holds
        if self.status is not RequestStatus.OPEN:
            raise Conflict(f"the request is {self.status.value}: it cannot be claimed", "status")
        self.bump(now)
        self.status = RequestStatus.CLAIMED
        self.claimer = claimer
        self.claimed_until = now + hold
        self._announce()

    def submit(self, translator: str, draft: TranslationDraft, now: datetime) -> None:
        """The claimer's translation, for the owner's staff to decide on."""
        self.lapse(now)
        if self.status not in HELD or self.claimer != translator:
            raise Conflict(
                f"the network {translator} holds no claim on this request (it is "
                f"{self.status.value})",
                "claim",
            )
        if draft.language != self.language:
            raise DomainError(f"this request asks for {self.language!r}", "language")
        self.bump(now)
        self.status = RequestStatus.SUBMITTED
        self.submission = Submission(
            translator=translator,
            title=draft.title,
            summary=draft.summary,
            body=draft.body,
            submitted_at=now,
        )
        self._announce()

    def lapse(self, now: datetime) -> bool:
        """A claim past its time goes back to open (recorded); True if it did."""
        if self.status not in HELD or self.claimed_until is None or self.claimed_until > now:
            return False
        self.bump(now)
        self.status = RequestStatus.OPEN
        self.claimer = None
        self.claimed_until = None
        self.submission = None
        self.returned_reason = ""
        self._announce()
        return True

    # -- the owner's staff -----------------------------------------------------------------
    def accept(self, now: datetime) -> Submission:
        """The submission is taken: the caller publishes it beside the original."""
        submission = self._submitted()
        self.bump(now)
        self.status = RequestStatus.ACCEPTED
        self.translator = submission.translator
        self.accepted_at = now
        self.claimed_until = None
        self._announce()
        return submission

    def send_back(self, reason: str, now: datetime, hold: timedelta) -> None:
        """Back to the claimer with a reason; their claim holds for ``hold`` again."""
        self._submitted()
        self.bump(now)
        self.status = RequestStatus.RETURNED
        self.returned_reason = reason
        self.claimed_until = now + hold
        self._announce()

    def close(self, now: datetime) -> None:
        """The owner no longer wants it; an accepted request stays accepted."""
        if self.status not in LIVE:
            raise Conflict(f"the request is {self.status.value} already", "status")
        self.bump(now)
        self.status = RequestStatus.CLOSED
        self.claimed_until = None
        self._announce()

    # -- reads -------------------------------------------------------------------------
    @property
    def live(self) -> bool:
        """Still in the works (not accepted, not closed): one per item and language."""
        return self.status in LIVE

    @property
    def time_to_translation(self) -> float | None:
        """Seconds from the request to its published translation (the histogram's)."""
        if self.accepted_at is None:
            return None
        return (self.accepted_at - self.requested_at).total_seconds()

    # -- internals ---------------------------------------------------------------------
    def _submitted(self) -> Submission:
        if self.status is not RequestStatus.SUBMITTED or self.submission is None:
            raise Conflict(
                f"the request is {self.status.value}: there is no submission to decide on",
                "status",
            )
        return self.submission

    def _announce(self, first: bool = False) -> None:
        kind = TranslationRequested if first else TranslationRequestChanged
        event = kind.model_validate(self.state())
        self.record(event, event)

    def state(self) -> dict[str, object]:
        """The wire state (``TranslationRequestState``'s fields), without the submission."""
        return {
            "id": self.id,
            "item_id": self.item_id,
            "language": self.language,
            "original_language": self.original_language,
            "status": self.status.value,
            "note": self.note,
            "claimer": self.claimer,
            "claimed_until": wire_time(self.claimed_until) if self.claimed_until else None,
            "returned_reason": self.returned_reason,
            "translator": self.translator,
            "requested_at": wire_time(self.requested_at),
            "updated_at": wire_time(self.updated_at),
        }


def held_by_another(state: TranslationRequestState, me: str, now: datetime) -> ClaimHeld | None:
    """On a partner's replica: the claim another network holds now, if any (what a second
    claim is refused with at once, before asking the owner)."""
    if state.status not in HOLDING or not state.claimer or not state.claimed_until:
        return None
    until = from_wire(state.claimed_until)
    if state.claimer == me or (state.status in HELD and until <= now):
        return None
    return ClaimHeld(state.claimer, until)
