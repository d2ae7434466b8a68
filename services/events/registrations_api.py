"""HTTP in: registrations, on the registrant's node and in the owner's console.

- ``POST /api/events/registrations`` (editor: staff registering a member): checked
  against this node's copy of the event (unknown, not open, no such date or ticket, a
  duplicate: a 4xx naming the field), kept as pending and sent to the owner node;
- ``GET /api/events/registrations[/{id}]``: "my registrations" with where each stands;
- ``POST /api/events/registrations/{id}/{cancel|leave|accept|decline}``: sent to the owner;
- the owner's console: ``GET /api/events/attendees/{event_id}`` (JSON, or CSV with
  ``.csv``) and ``POST /api/events/attendees/{event_id}/{request_id}/cancel``.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
import csv
import io
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Response

from services.events import handlers, registrations
from services.events.api import dates_of
from services.events.domain import EventStatus
from services.events.registrations import (
    LIVE_STATES,
    Desk,
    RegistrationForm,
    desk_of,
    registrant_id,
)
from services.events.registrations_store import ATTENDEES, MY_REGISTRATIONS, Books
from services.events.store import EventsUnitOfWork, calendar_keys
from shared.contracts.events import EventState
from shared.contracts.events_register import Change, RegistrationChanged
from shared.errors import DomainError, Duplicate, NotFound
from shared.http import problem_responses
from shared.instants import wire_time
from shared.service import ServiceKit
from shared.store import Document

Kit = ServiceKit[EventsUnitOfWork]
CSV_COLUMNS = (
    "occurrence",
    "status",
    "position",
    "contact_name",
    "contact_email",
    "organization",
    "node",
    "party",
    "total",
    "currency",
    "membership_network",
    "request_id",
    "arrived",
)


async def event_to_register(kit: Kit, form: RegistrationForm) -> Document:
    """This node's copy of the event, checked the way the owner will check it (so bad
    input is a 4xx here, not a refusal later), with its first date."""
    reads = kit.reads()
    if form.origin == kit.identity.node:
        event = await reads.events.get(form.event_id)
        state = None if event is None or event.deleted else event.model_dump(mode="json")
    else:
        doc = await reads.calendar.one(form.origin, form.event_id, public_only=False)
        state = doc["data"] if doc else None
    if state is None:
        raise NotFound(f"no event {form.event_id!r} of {form.origin!r} on this node", "event_id")
    event_state = EventState.model_validate({**state, "id": form.event_id})
    _check_open(event_state, calendar_keys(event_state))
    dates = [d["start"][:10] for d in dates_of(event_state)]
    if form.occurrence is not None and form.occurrence.isoformat() not in dates:
        raise DomainError(f"the event has no date {form.occurrence.isoformat()}", "occurrence")
    tickets = [t["code"] for t in event_state.fees.get("tickets", [])]
    if form.ticket is not None and form.ticket not in tickets:
        raise DomainError(f"the event has no ticket type {form.ticket!r}", "ticket")
    return {"title": _title(event_state), "first_date": dates[0]}


def _check_open(event: EventState, keys: Document) -> None:
    """A cancelled, postponed or closed event takes no registration (the owner's rule)."""
    if event.status != EventStatus.PUBLISHED.value:
        raise DomainError(f"the event is {event.status}, not open for registration", "event_id")
    now = wire_time(datetime.now(UTC))
    opens, closes = keys.get("registration_from"), keys.get("registration_until")
    if opens and now < opens:
        raise DomainError(f"registration opens at {opens}", "event_id")
    if closes and now >= closes:
        raise DomainError(f"registration closed at {closes}", "event_id")


def _title(event: EventState) -> str:
    return event.title.get(event.language) or next(iter(event.title.values()), "")


async def not_twice(kit: Kit, form: RegistrationForm, occurrence: str | None) -> None:
    """The same person's second live registration for a date is a 409, not a request."""
    query: Document = {
        "owner": form.origin,
        "event_id": form.event_id,
        "registrant": registrant_id(form.contact_email),
        "status": {"$in": ["pending", *LIVE_STATES]},
    }
    if occurrence:
        query["occurrence"] = occurrence
    if await kit.reads().collection(MY_REGISTRATIONS).find_one(query):
        raise Duplicate("already registered for this event and date", "contact_email")


def mine_view(doc: Document) -> dict[str, Any]:
    """A registration as its node shows it (the owner's reason when decided)."""
    view = {k: v for k, v in doc.items() if k not in ("_id", "registrant", "key")}
    view["id"] = doc["_id"]
    for moment in ("sent", "decided"):
        if isinstance(view.get(moment), datetime):
            view[moment] = view[moment].isoformat()
    return view


async def send_registration(kit: Kit, form: RegistrationForm, key: str | None = None) -> Document:
    """Check a registration against this node's copy of the event, keep it as pending
    (with the digest of a person's ``key``, for a public one) and send it to the owner:
    the one path of staff (API, console) and public registrations."""
    event = await event_to_register(kit, form)
    occurrence = form.occurrence.isoformat() if form.occurrence else event["first_date"]
    await not_twice(kit, form, occurrence)
    kept = await kit.transaction(
        lambda uow: registrations.request_registration(uow, desk_of(kit), form, event, key)
    )
    found = await kit.reads().collection(MY_REGISTRATIONS).find_one({"_id": kept["_id"]})
    return found or kept


def registrations_api(kit: Kit) -> APIRouter:
    """Routes of registration: the registrant's side, and the owner's console."""
    api = APIRouter(prefix="/api/events", tags=["events"], dependencies=[Depends(kit.editor)])
    mine = kit.reads().collection(MY_REGISTRATIONS)

    def desk() -> Desk:
        return desk_of(kit)

    @api.post("/registrations", status_code=201, responses=problem_responses(404, 409, 422))
    async def register(form: RegistrationForm) -> dict[str, Any]:
        """Register a member for an event of any network; the owner node decides."""
        return mine_view(await send_registration(kit, form))

    @api.get("/registrations")
    async def my_registrations() -> list[dict[str, Any]]:
        """This node's registrations, newest first: pending, confirmed, waitlisted, refused."""
        return [mine_view(doc) async for doc in mine.find({}, sort=[("_id", -1)], limit=1000)]

    @api.get("/registrations/{request_id}", responses=problem_responses(404))
    async def my_registration(request_id: str) -> dict[str, Any]:
        doc = await mine.find_one({"_id": request_id})
        if doc is None:
            raise NotFound(f"no registration {request_id!r} on this node", "request_id")
        return mine_view(doc)

    @api.post("/registrations/{request_id}/{what}", responses=problem_responses(404, 422))
    async def change_mine(request_id: str, what: Change) -> dict[str, Any]:
        """Cancel, leave the waiting list, accept or decline an offer: the owner decides."""
        await kit.transaction(lambda uow: registrations.ask_change(uow, desk(), request_id, what))
        return mine_view(await mine.find_one({"_id": request_id}) or {"_id": request_id})

    @api.get(
        "/attendees/{event_id}.csv",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}, **problem_responses(404)},
    )
    async def attendees_csv(event_id: str, occurrence: str | None = None) -> Response:
        """Owner: the same list as CSV, for a spreadsheet."""
        rows = await attendee_rows(kit, event_id, occurrence)
        return Response(
            as_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{event_id}.csv"'},
        )

    @api.get("/attendees/{event_id}", responses=problem_responses(404))
    async def attendees(event_id: str, occurrence: str | None = None) -> list[dict[str, Any]]:
        """Owner: every registration of an own event, per date, in the books' order."""
        return await attendee_rows(kit, event_id, occurrence)

    @api.post(
        "/attendees/{event_id}/{request_id}/cancel",
        responses=problem_responses(404, 422),
    )
    async def cancel_theirs(event_id: str, request_id: str) -> dict[str, Any]:
        """Owner: cancel a registration; the registrant's node is told, the next offered."""
        occurrence = await occurrence_of(kit, event_id, request_id)
        message = RegistrationChanged(
            id=request_id, event_id=event_id, occurrence=occurrence, change=Change.CANCEL
        )
        await kit.transaction(
            lambda uow: registrations.change(uow, desk(), message, "", by_owner=True)
        )
        return {"request_id": request_id, "status": "cancelled"}

    return api


