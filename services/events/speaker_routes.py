"""HTTP in for the call for speakers: applications in the API, the pages, the console.

Anyone may apply to an event this node's calendar shows them while its call is open; the
decision is read with the key the application returned (``GET …/applications/{id}?key=``)
or by this node's staff. The staff open or change an event's call (its own console page;
in the API it is the event's ``call_for_speakers``) and decide on applications.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.datastructures import FormData

from services.events import handlers, speakers
from services.events.domain import Event, EventDraft
from services.events.personal import public_view
from services.events.personal_routes import (
    by_event,
    calendar_event,
    console_decision,
    read_keyed,
    request_form,
)
from services.events.speakers import ApplicationDraft, DecisionDraft
from services.events.store import EventsUnitOfWork
from shared.auth import Role
from shared.http import problem_responses
from shared.service import ServiceKit
from shared.store import Document
from shared.web.forms import split_list, submit, text
from shared.web.i18n import N_
from shared.web.layer import WebLayer
from shared.web.session import Session

Kit = ServiceKit[EventsUnitOfWork]
FIELDS = ("name", "email", "organisation", "title", "abstract", "bio", "language")


async def apply(kit: Kit, doc: Document, draft: ApplicationDraft) -> tuple[Document, str]:
    """Record and send the application; counted once it is committed."""
    record, key = await kit.transaction(
        lambda uow: speakers.apply(uow, kit.identity.node, doc, draft)
    )
    speakers.counter(kit.metrics.registry).labels("out", "applied").inc()
    return record, key


async def decide(kit: Kit, application_id: str, draft: DecisionDraft) -> Document:
    """Record and send the staff's decision; counted once it is committed."""
    record = await kit.transaction(
        lambda uow: speakers.decide(uow, kit.identity.node, application_id, draft)
    )
    speakers.counter(kit.metrics.registry).labels("in", draft.decision).inc()
    return record


def applications_api(kit: Kit) -> APIRouter:
    """Routes of the applications to speak, bound to this node's events service."""
    api = APIRouter(prefix="/api/events", tags=["events"])
    Caller = Annotated[Role | None, Depends(kit.caller)]
    speakers.counter(kit.metrics.registry)  # shown at zero before the first application

    @api.post(
        "/events/{origin}/{event_id}/applications",
        status_code=201,
        responses=problem_responses(404, 409),
    )
    async def apply_to_speak(
        origin: str, event_id: str, draft: ApplicationDraft, role: Caller
    ) -> dict[str, Any]:
        """Apply to an event's open call; keep ``key`` to read the decision."""
        doc = await calendar_event(kit, origin, event_id, public_only=role is None)
        record, key = await apply(kit, doc, draft)
        return {**public_view(record), "key": key}

    @api.get("/applications/{application_id}", responses=problem_responses(404))
    async def read_application(
        application_id: str, role: Caller, key: str | None = Query(None, max_length=100)
    ) -> dict[str, Any]:
        """The applicant's record: the proposal and, once it came, the owner's decision."""
        found = await read_keyed(
            kit, speakers.applicant_record, application_id, role, key, "application"
        )
        return public_view(found)

    @api.get("/applications", dependencies=[Depends(kit.editor)])
    async def list_applications(
        side: str = Query("received", pattern="^(received|sent)$"),
        status: str | None = Query(None, pattern="^(pending|accepted|rejected|refused)$"),
        event: str | None = Query(None, max_length=200, description="an own event's id"),
    ) -> dict[str, Any]:
        """Applications to this node's events (``received``) or made here (``sent``)."""
        found = await speakers.listing_of(kit.reads(), side, status, event)
        return {"items": [public_view(doc) for doc in found]}

    @api.post(
        "/applications/{application_id}/decide",
        dependencies=[Depends(kit.editor)],
        responses=problem_responses(404, 409),
    )
    async def decide_application(application_id: str, draft: DecisionDraft) -> dict[str, Any]:
        """Accept or reject an application to an own event; the applicant's node hears."""
        return public_view(await decide(kit, application_id, draft))

    return api


