"""Errors a user can cause, mapped to HTTP and CLI answers in one place each.

DomainError (422)      a rule of the domain refused the input; names the field
├── NotFound (404)     no such aggregate on this node
├── Duplicate (409)    the aggregate already exists
├── Gone (410)         the aggregate was deleted (tombstoned)
├── Forbidden (403)    the caller may not do this
├── TooLarge (413)     the change would make an event above the bus's size limit
└── Unavailable (503)  the node cannot do it now (its store is full), whoever asks
"""

from __future__ import annotations

ECHO_LIMIT = 200  # characters of a client's own value an answer repeats back


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """At most ``limit`` characters of ``text``, saying how much was left out.

    A 1 MB invalid value must not come back in full in the answer that refuses it.
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


class DomainError(ValueError):
    """A refusal with the field it concerns (or None) and a readable reason."""

    status = 422

    def __init__(
        self, reason: str, field: str | None = None, errors: list[dict[str, object]] | None = None
    ) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.reason = reason
        self.field = field
        self.errors = errors  # several problems at once, e.g. every bad column of a header


class NotFound(DomainError):
    status = 404


class Duplicate(DomainError):
    status = 409


class Gone(DomainError):
    status = 410


class TooLarge(DomainError):
    status = 413


class Unavailable(DomainError):
    status = 503
