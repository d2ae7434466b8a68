"""Erasing a person (GDPR) from every service of a node: one mechanism, declared per service.

A person's name and e-mail are kept by several services (membership contacts, events
inquiries, applications and registrations, matching's expressions of interest and
brokerage participants). Rather than teach the membership erasure about every other
service (services never import each other) or give the CLI a special case per service,
each service *declares* what it erases (``ServiceDeclaration.erase``: handlers
``(kit, email, uow) -> {kind: [record ids]}``), and the kit gives every service that declares
any one staff-only endpoint, ``POST /api/<service>/erasures``, running all its handlers
in one transaction. That endpoint exists wherever the service runs, so the command
reaches it in both layouts: ``alliance up`` (every service behind one port) and
docker-compose (one container, one port per service; ``alliance erase-contact --url``).

What erasing means for a record kept as the organisation's history (an inquiry, an
expression of interest, a brokerage participant with its meetings): the record stays,
the person's name and e-mail (and whatever was derived from them: the digest of the
person's key, an e-mail look-up key) are replaced by ``ERASED``. The key stops working
on purpose: it is how the person reads and acts on the record, and an erased person no
longer has one; the staff keep the record. ``PersonRecords`` states this for one
collection and ``erasing`` turns a service's list of them into its handler.

A handler may also tell another node, in the same transaction, by a direct message
(``uow.send``): the events service tells the owner node of an event to erase its copy of
an inquiry, application or registration the person made from here. What other nodes
keep otherwise is listed in docs/operations.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from shared.fields import same_email
from shared.personal import Email
from shared.store import Document, UnitOfWork

if TYPE_CHECKING:
    from shared.service import ServiceKit

ERASED = "erased"

# (the service's kit, the person's e-mail, its unit of work) -> the records erased, by kind
EraseHandler = Callable[[Any, str, Any], Awaitable[Mapping[str, Sequence[str]]]]


class PersonErasure(BaseModel):
    """A GDPR erasure request: the person, by e-mail address (any case)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Email


@dataclass(frozen=True)
class PersonRecords:
    """Where one collection keeps a person: the dotted path of their e-mail (how they are
    found) and every field that identifies them (name, e-mail, key digest…), each
    replaced by ``ERASED``. ``kind`` names the records in the answer (the collection's
    name by default)."""

    collection: str
    email: str
    fields: tuple[str, ...]
    kind: str = ""

    async def erase(self, uow: UnitOfWork, email: str) -> list[str]:
        """Replace the person in every record of the collection; returns their ids."""
        ids = [doc["_id"] for doc in await self.holding(uow, email)]
        await self._set(uow, ids)
        return ids

    async def holding(self, uow: UnitOfWork, email: str, *also: str) -> list[Document]:
        """The records naming the person (their ``_id`` and the top-level fields ``also``).

        nx-27017 matches no ``$regex`` with options (docs/store.md) and the e-mail is
        compared regardless of case, so the e-mails are read and compared here; an
        erasure is rare and these collections are a node's own requests. The projection
        names the top-level field: nx-27017 answers a dotted one with a flat key
        (``{"asker.email": …}``), where MongoDB nests it.
        """
        top = self.email.split(".", 1)[0]
        projection = dict.fromkeys((top, *also), 1)
        cursor = uow.collection(self.collection).find({}, projection, session=uow.session)
        return [doc async for doc in cursor if same_email(_at(doc, self.email), email)]

    async def replace(self, uow: UnitOfWork, query: Document) -> list[str]:
        """Replace the person in the records ``query`` finds; returns their ids."""
        collection = uow.collection(self.collection)
        ids = [doc["_id"] async for doc in collection.find(query, {"_id": 1}, session=uow.session)]
        await self._set(uow, ids)
        return ids

    async def _set(self, uow: UnitOfWork, ids: list[str]) -> None:
        """Replace the person in the records ``ids`` (nothing to do for none)."""
        if ids:
            changes = dict.fromkeys((self.email, *self.fields), ERASED)
            await uow.collection(self.collection).update_many(
                {"_id": {"$in": ids}}, {"$set": changes}, session=uow.session
            )


def erasing(*records: PersonRecords) -> EraseHandler:
    """A service's erase handler from where its collections keep a person."""

    async def erase(kit: Any, email: str, uow: UnitOfWork) -> dict[str, list[str]]:
        erased: dict[str, list[str]] = {}
        for record in records:
            erased[record.kind or record.collection] = await record.erase(uow, email)
        return erased

    return erase


async def erase_in(kit: ServiceKit[Any], email: str) -> dict[str, list[str]]:
    """Every handler the service declares, in one transaction: all of it or nothing."""

    async def work(uow: UnitOfWork) -> dict[str, list[str]]:
        erased: dict[str, list[str]] = {}
        for handler in kit.declaration.erase:
            for kind, ids in (await handler(kit, email, uow)).items():
                erased.setdefault(kind, []).extend(ids)
        return erased

    return await kit.transaction(work)


def erasure_router(kit: ServiceKit[Any]) -> APIRouter:
    """``POST /api/<service>/erasures`` (editor or admin): the service's part of a GDPR
    erasure, answering with the records changed by kind (empty lists: none held)."""
    api = APIRouter(prefix=f"/api/{kit.name}", tags=[kit.name])

    @api.post("/erasures", dependencies=[Depends(kit.editor)])
    async def erase_person(person: PersonErasure) -> dict[str, Any]:
        """GDPR erasure of a person, by e-mail, from every record of this service on this
        node that names them; the records stay, without the person."""
        return {"email": person.email, **await erase_in(kit, person.email)}

    return api


def _at(document: Document, path: str) -> str:
    """The text at a dotted path of a document ("" where there is none)."""
    value: Any = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""
