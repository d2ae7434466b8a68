"""HTML in: the public calendar (list, month, event pages) and the console's events.

Public pages show what the API shows an anonymous reader: ``public`` events that are not
drafts, this node's and the partner networks' (from the calendar collection). Console
pages need a signed-in editor and validate the form with ``EventDraft``, the model the
API uses, so both refuse the same input with the same reason, beside its field.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
import calendar as gregorian
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.datastructures import FormData

from services.events import handlers
from services.events.api import dates_of, day_instant, month_bounds, now_instant
from services.events.domain import Event, EventDraft, EventKind, EventStatus
from services.events.store import CalendarFilter, EventsUnitOfWork
from shared.contracts.base import Visibility
from shared.contracts.events import EventState
from shared.errors import DomainError
from shared.service import ServiceKit
from shared.web.forms import domain_errors, optional, split_list, submit, text
from shared.web.i18n import N_
from shared.web.layer import WebLayer
from shared.web.session import Session

Kit = ServiceKit[EventsUnitOfWork]
PAGE_SIZE = 25

KIND_LABELS = {
    EventKind.CONFERENCE: N_("Conference"),
    EventKind.BROKERAGE: N_("Brokerage event"),
    EventKind.TRAINING: N_("Training"),
    EventKind.TRADE_MISSION: N_("Trade mission"),
    EventKind.WEBINAR: N_("Webinar"),
    EventKind.OTHER: N_("Other"),
}
STATUS_LABELS = {
    EventStatus.DRAFT: N_("Draft"),
    EventStatus.PUBLISHED: N_("Published"),
    EventStatus.POSTPONED: N_("Postponed"),
    EventStatus.CANCELLED: N_("Cancelled"),
}
VISIBILITY_LABELS = {
    Visibility.PUBLIC: N_("Public"),
    Visibility.ALLIANCE: N_("Alliance"),
    Visibility.NODE: N_("This network only"),
}


def events_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/events (list), /events/month, /events/{origin}/{id}, /console/events…"""
    pages = APIRouter(include_in_schema=False)
    Staff = Annotated[Session, Depends(web.staff())]

    def reader(request: Request) -> str:
        """The language the page is shown in (the texts follow it when they can)."""
        return web.language(request).code

    def labels(request: Request) -> dict[str, Any]:
        gettext = web.language(request).gettext
        return {
            "kind_options": [(k.value, gettext(label)) for k, label in KIND_LABELS.items()],
            "visibility_options": [
                (v.value, gettext(label)) for v, label in VISIBILITY_LABELS.items()
            ],
            "labels": {
                **{k.value: gettext(label) for k, label in KIND_LABELS.items()},
                **{s.value: gettext(label) for s, label in STATUS_LABELS.items()},
                **{v.value: gettext(label) for v, label in VISIBILITY_LABELS.items()},
            },
        }

    # -- public calendar ------------------------------------------------------------------
    @pages.get("/events")
    async def calendar_list(
        request: Request,
        kind: str = Query("", max_length=20),
        country: str = Query("", max_length=2),
        network: str = Query("", max_length=80),
        start: str = Query("", alias="from", max_length=10),
        end: str = Query("", alias="to", max_length=10),
        topic: str = Query("", max_length=80),
        language: str = Query("", max_length=2),
        open: str = Query("", max_length=2),
        after: str = Query("", max_length=200),
    ) -> Response:
        """The alliance's public calendar, filtered like the API's."""
        values = {
            "kind": kind,
            "country": country,
            "network": network,
            "from": start,
            "to": end,
            "topic": topic,
            "language": language,
            "open": open,
        }
        errors: dict[str, str] = {}
        filters = CalendarFilter()
        try:
            filters = public_filter(values)
        except DomainError as exc:
            errors = domain_errors(exc)
        found, following = (
            await kit.reads().calendar.page(filters, after or None, PAGE_SIZE)
            if not errors
            else ([], None)
        )
        return web.render(
            request,
            "events/calendar.html",
            {
                **labels(request),
                "events": [entry(doc, reader(request)) for doc in found],
                "next": following,
                "filters": values,
                "errors": errors,
                "first_page": not after,
            },
            status=422 if errors else 200,
        )

    @pages.get("/events/month")
    async def month(request: Request, month: str = Query("", max_length=7)) -> Response:
        """A month as a grid of weeks, each day listing the events on it (no script)."""
        first = _month(month) or date.today().replace(day=1)
        start, end = month_bounds(first)
        docs = await kit.reads().calendar.every(CalendarFilter(start=start, end=end))
        days: dict[date, list[dict[str, Any]]] = {}
        for doc in docs:
            event = entry(doc, reader(request))
            for when in dates_of(EventState.model_validate(doc["data"])):
                day = datetime.fromisoformat(when["start"]).date()
                if day.month == first.month:
                    days.setdefault(day, []).append(event)
        weeks = gregorian.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        return web.render(
            request,
            "events/month.html",
            {
                **labels(request),
                "first": first,
                "weeks": weeks,
                "days": days,
                "previous": (first - timedelta(days=1)).strftime("%Y-%m"),
                "following": (first + timedelta(days=32)).strftime("%Y-%m"),
            },
        )

    @pages.get("/events/{origin}/{event_id}")
    async def event_page(request: Request, origin: str, event_id: str) -> Response:
        """One public event, with each of its dates and its .ics link."""
        doc = await kit.reads().calendar.one(origin, event_id, public_only=True)
        if doc is None:
            raise handlers.not_found(event_id)
        state = EventState.model_validate(doc["data"])
        return web.render(
            request,
            "events/event.html",
            {
                **labels(request),
                "event": entry(doc, reader(request)),
                "dates": dates_of(state),
                "own_node": kit.identity.node,  # a brokerage event of this node links its session
            },
        )

    # -- console ----------------------------------------------------------------------
    @pages.get("/console/events")
    async def console_events(
        request: Request, session: Staff, after: str = Query("", max_length=80)
    ) -> Response:
        found, following = await kit.reads().events.page(
            {"deleted": False}, after or None, PAGE_SIZE
        )
        return web.render(
            request,
            "events/console_events.html",
            {**labels(request), "events": found, "next": following},
        )

    @pages.get("/console/events/new")
    async def new_event(request: Request, session: Staff) -> Response:
        values = {"kind": "conference", "visibility": "alliance", "language": "en"}
        return render_form(request, values, {}, None)

    @pages.post("/console/events/new")
    async def create_event(request: Request, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, _str(form.get("csrf")))
        values = form_values(form)
        draft, errors = await submit(
            EventDraft,
            draft_body(values, {}),
            lambda draft: kit.transaction(
                lambda uow: handlers.create_event(draft, uow, kit.identity)
            ),
        )
        if draft is not None:
            return web.redirect("/console/events", notice=_saved(web, request, values))
        return render_form(request, values, errors, None, status=422)

    @pages.get("/console/events/{event_id}")
    async def edit_event(request: Request, event_id: str, session: Staff) -> Response:
        event = await handlers.existing_event(event_id, kit.reads())
        return render_form(request, event_values(event), {}, event)

    @pages.post("/console/events/{event_id}")
    async def save_event(request: Request, event_id: str, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, _str(form.get("csrf")))
        event = await handlers.existing_event(event_id, kit.reads())
        values = form_values(form)
        draft, errors = await submit(
            EventDraft,
            draft_body(values, event.model_dump(mode="json")),
            lambda draft: kit.transaction(lambda uow: handlers.revise_event(event_id, draft, uow)),
        )
        if draft is not None:
            return web.redirect("/console/events", notice=_saved(web, request, values))
        return render_form(request, values, errors, event, status=422)

    @pages.post("/console/events/{event_id}/{verb}")
    async def move_event(request: Request, event_id: str, verb: str, session: Staff) -> Response:
        """Publish, postpone or cancel; a move the status does not allow is shown, not 500."""
        form = await request.form()
        web.check_form(request, _str(form.get("csrf")))
        move = handlers.STATUS_CHANGES.get(verb)
        if move is None:
            raise handlers.not_found(f"{event_id}/{verb}")
        try:
            await kit.transaction(lambda uow: move(event_id, uow))
        except DomainError as exc:
            if exc.status != 422:
                raise
            event = await handlers.existing_event(event_id, kit.reads())
            return render_form(request, event_values(event), domain_errors(exc), event, 422)
        notice = web.language(request).gettext(N_("Status changed: %s")) % verb
        return web.redirect(f"/console/events/{event_id}", notice=notice)

    def render_form(
        request: Request,
        values: dict[str, Any],
        errors: dict[str, str],
        event: Event | None,
        status: int = 200,
    ) -> Response:
        return web.render(
            request,
            "events/event_form.html",
            {**labels(request), "values": values, "errors": _on_fields(errors), "event": event},
            status=status,
        )

    return pages


