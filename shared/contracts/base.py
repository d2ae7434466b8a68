"""Base of every wire contract.

Contracts change additively: a consumer meeting a newer *minor* version ignores the
fields it does not know; a newer *major* version is refused (dead-lettered) because its
meaning may have changed.
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
    schemaversion: str = "1.0"


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
