"""HTTP in: the calendar API under /api/events, and its iCalendar feeds.

Reads need no token and show ``public`` events that are not drafts; with a token a
caller sees everything the node holds (its own drafts, ``alliance`` and ``node`` events).
Writes need an editor token; withdrawing an event (off every calendar) an admin token.
The calendar (``GET /api/events/events``) reads the node's ``calendar`` collection, which
the projection fills from the bus: a change shows there a moment after it is committed.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the route annotations,
# which name dependencies local to ``events_api``.
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from prometheus_client import Gauge

from services.events import handlers
from services.events.domain import (
    Event,
    EventDraft,
    EventKind,
    EventStatus,
    state_occurrences,
)
from services.events.store import CalendarFilter, EventsUnitOfWork
from shared.auth import Role, can_read
from shared.calendar import FeedItem, feed
from shared.contracts.events import EventState
from shared.errors import DomainError
from shared.http import Page, problem_responses
from shared.instants import wire_now
from shared.service import ServiceKit
from shared.store import Document

Kit = ServiceKit[EventsUnitOfWork]
ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"
ICS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/calendar": {"schema": {"type": "string"}}}}
}


def day_instant(day: date) -> str:
    """The start of a day (UTC), as the calendar's keys write instants."""
    return datetime.combine(day, time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def month_bounds(first: date) -> tuple[str, str]:
    """The instants a month starts and ends at (UTC), for a month view's query."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day_instant(first), day_instant(following)


now_instant = wire_now  # the calendar's keys write instants as the wire does


def dates_of(event: EventState) -> list[dict[str, Any]]:
    """Each date of the event (every one of a series) with its seats."""
    return [
        {"start": d.start.isoformat(), "end": d.end.isoformat(), "capacity": d.capacity}
        for d in state_occurrences(event)
    ]


def calendar_view(doc: Document) -> dict[str, Any]:
    """A calendar entry: the event's state and the node that owns it."""
    return {**doc["data"], "origin": doc["origin"]}


def own_view(event: Event, origin: str, role: Role | None) -> dict[str, Any]:
    """An own event as its caller may see it; hidden looks exactly like unknown."""
    if not can_read(role, event.visibility, event.deleted) or (
        role is None and event.status is EventStatus.DRAFT
    ):
        raise handlers.not_found(event.id)
    return {**event.model_dump(mode="json"), "origin": origin}


def status_gauge(kit: Kit) -> Gauge:
    """alliance_events{status}: this node's own events by status."""
    return Gauge(
        "alliance_events",
        "This node's own events (withdrawn ones excepted), by status.",
        ["status"],
        registry=kit.metrics.registry,
    )


def events_api(kit: Kit) -> APIRouter:
    """Routes bound to this node's events service."""
    api = APIRouter(prefix="/api/events", tags=["events"])
    identity = kit.identity
    Caller = Annotated[Role | None, Depends(kit.caller)]
    by_status = status_gauge(kit)

    primed: list[bool] = []  # counted since this process started

    async def recount() -> None:
        """Set the status gauge from the store (one small read of own events)."""
        for status, count in (await kit.reads().events.counts_by_status()).items():
            by_status.labels(status).set(count)
        primed[:] = [True]

    async def counted(event: Event) -> Event:
        """The changed event, once the status gauge is true again."""
        await recount()
        return event

    @api.post("/events", status_code=201, dependencies=[Depends(kit.editor)], response_model=Event)
    async def create_event(draft: EventDraft) -> Event:
        """A new event, as a draft: it stays on this node until published."""
        return await counted(
            await kit.transaction(lambda uow: handlers.create_event(draft, uow, identity))
        )

    @api.get("/events")
    async def list_events(
        role: Caller,
        kind: EventKind | None = None,
        country: str | None = Query(None, min_length=2, max_length=2),
        network: str | None = Query(None, max_length=80, description="the owner node's id"),
        start: Annotated[
            date | None, Query(alias="from", description="events ending on or after")
        ] = None,
        end: Annotated[
            date | None, Query(alias="to", description="events starting on or before")
        ] = None,
        topic: str | None = Query(None, max_length=80, description="NACE section or tag"),
        language: str | None = Query(None, pattern=r"^[A-Za-z]{2}$"),
        open: bool = Query(False, description="only events open for registration now"),
        after: str | None = Query(None, max_length=200, description="the previous page's `next`"),
        limit: int = Query(50, ge=1, le=500),
    ) -> Page:
        """The alliance's calendar: this node's events and those others share with it."""
        if start and end and end < start:
            raise DomainError("`to` must not be before `from`", "to")
        if not primed:
            await recount()
        filters = CalendarFilter(
            kind=kind.value if kind else None,
            country=country,
            network=network,
            start=day_instant(start) if start else None,
            end=day_instant(end + timedelta(days=1)) if end else None,
            topic=topic,
            language=language,
            open_at=now_instant() if open else None,
            public_only=role is None,
        )
        found, following = await kit.reads().calendar.page(filters, after, limit)
        return Page(items=[calendar_view(doc) for doc in found], next=following)

    @api.get("/events/{origin}/{event_id}", responses=problem_responses(404))
    async def get_event(origin: str, event_id: str, role: Caller) -> dict[str, Any]:
        """One event of the calendar, with each of its dates."""
        if origin == identity.node:
            event = await handlers.existing_event(event_id, kit.reads())
            view = own_view(event, origin, role)
        else:
            doc = await kit.reads().calendar.one(origin, event_id, public_only=role is None)
            if doc is None:
                raise handlers.not_found(event_id)
            view = calendar_view(doc)
        return {**view, "dates": dates_of(EventState.model_validate(view))}

    @api.put(
        "/events/{event_id}",
        dependencies=[Depends(kit.editor)],
        response_model=Event,
        responses=problem_responses(404, 410),
    )
    async def put_event(event_id: str, draft: EventDraft) -> Event:
        """Replace the event's details; once published, its sequence rises."""
        return await counted(
            await kit.transaction(lambda uow: handlers.revise_event(event_id, draft, uow))
        )

    for verb, handler in handlers.STATUS_CHANGES.items():
        api.add_api_route(
            f"/events/{{event_id}}/{verb}",
            _status_route(kit, handler, counted),
            methods=["POST"],
            dependencies=[Depends(kit.editor)],
            response_model=Event,
            responses=problem_responses(404, 410),
            name=f"{verb}_event",
            summary=f"{verb.capitalize()} an event",
        )

    @api.delete(
        "/events/{event_id}",
        dependencies=[Depends(kit.admin)],
        response_model=Event,
        responses=problem_responses(404, 410),
    )
    async def withdraw_event(event_id: str) -> Event:
        """Off every calendar (admin): other nodes' copies are withdrawn too."""
        return await counted(
            await kit.transaction(lambda uow: handlers.withdraw_event(event_id, uow))
        )

    return api


def _status_route(
    kit: Kit, handler: handlers.StatusChange, counted: Callable[[Event], Awaitable[Event]]
) -> Callable[[str], Awaitable[Event]]:
    """A POST route moving an event to another status (publish, postpone, cancel)."""

    async def route(event_id: str) -> Event:
        return await counted(await kit.transaction(lambda uow: handler(event_id, uow)))

    route.__doc__ = handler.__doc__
    return route


def calendar_feeds(kit: Kit) -> APIRouter:
    """The iCalendar feeds: public events only in the node's and the alliance's feeds."""
    feeds = APIRouter(tags=["events"])
    identity = kit.identity

    def page_url(request: Request, origin: str, event_id: str) -> str:
        return str(request.base_url).rstrip("/") + f"/events/{origin}/{event_id}"

    def answer(request: Request, name: str, docs: list[Document], filename: str) -> Response:
        items = [
            FeedItem(doc["origin"], event, page_url(request, doc["origin"], event.id))
            for doc in docs
            if (event := EventState.model_validate(doc["data"]))
        ]
        return Response(
            feed(name, items, datetime.now(UTC)),
            media_type=ICS_MEDIA_TYPE,
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )

    @feeds.get("/calendar.ics", response_class=Response, responses=ICS_RESPONSE)
    async def node_feed(request: Request) -> Response:
        """This node's own public events (drafts never), to subscribe to."""
        filters = CalendarFilter(network=identity.node)
        docs = await kit.reads().calendar.every(filters)
        return answer(request, identity.name, docs, "calendar.ics")

    @feeds.get("/alliance.ics", response_class=Response, responses=ICS_RESPONSE)
    async def alliance_feed(request: Request) -> Response:
        """Every public event this node holds: its own and the partner networks'."""
        docs = await kit.reads().calendar.every(CalendarFilter())
        return answer(request, "European Clusters Alliance", docs, "alliance.ics")

    @feeds.get(
        "/events/{origin}/{event_id}.ics",
        response_class=Response,
        responses={**ICS_RESPONSE, **problem_responses(404)},
    )
    async def event_feed(origin: str, event_id: str, request: Request) -> Response:
        """One public event, to add to a calendar."""
        doc = await kit.reads().calendar.one(origin, event_id, public_only=True)
        if doc is None:
            raise handlers.not_found(event_id)
        return answer(request, identity.name, [doc], f"{event_id}.ics")

    return feeds