def application_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/events/{origin}/{id}/apply, /applications/{id} (the applicant's),
    /console/applications and /console/calls/{id} (an event's call)."""
    pages = APIRouter(include_in_schema=False)
    Staff = Annotated[Session, Depends(web.staff())]

    def apply_form(
        request: Request, doc: Document, values: dict[str, Any], errors: dict[str, str]
    ) -> Response:
        return request_form(web, request, "events/speakers_apply.html", doc, values, errors)

    @pages.get("/events/{origin}/{event_id}/apply")
    async def apply_page(request: Request, origin: str, event_id: str) -> Response:
        """The form to apply to speak at a public event with an open call."""
        doc = await calendar_event(kit, origin, event_id, public_only=True)
        return apply_form(request, doc, {"language": web.language(request).code}, {})

    @pages.post("/events/{origin}/{event_id}/apply")
    async def apply_sent(request: Request, origin: str, event_id: str) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        doc = await calendar_event(kit, origin, event_id, public_only=True)
        values = application_values(form)
        found: list[tuple[Document, str]] = []

        async def applied(draft: ApplicationDraft) -> None:
            found.append(await apply(kit, doc, draft))

        _draft, errors = await submit(ApplicationDraft, values, applied)
        if errors:
            return apply_form(request, doc, values, _answer_errors(errors))
        record, key = found[0]
        notice = web.language(request).gettext(N_("Your application is sent."))
        return web.redirect(f"/applications/{record['_id']}", key=key, notice=notice)

    @pages.get("/applications/{application_id}")
    async def applicant_page(
        request: Request, application_id: str, key: str = Query("", max_length=100)
    ) -> Response:
        """The applicant's page (bookmark it): the proposal and the decision once made."""
        record = await speakers.applicant_record(kit.reads(), application_id, key)
        return web.render(request, "events/speakers_mine.html", {"application": record})

    @pages.get("/console/applications")
    async def console(request: Request, session: Staff) -> Response:
        """Applications to own events, per event, pending first; then those made here."""
        reads = kit.reads()
        received = by_event(await speakers.listing_of(reads, "received", None))
        sent = await speakers.listing_of(reads, "sent", None)
        return web.render(
            request, "events/speakers_console.html", {"by_event": received, "sent": sent}
        )

    @pages.post("/console/applications/{application_id}/decide")
    async def console_decide(request: Request, application_id: str, session: Staff) -> Response:
        return await console_decision(
            web,
            request,
            DecisionDraft,
            ("decision", "message"),
            lambda draft: decide(kit, application_id, draft),
            "/console/applications",
            (N_("Not decided: %s"), N_("Decision sent.")),
        )

    @pages.get("/console/calls/{event_id}")
    async def call_page(request: Request, event_id: str, session: Staff) -> Response:
        """An own event's call for speakers, to open, change or close."""
        event = await handlers.existing_event(event_id, kit.reads())
        return render_call(request, event, call_values(event), {})

    @pages.post("/console/calls/{event_id}")
    async def call_saved(request: Request, event_id: str, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        event = await handlers.existing_event(event_id, kit.reads())
        values = {name: text(form, name) for name in ("deadline", "topics", "questions")}
        draft, errors = await submit(
            EventDraft,
            with_call(event, values),
            lambda draft: kit.transaction(lambda uow: handlers.revise_event(event_id, draft, uow)),
        )
        if draft is None:
            return render_call(request, event, values, _call_errors(errors), 422)
        notice = web.language(request).gettext(N_("Call for speakers saved."))
        return web.redirect(f"/console/calls/{event_id}", notice=notice)

    def render_call(
        request: Request,
        event: Event,
        values: dict[str, str],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response:
        context = {"event": event, "values": values, "errors": errors}
        return web.render(request, "events/speakers_call.html", context, status=status)

    return pages


def application_values(form: FormData) -> dict[str, Any]:
    """The application form as the model takes it: one answer per question's field."""
    values: dict[str, Any] = {name: text(form, name) for name in FIELDS}
    answers = sorted(
        (int(name.removeprefix("answer-")), text(form, name))
        for name in form
        if name.startswith("answer-") and name.removeprefix("answer-").isdigit()
    )
    values["answers"] = [answer for _, answer in answers]
    return values


def _answer_errors(errors: dict[str, str]) -> dict[str, str]:
    """Errors of one answer (``answers.1``) shown beside the answers."""
    return {("answers" if k.startswith("answers") else k): v for k, v in errors.items()}


def call_values(event: Event) -> dict[str, str]:
    """An event's call as the form's flat values (questions one per line)."""
    call = event.call_for_speakers
    if call is None:
        return {"deadline": "", "topics": "", "questions": ""}
    return {
        "deadline": call.deadline.isoformat()[:16],
        "topics": ", ".join(call.topics),
        "questions": "\n".join(call.questions),
    }


def with_call(event: Event, values: dict[str, str]) -> dict[str, Any]:
    """The event's draft with the call the form gives (none without a deadline)."""
    data = event.model_dump(mode="json")
    body = {name: data[name] for name in EventDraft.model_fields}
    questions = [line.strip() for line in values["questions"].splitlines() if line.strip()]
    body["call_for_speakers"] = (
        {
            "deadline": values["deadline"],
            "topics": split_list(values["topics"]),
            "questions": questions,
        }
        if values["deadline"]
        else None
    )
    return body


def _call_errors(errors: dict[str, str]) -> dict[str, str]:
    """The draft's errors on the call's form fields (the rest: the form's)."""
    shown: dict[str, str] = {}
    for name, reason in errors.items():
        field = name.removeprefix("call_for_speakers").lstrip(".").split(".", 1)[0] or "deadline"
        shown.setdefault(field if field in ("deadline", "topics", "questions") else "form", reason)
    return shown
