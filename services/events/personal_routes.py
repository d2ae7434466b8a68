"""HTTP in that inquiries and speaker applications share (see personal.py).

The event a request is about, the form a person fills in, reading a record with its key
(or as staff), the staff's console grouped by event, and a decision posted from it:
the same for both features, so written once here; each feature's routes keep its paths,
models, templates and wording.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel

from services.events.pages import entry
from services.events.store import EventsUnitOfWork
from shared.auth import Role
from shared.errors import Duplicate, NotFound
from shared.service import ServiceKit
from shared.store import Document
from shared.web.forms import domain_errors, parse, text
from shared.web.layer import WebLayer

Kit = ServiceKit[EventsUnitOfWork]
M = TypeVar("M", bound=BaseModel)
Reader = Callable[[EventsUnitOfWork, str, str | None], Awaitable[Document]]


async def calendar_event(kit: Kit, origin: str, event_id: str, public_only: bool) -> Document:
    """The calendar entry a request is about; unknown and hidden look the same (404)."""
    doc = await kit.reads().calendar.one(origin, event_id, public_only=public_only)
    if doc is None:
        raise NotFound(f"no event {event_id!r} of {origin!r} on this node's calendar", "event")
    return doc


async def read_keyed(
    kit: Kit, read: Reader, record_id: str, role: Role | None, key: str | None, what: str
) -> Document:
    """A person's record through the API: staff (any token) read it without the key,
    anyone else needs the key; no key looks like a wrong one (404)."""
    staff = role is not None  # an editor's or an admin's token
    if key is None and not staff:
        raise NotFound(f"no {what} {record_id!r} with this key on this node", "key")
    return await read(kit.reads(), record_id, None if staff else key)


def request_form(
    web: WebLayer,
    request: Request,
    template: str,
    doc: Document,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response:
    """A person's form about a calendar event; with errors, answered 422 beside them."""
    event = entry(doc, web.language(request).code)
    context = {"event": event, "values": values, "errors": errors}
    return web.render(request, template, context, status=422 if errors else 200)


def by_event(received: list[Document]) -> dict[str, list[Document]]:
    """Received requests grouped per event (title and id), in the order given."""
    grouped: dict[str, list[Document]] = {}
    for doc in received:
        grouped.setdefault(f"{doc['event_title']} ({doc['event_id']})", []).append(doc)
    return grouped


async def console_decision(
    web: WebLayer,
    request: Request,
    model: type[M],
    fields: tuple[str, ...],
    decide: Callable[[M], Awaitable[object]],
    console: str,
    notices: tuple[str, str],
) -> Response:
    """A staff decision posted from a console: back to ``console`` with ``notices``
    (not done, with why; done). Deciding twice is said there; an unknown id is a 404."""
    form = await request.form()
    web.check_form(request, text(form, "csrf"))
    draft, errors = parse(model, {name: text(form, name) for name in fields})
    if draft is not None:
        try:
            await decide(draft)
        except Duplicate as exc:
            errors = domain_errors(exc)
    gettext = web.language(request).gettext
    failed, done = notices
    if errors:
        return web.redirect(console, notice=gettext(failed) % "; ".join(errors.values()))
    return web.redirect(console, notice=gettext(done))
