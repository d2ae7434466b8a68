"""What every aggregate has: identity, a version per change, tombstones, recorded events.

Pure domain code: no I/O. An aggregate's methods *record* the events a change causes;
the unit of work collects them at commit and writes them to the outbox in the same
transaction as the new state (``shared.store``). A recorded change carries two views:
the full event for this node's own services, and what the alliance may know of it
(``None`` when nothing may leave the node, e.g. a ``node``-only record).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PrivateAttr

from shared.contracts.base import Event
from shared.errors import Gone

__all__ = ["Aggregate", "AggregateDeleted", "Recorded"]


class AggregateDeleted(Gone):
    """The aggregate was deleted; a deletion is final."""


@dataclass(frozen=True)
class Recorded:
    """One change of one aggregate, as its events announce it."""

    version: int
    event: Event  # the full event, for this node's services (the local channel)
    shared: Event | None  # the alliance's view (the alliance channel), or nothing


class Aggregate(BaseModel):
    """Identity and lifecycle: every change bumps ``version`` so replicas keep the newest."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=128)
    version: int = Field(ge=1)
    deleted: bool = False
    updated_at: AwareDatetime

    _recorded: list[Recorded] = PrivateAttr(default_factory=list)

    def record(self, event: Event, shared: Event | None) -> None:
        """Note what this change announces, at the aggregate's current version."""
        self._recorded.append(Recorded(self.version, event, shared))

    def collect_events(self) -> list[Recorded]:
        """Hand the recorded changes over (to the unit of work) and forget them."""
        recorded, self._recorded = self._recorded, []
        return recorded

    def bump(self, now: datetime) -> None:
        """Refuse changes to a deleted aggregate; count the change and stamp it."""
        if self.deleted:
            raise AggregateDeleted(f"{type(self).__name__.lower()} {self.id!r} was deleted")
        if now.tzinfo is None:  # versions and times are compared across nodes
            raise ValueError("`now` must be a timezone-aware datetime")
        self.version += 1
        self.updated_at = now