async def occurrence_of(kit: Kit, event_id: str, request_id: str) -> str:
    found = (
        await kit.reads()
        .collection(ATTENDEES)
        .find_one({"event_id": event_id, "request_id": request_id})
    )
    if found is None:
        raise NotFound(f"no registration {request_id!r} for event {event_id!r}", "request_id")
    return str(found["occurrence"])


async def attendee_rows(kit: Kit, event_id: str, occurrence: str | None) -> list[dict[str, Any]]:
    """The books of an own event joined with who asked (personal data: owner only)."""
    uow = kit.reads()
    if await uow.events.get(event_id) is None:
        raise handlers.not_found(event_id)
    people = {
        (doc["node"], doc["request_id"]): doc
        async for doc in uow.collection(ATTENDEES).find({"event_id": event_id})
    }
    rows: list[dict[str, Any]] = []
    for book in sorted(await Books(uow).every_book(event_id), key=lambda b: b.occurrence):
        if occurrence and book.occurrence != occurrence:
            continue
        waiting = [r.request_id for r in book.waiting()]
        for registration in book.registrations:
            who = people.get((registration.registrant.node, registration.request_id), {})
            quote = registration.quote
            rows.append(
                {
                    "occurrence": book.occurrence,
                    "status": registration.status.value,
                    "position": waiting.index(registration.request_id) + 1
                    if registration.request_id in waiting
                    else None,
                    "contact_name": who.get("contact_name", ""),
                    "contact_email": who.get("contact_email", ""),
                    "organization": who.get("organization", ""),
                    "node": registration.registrant.node,
                    "party": registration.party,
                    "total": quote.total,
                    "currency": quote.currency,
                    "membership_network": quote.membership_network,
                    "request_id": registration.request_id,
                    "arrived": registration.arrived.isoformat(),
                    "reason": registration.reason,
                }
            )
    return rows


def as_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV, a header first; cells a spreadsheet would run as a formula are
    quoted with a leading apostrophe."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in CSV_COLUMNS})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value