def public_filter(values: dict[str, str]) -> CalendarFilter:
    """The public calendar's filters from the page's query (a bad date names its field)."""
    start, end = _day(values["from"], "from"), _day(values["to"], "to")
    if values["kind"] and values["kind"] not in {k.value for k in EventKind}:
        raise DomainError("unknown kind of event", "kind")
    return CalendarFilter(
        kind=values["kind"] or None,
        country=values["country"] or None,
        network=values["network"] or None,
        start=day_instant(start) if start else None,
        end=day_instant(end + timedelta(days=1)) if end else None,
        topic=values["topic"] or None,
        language=values["language"] or None,
        open_at=now_instant() if values["open"] else None,
    )


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("give a date as YYYY-MM-DD", field) from None


def _month(value: str) -> date | None:
    try:
        return date.fromisoformat(f"{value}-01") if value else None
    except ValueError:
        return None


def entry(doc: dict[str, Any], reader: str) -> dict[str, Any]:
    """A calendar entry for a page: the state, its owner, and its texts in the reader's
    language when the organiser wrote them in it, else in the original language."""
    data = doc["data"]
    titles, descriptions = data["title"], data.get("description", {})
    original = data["language"]
    return {
        **data,
        "origin": doc["origin"],
        "shown_title": titles.get(reader) or titles.get(original) or next(iter(titles.values())),
        "shown_description": descriptions.get(reader) or descriptions.get(original, ""),
    }


