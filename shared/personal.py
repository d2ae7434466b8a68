"""A request kept on two nodes, and the person who made it: the parts every service shares.

A person's request to another node's staff (an inquiry or an application to speak at an
event, an expression of interest in a partner) is written on the sending node (a
``*_sent`` collection; the person reads it back with a secret key given once) and on the
receiving node (a ``*_received`` collection, for its staff), and travels between them as
direct messages (``shared.direct``). These helpers are the part that is the same for
all: the person's contact fields, the key, handing a request or its answer over (or
handling it at once when both sides are this node), the staff's decision and its record
on the sending side, the reads and the API's view. Each feature keeps its own rules (who
may ask, what a decision is) in its own module.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from shared.contracts.base import Event as Message
from shared.contracts.direct import MessageRefused
from shared.errors import Duplicate, NotFound, shorten
from shared.fields import refuse_nul
from shared.instants import wire_now
from shared.store import Document, UnitOfWork

EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"
LISTED = 500  # a console page: the newest this many


def _email(value: str) -> str:
    """An address of the usual shape, or a reason a person understands."""
    if not re.fullmatch(EMAIL_SHAPE, value):
        raise ValueError("not an e-mail address (like name@example.org)")
    return value


# constraints first: placed after a validator, pydantic counts a string's "items"
Email = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, max_length=254),
    AfterValidator(_email),
    BeforeValidator(refuse_nul),
]
Organisation = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, max_length=200),
    BeforeValidator(refuse_nul),
]


now = wire_now  # an instant as the records and messages write it


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
        key is not None and not secrets.compare_digest(str(found.get("key", "")), key_digest(key))
    ):
        raise NotFound(f"no {what} {record_id!r} with this key on this node", "id")
    return found


async def hand_over(
    uow: UnitOfWork,
    node: str,
    target: str,
    message: Message,
    here: Callable[[], Awaitable[None]],
) -> None:
    """Send ``message`` to ``target``, or, when the target is this node, do at once what
    its handler would (``here``), in the same transaction: a node sends itself nothing."""
    if target == node:
        await here()
    else:
        uow.send(target, message)


@dataclass(frozen=True)
class Inbox:
    """Where a node keeps one kind of request it received, until its staff decide.

    ``what`` and ``where`` name it in a 404 (``no inquiry 'x' about this node's events``),
    ``field`` is the decision's field a 409 names, ``pending`` the undecided status.
    """

    collection: str
    what: str
    where: str
    pending: str
    field: str

    async def undecided(self, uow: UnitOfWork, record_id: str) -> Document:
        """A received request the staff may still decide on: unknown 404, decided 409."""
        found: Document | None = await uow.collection(self.collection).find_one(
            {"_id": record_id}, session=uow.session
        )
        if found is None:
            raise NotFound(f"no {self.what} {record_id!r} {self.where}", "id")
        if found["status"] != self.pending:
            raise Duplicate(f"this {self.what} is {found['status']} already", self.field)
        return found

    async def decide(self, uow: UnitOfWork, found: Document, changes: Document) -> Document:
        """The staff's decision on ``found``, recorded; returns the request as it is now."""
        await uow.collection(self.collection).update_one(
            {"_id": found["_id"]}, {"$set": changes}, session=uow.session
        )
        return {**found, **changes}


async def settle(
    uow: UnitOfWork, collection: str, query: Document, changes: Document, missing: str
) -> None:
    """The answer to a sent request, on its record; ``query`` names the one request it
    may answer (its id, the node that may answer, still waiting). None matches: the
    message is an error (LookupError, so the consumer dead-letters it saying ``missing``)."""
    result = await uow.collection(collection).update_one(
        query, {"$set": changes}, session=uow.session
    )
    if result.matched_count == 0:
        raise LookupError(missing)


@dataclass(frozen=True)
class SentBox:
    """Where a node keeps one kind of request it sent: which field names the node that
    answers it, and the status while no answer came."""

    collection: str
    answered_by: str
    pending: str


async def refuse_sent(
    uow: UnitOfWork, refusal: MessageRefused, sender: str, boxes: Sequence[SentBox]
) -> bool:
    """The target refused our request unread (malformed): it will never answer, so the
    pending request shows "refused: <reason>" instead of waiting forever."""
    changes = {
        "status": "refused",
        "reason": f"refused: {refusal.reason} ({shorten(refusal.detail)})",
    }
    for box in boxes:
        query = {"_id": refusal.about, box.answered_by: sender, "status": box.pending}
        result = await uow.collection(box.collection).update_one(
            query, {"$set": changes}, session=uow.session
        )
        if result.modified_count:
            return True
    return False


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
