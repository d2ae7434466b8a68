"""The brokerage session's input to the scheduler, and what a run reports, without I/O."""

from __future__ import annotations

from typing import Any

import pytest

from services.matching import brokerage_schedule
from services.matching.brokerage_schedule import (
    counts_by_state,
    document_of,
    problem_of,
    why_unplaced,
)
from services.matching.scheduling import Meeting, MeetingRequest, schedule
from shared.errors import DomainError
from tests.schedule_validator import violations
from tests.unit.test_brokerage import SESSION


def people(**unavailable: list[int]) -> list[dict[str, Any]]:
    return [{"_id": who, "unavailable": unavailable.get(who, [])} for who in "abcd"]


def accepted(*pairs: str) -> list[dict[str, Any]]:
    return [
        {"_id": f"r-{pair}", "from": pair[0], "to": pair[1], "status": "accepted"} for pair in pairs
    ]


def test_the_schedulers_input_keeps_locked_meetings_and_only_the_previous_that_still_hold() -> None:
    requests = [
        *accepted("ab", "cd", "ac"),
        {"_id": "r-bd", "from": "b", "to": "d", "status": "declined"},
    ]
    last = {
        "meetings": [
            {"a": "a", "b": "b", "slot": 0, "table": 1, "locked": True, "request": "r-ab"},
            {"a": "c", "b": "d", "slot": 0, "table": 2, "locked": False, "request": "r-cd"},
            {"a": "b", "b": "d", "slot": 1, "table": 1, "locked": False, "request": "r-bd"},
            {"a": "a", "b": "c", "slot": 2, "table": 1, "locked": False, "request": "r-ac"},
        ]
    }
    problem = problem_of(SESSION, people(c=[2]), requests, last)
    # the scheduler numbers tables from 0, the venue from 1
    assert [(m.a, m.b, m.slot, m.table) for m in problem.locked] == [("a", "b", 0, 0)]
    # declined b-d is dropped; a-c is no longer possible in slot 2 (c is away then)
    assert [(m.a, m.b, m.table) for m in problem.previous] == [("c", "d", 1)]
    assert {(r.a, r.b) for r in problem.requests} == {("a", "b"), ("c", "d"), ("a", "c")}
    assert {p.id: set(p.unavailable_slots) for p in problem.participants}["c"] == {2}


def test_an_unplaced_request_says_why() -> None:
    problem = problem_of(SESSION, people(a=[0, 1, 2], b=[3, 4, 5]), accepted("ab"), None)
    assert why_unplaced(MeetingRequest(a="a", b="b"), problem, []) == "no slot that both can attend"
    problem = problem_of(SESSION, people(a=[2, 3, 4, 5]), accepted("ab"), None)
    busy = [Meeting(a="a", b="c", slot=0, table=1), Meeting(a="b", b="d", slot=1, table=1)]
    assert "taken by their other meetings" in why_unplaced(
        MeetingRequest(a="a", b="b"), problem, busy
    )
    full = [Meeting(a="c", b="d", slot=s, table=t) for s in range(6) for t in (1, 2)]
    assert "no table is free" in why_unplaced(MeetingRequest(a="a", b="b"), problem, full)


def test_requests_are_counted_by_state() -> None:
    found = [*accepted("ab"), {"status": "pending"}, {"status": "pending"}]
    assert counts_by_state(found) == {"pending": 2, "accepted": 1, "declined": 0, "withdrawn": 0}


def test_a_run_keeps_locked_meetings_numbers_tables_from_one_and_says_why_one_is_left() -> None:
    requests = accepted("ab", "ac", "ad", "bc")
    locked = {"a": "a", "b": "b", "slot": 4, "table": 2, "locked": True, "request": "r-ab"}
    # a can only meet in slots 3 and 4; a-b is locked in 4, so a-c and a-d compete for 3
    problem = problem_of(SESSION, people(a=[0, 1, 2, 5]), requests, {"meetings": [locked]})
    result = schedule(problem, time_limit=0.2)
    assert violations(problem, result) == []
    kept = document_of(SESSION, problem, result, brokerage_schedule.accepted(requests), runs=1)
    assert kept["accepted"] == 4 and kept["placed"] == 3 and kept["quality"] == 0.75
    (ab,) = [m for m in kept["meetings"] if m["request"] == "r-ab"]
    assert (ab["slot"], ab["table"], ab["locked"]) == (4, 2, True)
    assert all(1 <= m["table"] <= 2 for m in kept["meetings"])
    (left,) = kept["unplaced"]
    assert left["request"] in ("r-ac", "r-ad")
    assert left["reason"] == "every slot both can attend is taken by their other meetings"


def test_a_session_no_schedule_can_honour_is_a_refusal_naming_it_not_a_crash() -> None:
    clash = [
        {"a": "a", "b": "b", "slot": 0, "table": 1, "locked": True, "request": "r-ab"},
        {"a": "c", "b": "d", "slot": 0, "table": 1, "locked": True, "request": "r-cd"},
    ]
    with pytest.raises(DomainError, match="table 0 of slot 0 is taken") as caught:
        problem_of(SESSION, people(), accepted("ab", "cd"), {"meetings": clash})
    assert caught.value.field == "schedule"
