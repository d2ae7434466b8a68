"""Schedule all, lock, move: the organiser's planning of a session's meetings.

The scheduler (``services/matching/scheduling.py``) places the accepted requests into
slots and tables: each participant at most one meeting per slot and never in a slot they
cannot attend, each table one meeting per slot, each request at most once, as many as
possible. Locked meetings stay exactly where they are; a re-run passes the last schedule
as ``previous``, so that late changes (new acceptances, withdrawals, unavailability)
move as few meetings as possible. The kept schedule is one document per session.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from services.matching import brokerage_store as store
from services.matching.brokerage import (
    RequestStatus,
    check_slots,
    check_table,
    slot_count,
)
from services.matching.scheduling import (
    Meeting,
    MeetingRequest,
    Participant,
    Schedule,
    ScheduleProblem,
    schedule,
)
from shared.errors import DomainError, NotFound
from shared.instants import wire_now
from shared.store import Document, UnitOfWork
from shared.web.i18n import N_

TIME_LIMIT = 4.0  # seconds: the scheduler's measured budget at the largest size


def pair(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def accepted(requests: Iterable[Document]) -> dict[frozenset[str], Document]:
    """The accepted requests by their (unordered) pair: one open request per pair."""
    return {pair(r["from"], r["to"]): r for r in requests if r["status"] == RequestStatus.ACCEPTED}


def still_valid(
    meetings: list[Document],
    wanted: dict[frozenset[str], Document],
    unavailable: dict[str, set[int]],
    slots: int,
    tables: int,
) -> list[Document]:
    """Meetings of the last schedule that may still stand: their request is accepted,
    their slot and table exist, and both participants can still attend then."""
    return [
        m
        for m in meetings
        if pair(m["a"], m["b"]) in wanted
        and 0 <= m["slot"] < slots
        and 1 <= m["table"] <= tables
        and m["slot"] not in unavailable.get(m["a"], set()) | unavailable.get(m["b"], set())
    ]


def problem_of(
    session: Document,
    participants: list[Document],
    requests: list[Document],
    last: Document | None,
) -> ScheduleProblem:
    """The scheduler's instance for a session as it is now (the scheduler numbers tables
    from 0, a venue from 1)."""
    slots, tables = slot_count(session), session["tables"]
    wanted = accepted(requests)
    unavailable = {p["_id"]: set(p.get("unavailable", [])) for p in participants}
    kept = still_valid((last or {}).get("meetings", []), wanted, unavailable, slots, tables)
    try:
        return _problem(session, participants, wanted, unavailable, kept)
    except ValidationError as exc:  # e.g. two locked meetings at one table: say so, no 500
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise DomainError(
            f"cannot schedule as it stands: {where}: {first['msg']}", "schedule"
        ) from None


def _problem(
    session: Document,
    participants: list[Document],
    wanted: dict[frozenset[str], Document],
    unavailable: dict[str, set[int]],
    kept: list[Document],
) -> ScheduleProblem:
    """The instance itself (the scheduler's model refuses what no schedule honours)."""
    return ScheduleProblem(
        slots=slot_count(session),
        tables_per_slot=session["tables"],
        participants=[
            Participant(id=p["_id"], unavailable_slots=frozenset(unavailable[p["_id"]]))
            for p in participants
        ],
        requests=[MeetingRequest(a=r["from"], b=r["to"]) for r in wanted.values()],
        locked=[_meeting(m) for m in kept if m.get("locked")],
        previous=[_meeting(m) for m in kept if not m.get("locked")],
    )


def _meeting(document: Document) -> Meeting:
    return Meeting(
        a=document["a"],
        b=document["b"],
        slot=document["slot"],
        table=document["table"] - 1,
        locked=bool(document.get("locked")),
    )


def why_unplaced(request: MeetingRequest, problem: ScheduleProblem, meetings: list[Meeting]) -> str:
    """Why the scheduler could not place a request, in words an organiser acts on."""
    unavailable = {p.id: p.unavailable_slots for p in problem.participants}
    both = [
        s
        for s in range(problem.slots)
        if s not in unavailable[request.a] and s not in unavailable[request.b]
    ]
    if not both:
        return N_("no slot that both can attend")
    busy = {(m.slot, who) for m in meetings for who in (m.a, m.b)}
    free = [s for s in both if (s, request.a) not in busy and (s, request.b) not in busy]
    if not free:
        return N_("every slot both can attend is taken by their other meetings")
    return N_("no table is free in the slots both have free")


def document_of(
    session: Document,
    problem: ScheduleProblem,
    result: Schedule,
    wanted: dict[frozenset[str], Document],
    runs: int,
) -> Document:
    """The kept schedule: meetings with their request (tables from 1), the unplaced with
    why, and the run's quality (meetings placed / accepted requests)."""
    locked = {pair(m.a, m.b) for m in problem.locked}
    meetings = [
        {
            **m.model_dump(),
            "table": m.table + 1,
            "locked": pair(m.a, m.b) in locked,
            "request": wanted[pair(m.a, m.b)]["_id"],
        }
        for m in result.meetings
    ]
    unplaced = [
        {
            "request": wanted[pair(r.a, r.b)]["_id"],
            "a": r.a,
            "b": r.b,
            "reason": why_unplaced(r, problem, result.meetings),
        }
        for r in result.unplaced
    ]
    return {
        "_id": session["_id"],
        "meetings": meetings,
        "unplaced": unplaced,
        "moved": result.moved,
        "accepted": len(wanted),
        "placed": len(meetings),
        "quality": round(len(meetings) / len(wanted), 4) if wanted else 1.0,
        "idle_gaps": result.idle_gaps,
        "upper_bound": result.upper_bound,
        "runs": runs,
        "computed_at": wire_now(),
    }


async def planned(
    uow: UnitOfWork, session_id: str
) -> tuple[Document, list[Document], Document | None]:
    """The session, its participants and its kept schedule: what showing or moving a
    meeting needs (not the requests)."""
    session = await store.session_of(uow, session_id)
    return (
        session,
        await store.participants_of(uow, session_id),
        await store.schedule_of(uow, session_id),
    )


async def inputs(
    uow: UnitOfWork, session_id: str
) -> tuple[Document, list[Document], list[Document], Document | None]:
    """What planning needs: ``planned`` and the session's requests."""
    session, participants, last = await planned(uow, session_id)
    return session, participants, await store.requests_of(uow, session_id), last


def solve(problem: ScheduleProblem) -> Schedule:
    """The scheduler's answer (CPU-bound: the caller runs it in a thread)."""
    return schedule(problem, time_limit=TIME_LIMIT)


async def keep(uow: UnitOfWork, document: Document) -> None:
    await store.put(uow, store.SCHEDULES, document)


def _found(last: Document | None, request_id: str) -> tuple[Document, Document]:
    for meeting in (last or {}).get("meetings", []):
        if meeting["request"] == request_id:
            return last or {}, meeting
    raise NotFound(f"no scheduled meeting for request {request_id!r}", "request")


async def lock(uow: UnitOfWork, session_id: str, request_id: str, locked: bool) -> Document:
    """Lock a meeting where it is (a re-run keeps it there), or release it."""
    last, meeting = _found(await store.schedule_of(uow, session_id), request_id)
    meeting["locked"] = locked
    await keep(uow, last)
    return last


async def move(
    uow: UnitOfWork, session_id: str, request_id: str, slot: int, table: int
) -> Document:
    """Move a meeting by hand (it is then locked there); refused, saying why, if it
    breaks a constraint."""
    session, participants, last = await planned(uow, session_id)
    last, meeting = _found(last, request_id)
    check_slots(session, [slot], "slot")
    check_table(session, table)
    others = [m for m in last["meetings"] if m["request"] != request_id and m["slot"] == slot]
    people = {p["_id"]: p for p in participants}
    pair_of = [people[meeting["a"]], people[meeting["b"]]]
    for who in pair_of:
        if slot in who.get("unavailable", []):
            raise DomainError(f"{who['organisation']} cannot attend slot {slot}", "slot")
    for who in pair_of:
        if any(who["_id"] in (m["a"], m["b"]) for m in others):
            raise DomainError(f"{who['organisation']} has another meeting in slot {slot}", "slot")
    if any(m["table"] == table for m in others):
        raise DomainError(f"table {table} is taken in slot {slot}", "table")
    meeting.update(slot=slot, table=table, locked=True)
    await keep(uow, last)
    return last


def counts_by_state(requests: list[Document]) -> dict[str, int]:
    """Meeting requests by state (the session's metric beside schedule quality)."""
    counts: dict[str, Any] = {state.value: 0 for state in RequestStatus}
    for request in requests:
        counts[request["status"]] += 1
    return counts
