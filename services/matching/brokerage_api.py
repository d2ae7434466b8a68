"""HTTP in for brokerage sessions: the API under /api/matching/brokerage.

Who may see and change what:

- **the organiser's staff** (an editor's or admin's API token of this node): create a
  session for one of the node's brokerage events; see every participant (e-mail
  included), every request and the schedule; schedule all, lock and move meetings; print
  table sheets. With a token they may also read any participant's record.
- **a participant** (the secret key given once when they joined, ``?key=``): their own
  record, profile and unavailable slots; the other participants' event profiles
  (organisation, country, network, NACE codes, offers and needs: never e-mails); their
  recommendations; meeting requests in and out, send, accept, decline, withdraw; their
  agenda (JSON and ``.ics``). A wrong key looks exactly like an unknown participant.
- **the public**: a session's times, and joining it while its event is published, as an
  organisation typed by hand or as a ``public`` organisation this node knows (staff may
  pick any the node holds; ``brokerage_known.py``).
- **other nodes**: nothing. Sessions, participants and requests are personal data and
  stay on the organiser's node; people from partner networks use its pages with a key.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from services.matching import brokerage_known as known
from services.matching import brokerage_ops as ops
from services.matching import brokerage_store as store
from services.matching import brokerage_views as views
from services.matching.brokerage import (
    JoinDraft,
    LockDraft,
    MoveDraft,
    ProfileDraft,
    RequestDraft,
    SessionDraft,
    UnavailableDraft,
)
from services.matching.brokerage_schedule import lock, move
from shared.auth import Role
from shared.errors import NotFound
from shared.http import problem_responses
from shared.store import Document

PREFIX = "/api/matching/brokerage"
Key = Annotated[str | None, Query(max_length=100)]


def brokerage_api(kit: ops.Kit) -> APIRouter:
    """Routes of brokerage sessions, bound to this node's matching service."""
    api = APIRouter(prefix=PREFIX, tags=["brokerage"])
    Caller = Annotated[Role | None, Depends(kit.caller)]
    editor = [Depends(kit.editor)]
    ops.gauges(kit.metrics.registry)  # shown before the first run

    async def holder(participant_id: str, role: Role | None, key: str | None) -> Document:
        """The participant, for their key or for staff; no key looks like a wrong one."""
        if key is None and role is None:
            raise NotFound(f"no participant {participant_id!r} with this key on this node", "key")
        return await ops.participant(kit, participant_id, None if role and not key else key)

    @api.post(
        "/sessions",
        status_code=201,
        dependencies=editor,
        responses=problem_responses(404, 409, 422),
    )
    async def create_session(draft: SessionDraft) -> dict[str, Any]:
        """A matchmaking session for one of this node's brokerage events."""
        return views.session_view(await ops.create_session(kit, draft))

    @api.get("/sessions", dependencies=editor)
    async def list_sessions() -> dict[str, Any]:
        """This node's sessions (the organiser's staff)."""
        return {"items": await ops.sessions(kit)}

    @api.get("/sessions/{session_id}", responses=problem_responses(404))
    async def read_session(session_id: str) -> dict[str, Any]:
        """A session's times and slots (public)."""
        return views.session_view(await store.session_of(kit.reads(), session_id))

    @api.post(
        "/sessions/{session_id}/participants",
        status_code=201,
        responses=problem_responses(404, 422),
    )
    async def join(session_id: str, draft: JoinDraft, role: Caller) -> dict[str, Any]:
        """Join a session; keep ``key``: it is shown once, and opens your pages. With
        ``known`` (an organisation this node knows: the public may pick public ones, staff
        any), its name, country, NACE codes and event profile are taken from it."""
        found, key = await ops.join(kit, session_id, draft, role is not None)
        return {**views.own_participant(found), "key": key}

    @api.get("/organisations")
    async def list_known(
        role: Caller, name: Annotated[str, Query(max_length=200)] = ""
    ) -> dict[str, Any]:
        """Organisations this node knows that a person may join as (``known``), by name."""
        return {"items": await known.choices(kit.reads(), role is not None, name)}

    @api.get("/sessions/{session_id}/board", dependencies=editor, responses=problem_responses(404))
    async def read_board(session_id: str) -> dict[str, Any]:
        """Every participant, request and the schedule (the organiser's staff)."""
        seen = await ops.board(kit, session_id)
        shown = {k: v for k, v in seen.items() if k not in ("brokerage", "names", "grid")}
        return {"session": seen["brokerage"], **shown}

    @api.post(
        "/sessions/{session_id}/schedule",
        dependencies=editor,
        responses=problem_responses(404, 422),
    )
    async def schedule_all(session_id: str) -> Document:
        """Place the accepted requests (locked meetings stay, few others move)."""
        return await ops.run_schedule(kit, session_id)

    @api.post(
        "/sessions/{session_id}/meetings/{request_id}/lock",
        dependencies=editor,
        responses=problem_responses(404),
    )
    async def lock_meeting(session_id: str, request_id: str, draft: LockDraft) -> Document:
        """Lock a meeting where it is (or release it)."""
        return await kit.transaction(lambda uow: lock(uow, session_id, request_id, draft.locked))

    @api.post(
        "/sessions/{session_id}/meetings/{request_id}/move",
        dependencies=editor,
        responses=problem_responses(404, 422),
    )
    async def move_meeting(session_id: str, request_id: str, draft: MoveDraft) -> Document:
        """Move a meeting by hand; refused, naming why, if it breaks a constraint."""
        return await kit.transaction(
            lambda uow: move(uow, session_id, request_id, draft.slot, draft.table)
        )

    @api.get(
        "/sessions/{session_id}/tables/{table}",
        dependencies=editor,
        responses=problem_responses(404, 422),
    )
    async def read_table(session_id: str, table: int) -> dict[str, Any]:
        """One table's sheet: slot, time and the two organisations."""
        _, meetings = await ops.table_sheet(kit, session_id, table)
        return {"table": table, "meetings": meetings}

    @api.get("/participants/{participant_id}", responses=problem_responses(404))
    async def read_participant(
        participant_id: str, role: Caller, key: Key = None
    ) -> dict[str, Any]:
        """Your record (or, for staff, anyone's)."""
        return views.own_participant(await holder(participant_id, role, key))

    @api.put("/participants/{participant_id}/profile", responses=problem_responses(404, 422))
    async def publish_profile(
        participant_id: str, draft: ProfileDraft, key: Key = None
    ) -> dict[str, Any]:
        """Publish your cooperation profile for the event (what you offer and look for)."""
        return views.own_participant(
            await ops.publish_profile(kit, participant_id, key or "", draft)
        )

    @api.put("/participants/{participant_id}/unavailable", responses=problem_responses(404, 422))
    async def set_unavailable(
        participant_id: str, draft: UnavailableDraft, key: Key = None
    ) -> dict[str, Any]:
        """The slots you cannot attend."""
        found = await ops.set_unavailable(kit, participant_id, key or "", draft.slots)
        return views.own_participant(found)

    @api.get("/participants/{participant_id}/others", responses=problem_responses(404))
    async def list_others(participant_id: str, role: Caller, key: Key = None) -> dict[str, Any]:
        """The other participants' event profiles (never their e-mail)."""
        return {"items": await ops.others(kit, await holder(participant_id, role, key))}

    @api.get("/participants/{participant_id}/recommendations", responses=problem_responses(404))
    async def recommend(participant_id: str, role: Caller, key: Key = None) -> dict[str, Any]:
        """The participants best matched to your profile, with the reasons."""
        found = await holder(participant_id, role, key)
        return {"items": await ops.recommendations(kit, found)}

    @api.get("/participants/{participant_id}/requests", responses=problem_responses(404))
    async def list_requests(participant_id: str, role: Caller, key: Key = None) -> dict[str, Any]:
        """Your meeting requests: received (``in``) and sent (``out``)."""
        return await ops.requests(kit, await holder(participant_id, role, key))

    @api.post(
        "/participants/{participant_id}/requests",
        status_code=201,
        responses=problem_responses(404, 409, 422),
    )
    async def send_request(participant_id: str, draft: RequestDraft, key: Key = None) -> Document:
        """Ask another participant for a meeting, with a message."""
        return views.public_request(await ops.send_request(kit, participant_id, key or "", draft))

    @api.post(
        "/participants/{participant_id}/requests/{request_id}/{verb}",
        responses=problem_responses(404, 409, 422),
    )
    async def decide(participant_id: str, request_id: str, verb: str, key: Key = None) -> Document:
        """``accept`` or ``decline`` a request you received; ``withdraw`` one you sent."""
        if verb not in ("accept", "decline", "withdraw"):
            raise NotFound(f"no action {verb!r}: accept, decline or withdraw", "verb")
        found = await ops.decide(kit, participant_id, key or "", request_id, verb)
        return views.public_request(found)

    @api.get("/participants/{participant_id}/agenda", responses=problem_responses(404))
    async def read_agenda(participant_id: str, role: Caller, key: Key = None) -> dict[str, Any]:
        """Your meetings in time order: when, at which table, with whom."""
        _, items = await ops.agenda(kit, await holder(participant_id, role, key))
        return {"items": items}

    @api.get("/participants/{participant_id}/agenda.ics", responses=problem_responses(404))
    async def agenda_ics(participant_id: str, role: Caller, key: Key = None) -> Response:
        """Your agenda as iCalendar, for your calendar application."""
        found = await holder(participant_id, role, key)
        session, items = await ops.agenda(kit, found)
        body = views.agenda_ics(session, items, kit.identity.node, found["organisation"])
        return Response(body, media_type="text/calendar; charset=utf-8")

    return api
