"""HTML in for brokerage sessions: the public session page and joining (as an
organisation typed by hand or one the node knows: a console session picks from all it
holds, anyone else from its public ones), a participant's
pages (opened with their key: profile, unavailable slots, participants, recommendations,
requests, agenda), and the organiser's console (sessions, the schedule board, table
sheets). Who may see what is as in ``brokerage_api.py``; forms validate with the very
models the API uses, so both refuse the same input with the same reason.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from services.matching import brokerage_known as known
from services.matching import brokerage_ops as ops
from services.matching import brokerage_store as store
from services.matching import brokerage_views as views
from services.matching.brokerage import (
    OPEN_STATUSES,
    JoinDraft,
    MoveDraft,
    ProfileDraft,
    RequestDraft,
    SessionDraft,
    UnavailableDraft,
    slot_count,
)
from services.matching.brokerage_schedule import lock, move
from shared.errors import DomainError, NotFound
from shared.fields import Input
from shared.web.forms import domain_errors, parse, split_list, text
from shared.web.i18n import N_
from shared.web.labels import COOPERATION_LABELS, labelled
from shared.web.layer import WebLayer
from shared.web.session import Session

# a request's state, as the pages show it
STATES = (N_("pending"), N_("accepted"), N_("declined"), N_("withdrawn"), N_("locked"))
KeyQuery = Annotated[str, Query(max_length=100)]
JOIN_FIELDS = ("name", "email", "known", "organisation", "country")
SESSION_FIELDS = (
    "event_id",
    "start",
    "slot_minutes",
    "slots_per_day",
    "tables",
    "request_deadline",
)


def participant_path(participant_id: str) -> str:
    return f"/brokerage/participants/{participant_id}"


def brokerage_pages(kit: ops.Kit, web: WebLayer) -> APIRouter:
    """/brokerage/{session}, /brokerage/participants/{id}…, /console/brokerage…"""
    pages = APIRouter(include_in_schema=False)
    Staff = Annotated[Session, Depends(web.staff())]

    def say(request: Request, message: str) -> str:
        return web.language(request).gettext(message)

    # -- the public session page and joining -----------------------------------------------
    def staff(request: Request) -> bool:
        """A console session picks from every organisation the node holds, as in search."""
        return web.session(request) is not None

    async def session_page(
        request: Request, session_id: str, values: dict[str, str], errors: dict[str, str]
    ) -> Response:
        try:
            session = views.session_view(await store.session_of(kit.reads(), session_id))
        except NotFound:  # the event's page links here before its session is made
            return web.render(request, "matching/brokerage/no_session.html", {}, 404)
        find = request.query_params.get("find", "").strip()[:200]
        choices = await known.choices(kit.reads(), staff(request), find)
        context = {
            "brokerage": session,
            "values": values,
            "errors": errors,
            "find": find,
            "known": [
                (o["key"], f"{o['legal_name']} ({o['country']}, {o['network']})") for o in choices
            ],
        }
        return web.render(
            request, "matching/brokerage/session.html", context, 422 if errors else 200
        )

    @pages.get("/brokerage/{session_id}")
    async def show_session(request: Request, session_id: str) -> Response:
        return await session_page(request, session_id, {}, {})

    @pages.post("/brokerage/{session_id}/join")
    async def join(request: Request, session_id: str) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        values = {name: text(form, name) for name in (*JOIN_FIELDS, "nace_codes")}
        typed = {k: v for k, v in values.items() if v or k not in ("organisation", "country")}
        draft, errors = parse(JoinDraft, {**typed, "nace_codes": split_list(values["nace_codes"])})
        if draft is not None:
            try:
                found, key = await ops.join(kit, session_id, draft, staff(request))
            except DomainError as exc:
                errors = domain_errors(exc)
            else:
                notice = say(
                    request, N_("You joined. Keep this page's address: it holds your key.")
                )
                return web.redirect(participant_path(found["_id"]), key=key, notice=notice)
        return await session_page(request, session_id, values, errors)

    # -- a participant's pages (with their key) --------------------------------------------
    async def home(
        request: Request, participant_id: str, key: str, errors: dict[str, str], status: int = 200
    ) -> Response:
        found = await ops.participant(kit, participant_id, key)
        session = views.session_view(await store.session_of(kit.reads(), found["session_id"]))
        mine = await ops.requests(kit, found)
        context = {
            "me": views.own_participant(found),
            "key": key,
            "brokerage": session,
            "others": await ops.others(kit, found),
            "recommended": await ops.recommendations(kit, found),
            "requests": mine,
            "open_with": {
                r["other"]["id"]
                for r in [*mine["in"], *mine["out"]]
                if r["status"] in OPEN_STATUSES
            },
            "errors": errors,
            "cooperation_options": labelled(COOPERATION_LABELS, web.language(request).gettext),
        }
        return web.render(request, "matching/brokerage/participant.html", context, status)

    @pages.get("/brokerage/participants/{participant_id}")
    async def show_participant(
        request: Request, participant_id: str, key: KeyQuery = ""
    ) -> Response:
        return await home(request, participant_id, key, {})

    async def participant_form(
        request: Request,
        participant_id: str,
        model: type[BaseModel],
        values: Callable[[Any], dict[str, Any]],
        change: Callable[[str, Any], Awaitable[object]],
        done: str,
    ) -> Response:
        """A participant's form: validated by the API's model, changed, back home."""
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        key = text(form, "key")
        draft, errors = parse(model, values(form))
        if draft is not None:
            try:
                await change(key, draft)
            except DomainError as exc:
                errors = domain_errors(exc)
        if errors:
            return await home(request, participant_id, key, errors, 422)
        return web.redirect(participant_path(participant_id), key=key, notice=say(request, done))

    @pages.post("/brokerage/participants/{participant_id}/profile")
    async def profile(request: Request, participant_id: str) -> Response:
        return await participant_form(
            request,
            participant_id,
            ProfileDraft,
            lambda form: {
                "offers": text(form, "offers"),
                "needs": text(form, "needs"),
                "cooperation_types": form.getlist("cooperation_types"),
                "technologies": split_list(text(form, "technologies")),
            },
            lambda key, draft: ops.publish_profile(kit, participant_id, key, draft),
            N_("Your profile is published."),
        )

    @pages.post("/brokerage/participants/{participant_id}/unavailable")
    async def unavailable(request: Request, participant_id: str) -> Response:
        return await participant_form(
            request,
            participant_id,
            UnavailableDraft,
            lambda form: {"slots": [int(s) for s in form.getlist("slots") if s.isdigit()]},
            lambda key, draft: ops.set_unavailable(kit, participant_id, key, draft.slots),
            N_("Your unavailable slots are saved."),
        )

    @pages.post("/brokerage/participants/{participant_id}/requests")
    async def send(request: Request, participant_id: str) -> Response:
        return await participant_form(
            request,
            participant_id,
            RequestDraft,
            lambda form: {"to": text(form, "to"), "message": text(form, "message")},
            lambda key, draft: ops.send_request(kit, participant_id, key, draft),
            N_("Your meeting request is sent."),
        )

    @pages.post("/brokerage/participants/{participant_id}/requests/{request_id}/{verb}")
    async def answer(request: Request, participant_id: str, request_id: str, verb: str) -> Response:
        if verb not in ("accept", "decline", "withdraw"):
            return web.error_page(request, 404, f"no action {verb!r}")
        return await participant_form(
            request,
            participant_id,
            Input,
            lambda form: {},
            lambda key, _: ops.decide(kit, participant_id, key, request_id, verb),
            N_("Done."),
        )

    @pages.get("/brokerage/participants/{participant_id}/agenda")
    async def agenda(
        request: Request, participant_id: str, key: KeyQuery = "", print: str = ""
    ) -> Response:
        found = await ops.participant(kit, participant_id, key)
        session, items = await ops.agenda(kit, found)
        context = {
            "me": views.own_participant(found),
            "key": key,
            "brokerage": session,
            "items": items,
        }
        template = "agenda_print.html" if print else "agenda.html"
        return web.render(request, f"matching/brokerage/{template}", context)

    @pages.get("/brokerage/participants/{participant_id}/agenda.ics")
    async def agenda_ics(participant_id: str, key: KeyQuery = "") -> Response:
        found = await ops.participant(kit, participant_id, key)
        session, items = await ops.agenda(kit, found)
        body = views.agenda_ics(session, items, kit.identity.node, found["organisation"])
        return Response(body, media_type="text/calendar; charset=utf-8")

    # -- the organiser's console -----------------------------------------------------------
    async def sessions_page(
        request: Request, values: dict[str, str], errors: dict[str, str]
    ) -> Response:
        sessions = await ops.sessions(kit)
        events = await ops.events_without_session(kit, {s["id"] for s in sessions})
        context = {"sessions": sessions, "events": events, "values": values, "errors": errors}
        return web.render(
            request, "matching/brokerage/console_sessions.html", context, 422 if errors else 200
        )

    @pages.get("/console/brokerage")
    async def console_sessions(request: Request, session: Staff) -> Response:
        return await sessions_page(request, {}, {})

    @pages.post("/console/brokerage")
    async def create_session(request: Request, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        values = {name: text(form, name) for name in (*SESSION_FIELDS, "days")}
        draft, errors = parse(SessionDraft, {**values, "days": split_list(values["days"])})
        if draft is not None:
            try:
                created = await ops.create_session(kit, draft)
            except DomainError as exc:
                errors = domain_errors(exc)
            else:
                return web.redirect(f"/console/brokerage/{created['_id']}")
        return await sessions_page(request, values, errors)

    async def board_page(
        request: Request, session_id: str, errors: dict[str, str], status: int = 200
    ) -> Response:
        context = {**await ops.board(kit, session_id), "errors": errors}
        return web.render(request, "matching/brokerage/board.html", context, status)

    @pages.get("/console/brokerage/{session_id}")
    async def console_board(request: Request, session_id: str, session: Staff) -> Response:
        return await board_page(request, session_id, {})

    async def organiser_change(
        request: Request, session_id: str, change: Callable[[Any], Awaitable[object]], done: str
    ) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        try:
            await change(form)
        except DomainError as exc:
            return await board_page(request, session_id, domain_errors(exc), 422)
        return web.redirect(f"/console/brokerage/{session_id}", notice=say(request, done))

    @pages.post("/console/brokerage/{session_id}/schedule")
    async def schedule_all(request: Request, session_id: str, session: Staff) -> Response:
        return await organiser_change(
            request, session_id, lambda form: ops.run_schedule(kit, session_id), N_("Scheduled.")
        )

    @pages.post("/console/brokerage/{session_id}/meetings/{request_id}/lock")
    async def lock_meeting(
        request: Request, session_id: str, request_id: str, session: Staff
    ) -> Response:
        return await organiser_change(
            request,
            session_id,
            lambda form: kit.transaction(
                lambda uow: lock(uow, session_id, request_id, text(form, "locked") == "on")
            ),
            N_("Saved."),
        )

    @pages.post("/console/brokerage/{session_id}/meetings/{request_id}/move")
    async def move_meeting(
        request: Request, session_id: str, request_id: str, session: Staff
    ) -> Response:
        async def moved(form: Any) -> None:
            draft, errors = parse(
                MoveDraft, {"slot": text(form, "slot"), "table": text(form, "table")}
            )
            if draft is None:
                field, reason = next(iter(errors.items()))
                raise DomainError(reason, field)
            await kit.transaction(
                lambda uow: move(uow, session_id, request_id, draft.slot, draft.table)
            )

        return await organiser_change(request, session_id, moved, N_("Moved and locked."))

    @pages.get("/console/brokerage/{session_id}/tables/{table}")
    async def table_sheet(
        request: Request, session_id: str, table: int, session: Staff
    ) -> Response:
        found, meetings = await ops.table_sheet(kit, session_id, table)
        context = {
            "brokerage": found,
            "table": table,
            "meetings": meetings,
            "slots": slot_count(found),
        }
        return web.render(request, "matching/brokerage/table_sheet.html", context)

    return pages
