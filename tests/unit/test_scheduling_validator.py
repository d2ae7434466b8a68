"""The independent schedule validator (tests/schedule_validator.py) finds each broken rule:
the scheduler's tests are only as strong as it is."""

from __future__ import annotations

from services.matching.scheduling import (
    Meeting,
    MeetingRequest,
    Participant,
    Schedule,
    ScheduleProblem,
)
from tests.schedule_validator import violations

SESSION = ScheduleProblem(
    slots=3,
    tables_per_slot=2,
    participants=[
        Participant(id="a"),
        Participant(id="b", unavailable_slots=frozenset({2})),
        Participant(id="c"),
        Participant(id="d"),
    ],
    requests=[MeetingRequest(a="a", b="b"), MeetingRequest(a="c", b="d")],
    locked=[Meeting(a="c", b="d", slot=1, table=1, locked=True)],
    previous=[Meeting(a="a", b="b", slot=0, table=0)],
)
GOOD = [Meeting(a="a", b="b", slot=0, table=0), Meeting(a="c", b="d", slot=1, table=1, locked=True)]


def result(meetings: list[Meeting], **figures: object) -> Schedule:
    counts: dict[str, object] = {"unplaced": [], "moved": 0, "idle_gaps": 0, "upper_bound": 2}
    return Schedule.model_validate({"meetings": meetings, **{**counts, **figures}})


def test_a_valid_schedule_has_no_violation() -> None:
    assert violations(SESSION, result(GOOD)) == []


def test_each_broken_rule_is_found() -> None:
    cases = {
        "unavailable": [Meeting(a="a", b="b", slot=2, table=0), GOOD[1]],
        "table": [Meeting(a="a", b="b", slot=1, table=1), GOOD[1]],
        "out of range": [Meeting(a="a", b="b", slot=0, table=2), GOOD[1]],
        "not an accepted": [Meeting(a="a", b="c", slot=0, table=0), GOOD[1]],
        "placed 2 times": [*GOOD, Meeting(a="b", b="a", slot=1, table=0)],
        "locked": [GOOD[0], Meeting(a="c", b="d", slot=0, table=1)],
    }
    for expected, meetings in cases.items():
        found = violations(SESSION, result(meetings, moved=sum(m.slot != 0 for m in meetings[:1])))
        assert any(expected in line for line in found), (expected, found)


def test_a_participant_twice_in_a_slot_is_found() -> None:
    session = SESSION.model_copy(
        update={"requests": [*SESSION.requests, MeetingRequest(a="a", b="c")]}
    )
    meetings = [*GOOD, Meeting(a="a", b="c", slot=0, table=1)]
    assert "a has 2 meetings in slot 0" in violations(session, result(meetings, upper_bound=3))


def test_wrong_figures_are_found() -> None:
    found = violations(SESSION, result(GOOD, moved=1, idle_gaps=3, upper_bound=1))
    assert len(found) == 3
    missing = violations(SESSION, result(GOOD[1:], moved=1, upper_bound=2))
    assert missing == ["unplaced is not the requests left out"]
