"""Pages of registration, in the console (staff, signed in):

- ``/console/registrations``: "my registrations", this node's people's registrations for
  any network's events, with where each stands and the buttons its status allows;
- ``/console/registrations/new?origin=…&event_id=…``: register a member (the event
  page links here), validated by the API's own ``RegistrationForm``;
- ``/console/attendees/{event_id}`` (owner): registrations and the waiting list per
  date, with a cancel button each and the CSV export.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from services.events import registrations
from services.events.registrations import RegistrationForm, desk_of
from services.events.registrations_api import (
    as_csv,
    attendee_rows,
    mine_view,
    occurrence_of,
    send_registration,
)
from services.events.registrations_store import MY_REGISTRATIONS
from services.events.store import EventsUnitOfWork
from shared.contracts.events_register import Change, RegistrationChanged
from shared.errors import DomainError
from shared.service import ServiceKit
from shared.web.forms import optional, submit, text
from shared.web.i18n import N_
from shared.web.layer import WebLayer
from shared.web.session import Session

Kit = ServiceKit[EventsUnitOfWork]
FIELDS = (
    *("origin", "event_id", "occurrence", "ticket", "party", "organization_id"),
    *("contact_name", "contact_email"),
)
# what each status lets the registrant do (the owner decides the rest)
ACTIONS = {
    "confirmed": (Change.CANCEL,),
    "waitlisted": (Change.LEAVE,),
    "offered": (Change.ACCEPT, Change.DECLINE),
}
ACTION_LABELS = {
    Change.CANCEL: N_("Cancel the registration"),
    Change.LEAVE: N_("Leave the waiting list"),
    Change.ACCEPT: N_("Accept the offer"),
    Change.DECLINE: N_("Decline the offer"),
}


def form_body(values: dict[str, str]) -> dict[str, Any]:
    """A ``RegistrationForm`` body from the page's flat form (empty means not given)."""
    party = values["party"]
    body: dict[str, Any] = {name: optional(values, name) for name in FIELDS}
    body["party"] = int(party) if party.isdigit() else (party or 1)
    return {k: v for k, v in body.items() if v is not None}


def registrations_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """The console's registration pages (see the module docstring)."""
    pages = APIRouter(include_in_schema=False)
    Staff = Annotated[Session, Depends(web.staff())]

    def actions(request: Request) -> dict[str, str]:
        gettext = web.language(request).gettext
        return {change.value: gettext(label) for change, label in ACTION_LABELS.items()}

    @pages.get("/console/registrations")
    async def mine(request: Request, session: Staff) -> Response:
        found = kit.reads().collection(MY_REGISTRATIONS).find({}, sort=[("_id", -1)], limit=500)
        rows = [mine_view(doc) async for doc in found]
        allowed = {k: [c.value for c in v] for k, v in ACTIONS.items()}
        return web.render(
            request,
            "events/registrations_mine.html",
            {"registrations": rows, "allowed": allowed, "action_labels": actions(request)},
        )

    @pages.post("/console/registrations/{request_id}/{what}")
    async def change_mine(
        request: Request, request_id: str, what: Change, session: Staff
    ) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        try:
            await kit.transaction(
                lambda uow: registrations.ask_change(uow, desk_of(kit), request_id, what)
            )
        except DomainError as exc:
            if exc.status >= 500:
                raise
            return web.redirect("/console/registrations", notice=exc.reason)
        notice = web.language(request).gettext(N_("Sent to the organiser: %s")) % what.value
        return web.redirect("/console/registrations", notice=notice)

    @pages.get("/console/registrations/new")
    async def new_registration(
        request: Request,
        session: Staff,
        origin: str = Query("", max_length=64),
        event_id: str = Query("", max_length=128),
    ) -> Response:
        values = dict.fromkeys(FIELDS, "")
        values.update(origin=origin, event_id=event_id, party="1")
        return web.render(
            request, "events/registrations_form.html", {"values": values, "errors": {}}
        )

    @pages.post("/console/registrations/new")
    async def register(request: Request, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        values = {name: text(form, name) for name in FIELDS}

        async def send(checked: RegistrationForm) -> None:
            await send_registration(kit, checked)

        sent, errors = await submit(RegistrationForm, form_body(values), send)
        if sent is not None:
            notice = web.language(request).gettext(N_("Registration sent: %s")) % sent.contact_name
            return web.redirect("/console/registrations", notice=notice)
        return web.render(
            request,
            "events/registrations_form.html",
            {"values": values, "errors": errors},
            status=422,
        )

    @pages.get("/console/attendees/{event_id}.csv")  # before {event_id}, which would match
    async def attendees_csv(request: Request, event_id: str, session: Staff) -> Response:
        return Response(
            as_csv(await attendee_rows(kit, event_id, None)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{event_id}.csv"'},
        )

    @pages.get("/console/attendees/{event_id}")
    async def attendees(
        request: Request, event_id: str, session: Staff, occurrence: str = Query("", max_length=10)
    ) -> Response:
        rows = await attendee_rows(kit, event_id, occurrence or None)
        dates: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            dates.setdefault(row["occurrence"], []).append(row)
        return web.render(
            request, "events/registrations_attendees.html", {"event_id": event_id, "dates": dates}
        )

    @pages.post("/console/attendees/{event_id}/{request_id}/cancel")
    async def cancel_theirs(
        request: Request, event_id: str, request_id: str, session: Staff
    ) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        occurrence = await occurrence_of(kit, event_id, request_id)
        message = RegistrationChanged(
            id=request_id, event_id=event_id, occurrence=occurrence, change=Change.CANCEL
        )
        try:
            await kit.transaction(
                lambda uow: registrations.change(uow, desk_of(kit), message, "", by_owner=True)
            )
        except DomainError as exc:
            if exc.status >= 500:
                raise
            return web.redirect(f"/console/attendees/{event_id}", notice=exc.reason)
        notice = web.language(request).gettext(N_("Registration cancelled"))
        return web.redirect(f"/console/attendees/{event_id}", notice=notice)

    return pages
