"""Base of every wire contract, and of every domain event.

Contracts change additively: a consumer meeting a newer *minor* version ignores the
fields it does not know; a newer *major* version is refused (dead-lettered) because its
meaning may have changed. A class's ``SCHEMA_VERSION`` is the one source of its version:
the envelope carries it, the payload does not.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Visibility(StrEnum):
    """Who may see a record: the hub portal, every node, or only its own node."""

    PUBLIC = "public"
    ALLIANCE = "alliance"
    NODE = "node"

    @property
    def leaves_node(self) -> bool:
        """`node` records never go on the bus."""
        return self is not Visibility.NODE


class SchemaVersionError(ValueError):
    """The payload was written with a major schema version this code cannot read."""


class Contract(BaseModel):
    """A frozen wire model; unknown fields from newer minor versions are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    SCHEMA_VERSION: ClassVar[str] = "1.0"


class Event(Contract):
    """A domain event: something that happened to one aggregate, named in the past tense.

    Every event carries the aggregate's id; events that describe a state carry all of it
    (a replica never needs an earlier event to be complete).
    """

    id: str


class Withdrawal(Event):
    """An event after which a replica keeps no data: deleted, or no longer shared."""

    reason: str


def check_schema_version(theirs: str, ours: str) -> None:
    """Refuse a payload whose major version is newer than the one we understand."""
    try:
        their_major = int(theirs.split(".", 1)[0])
    except ValueError as exc:
        raise SchemaVersionError(f"unreadable schemaversion {theirs!r}") from exc
    our_major = int(ours.split(".", 1)[0])
    if their_major > our_major:
        raise SchemaVersionError(
            f"schemaversion {theirs} is newer than supported major version {our_major}"
        )
