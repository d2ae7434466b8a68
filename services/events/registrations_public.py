"""A person registers themselves, without signing in: the event page's form and the API.

- ``/events/{origin}/{id}/register`` (page) and ``POST /api/events/registrations/public``
  (API, anonymous): for an event this node's public calendar shows; checked and sent
  through the staff's path (``registrations_api.send_registration``), so the owner node
  decides exactly as for a staff registration;
- a key is given once (stored as its digest, ``personal.new_key``): with it the person
  reads where the registration stands, ``/registrations/{id}?key=`` (page) or
  ``GET /api/events/registrations/public/{id}?key=``, and cancels, leaves the waiting
  list, accepts or declines an offer from there. A wrong key is a 404, like no record.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from typing import Any

from fastapi import APIRouter, Query, Request, Response

from services.events import registrations
from services.events.api import dates_of
from services.events.pages import entry
from services.events.personal import keyed, new_key
from services.events.personal_routes import calendar_event
from services.events.registrations import RegistrationForm, desk_of
from services.events.registrations_api import mine_view, send_registration
from services.events.registrations_pages import ACTION_LABELS, ACTIONS, FIELDS, form_body
from services.events.registrations_store import MY_REGISTRATIONS, public_members
from services.events.store import EventsUnitOfWork
from shared.contracts.events import EventState
from shared.contracts.events_register import Change
from shared.errors import DomainError
from shared.http import problem_responses
from shared.service import ServiceKit
from shared.store import Document
from shared.web.forms import submit, text
from shared.web.i18n import N_
from shared.web.layer import WebLayer

Kit = ServiceKit[EventsUnitOfWork]
PERSON_FIELDS = tuple(name for name in FIELDS if name not in ("origin", "event_id"))
WHAT = "registration"
KEY = Query("", max_length=100)


async def register_publicly(kit: Kit, form: RegistrationForm) -> tuple[Document, str]:
    """Send a person's own registration (the staff's path) and the key to read it with.

    Anyone may fill the form in, so the organisation is one this network shows the public
    (what the form offers): naming another member would claim its discount unseen."""
    if form.organization_id is not None:
        members = dict(await public_members(kit.reads(), kit.identity.node))
        if form.organization_id not in members:
            raise DomainError("not a public member organisation of this network", "organization_id")
    key, digest = new_key()
    return await send_registration(kit, form, digest), key


async def holders(kit: Kit, request_id: str, key: str) -> Document:
    """The registration for whoever holds its key; an empty key is a wrong one (``keyed``
    takes no key, None, as the staff's read)."""
    collection = kit.reads().collection(MY_REGISTRATIONS)
    return await keyed(collection, request_id, key or "-", WHAT)


async def change_publicly(kit: Kit, request_id: str, key: str, what: Change) -> Document:
    """The key holder's change, sent to the owner as a staff change would be."""
    await holders(kit, request_id, key)
    await kit.transaction(lambda uow: registrations.ask_change(uow, desk_of(kit), request_id, what))
    return await holders(kit, request_id, key)


def public_registrations_api(kit: Kit) -> APIRouter:
    """Anonymous registration routes (see the module docstring)."""
    api = APIRouter(prefix="/api/events/registrations/public", tags=["events"])

    @api.post("", status_code=201, responses=problem_responses(404, 409, 422))
    async def register(form: RegistrationForm) -> dict[str, Any]:
        """Register yourself for a public event; keep ``key`` to read and change it."""
        await calendar_event(kit, form.origin, form.event_id, public_only=True)
        record, key = await register_publicly(kit, form)
        return {**mine_view(record), "key": key}

    @api.get("/{request_id}", responses=problem_responses(404))
    async def read(request_id: str, key: str = KEY) -> dict[str, Any]:
        """Where your registration stands (the owner's decision and its reason)."""
        return mine_view(await holders(kit, request_id, key))

    @api.post("/{request_id}/{what}", responses=problem_responses(404, 422))
    async def change(request_id: str, what: Change, key: str = KEY) -> dict[str, Any]:
        """Cancel, leave the waiting list, accept or decline an offer: the owner decides."""
        return mine_view(await change_publicly(kit, request_id, key, what))

    return api


def public_registration_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/events/{origin}/{id}/register and /registrations/{id} (the key holder's)."""
    pages = APIRouter(include_in_schema=False)

    async def form_page(
        request: Request, doc: Document, values: dict[str, str], errors: dict[str, str]
    ) -> Response:
        state = EventState.model_validate(doc["data"])
        context = {
            "event": entry(doc, web.language(request).code),
            "dates": [(d["start"][:10], d["start"][:10]) for d in dates_of(state)],
            "tickets": [
                (t["code"], t.get("name") or t["code"]) for t in state.fees.get("tickets", [])
            ],
            "members": await public_members(kit.reads(), kit.identity.node),
            "values": values,
            "errors": errors,
        }
        template = "events/registrations_public_form.html"
        return web.render(request, template, context, status=422 if errors else 200)

    @pages.get("/events/{origin}/{event_id}/register")
    async def register_page(request: Request, origin: str, event_id: str) -> Response:
        """The form to register oneself for a public event."""
        doc = await calendar_event(kit, origin, event_id, public_only=True)
        return await form_page(request, doc, {"party": "1"}, {})

    @pages.post("/events/{origin}/{event_id}/register")
    async def register_sent(request: Request, origin: str, event_id: str) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        doc = await calendar_event(kit, origin, event_id, public_only=True)
        values = {name: text(form, name) for name in PERSON_FIELDS}
        body = form_body({**values, "origin": origin, "event_id": event_id})
        sent: list[tuple[Document, str]] = []

        async def send(checked: RegistrationForm) -> None:
            sent.append(await register_publicly(kit, checked))

        _, errors = await submit(RegistrationForm, body, send)
        if not sent:
            return await form_page(request, doc, values, errors)
        record, key = sent[0]
        notice = web.language(request).gettext(N_("Your registration is sent."))
        return web.redirect(f"/registrations/{record['_id']}", key=key, notice=notice)

    @pages.get("/registrations/{request_id}")
    async def holder_page(request: Request, request_id: str, key: str = KEY) -> Response:
        """The key holder's page (bookmark it): where the registration stands."""
        record = mine_view(await holders(kit, request_id, key))
        gettext = web.language(request).gettext
        context = {
            "registration": record,
            "key": key,
            "actions": [
                (c.value, gettext(ACTION_LABELS[c])) for c in ACTIONS.get(record["status"], ())
            ],
        }
        return web.render(request, "events/registrations_public_mine.html", context)

    @pages.post("/registrations/{request_id}/{what}")
    async def holder_change(request: Request, request_id: str, what: Change) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        key = text(form, "key")
        try:
            await change_publicly(kit, request_id, key, what)
        except DomainError as exc:
            if exc.status >= 500 or exc.status == 404:
                raise
            return web.redirect(f"/registrations/{request_id}", key=key, notice=exc.reason)
        notice = web.language(request).gettext(N_("Sent to the organiser: %s")) % what.value
        return web.redirect(f"/registrations/{request_id}", key=key, notice=notice)

    return pages