def form_values(form: FormData) -> dict[str, Any]:
    """The form as typed, flat (what the page shows back beside the errors)."""
    names = [
        *("kind", "language", "title", "description", "timezone", "start", "end"),
        *("online_url", "venue.address", "venue.city", "venue.country", "capacity"),
        *("registration_opens", "registration_closes", "visibility"),
        *("nace_sections", "tags", "recurrence"),
    ]
    return {name: text(form, name) for name in names}


def draft_body(values: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """An ``EventDraft`` body from the flat form; what the form does not edit (fees,
    speakers, texts in other languages) is kept from the current event."""
    language = values["language"].lower()
    title = {**current.get("title", {}), language: values["title"]}
    description = {**current.get("description", {}), language: values["description"]}
    venue = None
    if values["venue.city"] or values["venue.country"] or values["venue.address"]:
        venue = {
            "address": values["venue.address"],
            "city": values["venue.city"],
            "country": values["venue.country"],
        }
    capacity = values["capacity"]
    return {
        "kind": values["kind"],
        "language": language,
        "title": title,
        "description": {k: v for k, v in description.items() if v},
        "timezone": values["timezone"],
        "start": values["start"],
        "end": values["end"],
        "online_url": optional(values, "online_url"),
        "venue": venue,
        "fees": current.get("fees", {}),
        "capacity": int(capacity) if capacity.isdigit() else (capacity or None),
        "registration_opens": optional(values, "registration_opens"),
        "registration_closes": optional(values, "registration_closes"),
        "speakers": current.get("speakers", []),
        "visibility": values["visibility"],
        "nace_sections": split_list(values["nace_sections"]),
        "tags": split_list(values["tags"]),
        "recurrence": optional(values, "recurrence"),
        "call_for_speakers": current.get("call_for_speakers"),  # its own page edits it
    }


def event_values(event: Event) -> dict[str, Any]:
    """An event as the form's flat values."""
    data = event.model_dump(mode="json")
    venue = data.get("venue") or {}
    return {
        **{k: data.get(k) or "" for k in ("kind", "language", "timezone", "online_url")},
        "title": event.title.get(event.language, ""),
        "description": event.description.get(event.language, ""),
        "start": data["start"][:16],
        "end": data["end"][:16],
        "venue.address": venue.get("address", ""),
        "venue.city": venue.get("city", ""),
        "venue.country": venue.get("country", ""),
        "capacity": data.get("capacity") or "",
        "registration_opens": (data.get("registration_opens") or "")[:16],
        "registration_closes": (data.get("registration_closes") or "")[:16],
        "visibility": data["visibility"],
        "nace_sections": ", ".join(event.nace_sections),
        "tags": ", ".join(event.tags),
        "recurrence": event.recurrence or "",
    }


def _on_fields(errors: dict[str, str]) -> dict[str, str]:
    """Errors keyed by the form's fields: a text's language key goes to its one field."""
    shown: dict[str, str] = {}
    for name, reason in errors.items():
        base = name.split(".", 1)[0] if name.startswith(("title.", "description.")) else name
        shown.setdefault(base, reason)
    return shown


def _saved(web: WebLayer, request: Request, values: dict[str, Any]) -> str:
    return web.language(request).gettext(N_("Saved: %s")) % values["title"]


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
