"""Instants as the wire writes them: RFC 3339 in UTC, to the second (``2027-03-18T07:30:00Z``).

One format everywhere, so that times in events, messages and stored records compare as
strings the way they compare as instants (and nx-27017 keys stay comparable).
"""

from __future__ import annotations

from datetime import UTC, datetime


def wire_time(moment: datetime) -> str:
    """An aware datetime as the wire writes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wire_now() -> str:
    """Now, as the wire writes it."""
    return wire_time(datetime.now(UTC))


def from_wire(value: str) -> datetime:
    """A wire instant (or any RFC 3339 one, ``Z`` or an offset) as an aware datetime."""
    return datetime.fromisoformat(value)
