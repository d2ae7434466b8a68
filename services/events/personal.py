"""What inquiries and speaker applications share: a person's request kept on two nodes.

Each is written on the person's node (a ``*_sent`` collection, read back with a secret
key given once) and on the event's owner node (a ``*_received`` collection, for its
staff), and travels between them as direct messages. These helpers are the part that is
the same for both: the person's contact fields, the key, the reads and the API's view.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

from prometheus_client import CollectorRegistry, Counter
from pydantic import BeforeValidator, StringConstraints
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from shared.errors import NotFound
from shared.store import Document

EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"
LISTED = 500  # a console page: the newest this many


def refuse_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Email = Annotated[
    str,
    BeforeValidator(refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, max_length=254, pattern=EMAIL_SHAPE),
]
Organisation = Annotated[
    str,
    BeforeValidator(refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, max_length=200),
]


def now() -> str:
    """An instant as the records and messages write it (RFC 3339, UTC, to the second)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_key() -> tuple[str, str]:
    """A key for the person to read their record with, and the digest that is stored:
    a leaked store reveals no key."""
    key = secrets.token_urlsafe(24)
    return key, key_digest(key)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def keyed(
    collection: AsyncCollection[Document], record_id: str, key: str | None, what: str
) -> Document:
    """A person's record for whoever holds its key (staff: ``key`` None); a wrong key
    looks exactly like an unknown record."""
    found: Document | None = await collection.find_one({"_id": record_id})
    if found is None or (
        key is not None and not secrets.compare_digest(str(found["key"]), key_digest(key))
    ):
        raise NotFound(f"no {what} {record_id!r} with this key on this node", "id")
    return found


async def listing(
    collection: AsyncCollection[Document],
    query: Document,
    pending: tuple[str, ...],
    newest: str,
) -> list[Document]:
    """Records for a console or the API: those still ``pending`` first, then the newest
    by their ``newest`` instant."""
    cursor = collection.find(query, sort=[(newest, DESCENDING)], limit=LISTED)
    found = [doc async for doc in cursor]
    return sorted(found, key=lambda doc: doc["status"] not in pending)


def public_view(record: Document) -> Document:
    """A record as the API shows it: its id as ``id``, never the key's digest."""
    return {"id": record["_id"], **{k: v for k, v in record.items() if k not in ("_id", "key")}}


def title_of(data: Document) -> str:
    """An event's title in the language it was written in (what the consoles show)."""
    titles: dict[str, str] = data.get("title", {})
    return titles.get(data.get("language", "")) or next(iter(titles.values()), "")


@cache
def counter(registry: CollectorRegistry, kind: str) -> Counter:
    """alliance_event_<kind>_total{direction, outcome}, one per process registry: asked
    by this node's people (``out``) or about this node's events (``in``)."""
    return Counter(
        f"alliance_event_{kind}_total",
        f"Event {kind}: sent by this node's people (out) or about this node's events (in), "
        "by outcome.",
        ["direction", "outcome"],
        registry=registry,
    )
