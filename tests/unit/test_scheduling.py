"""The brokerage scheduler (services/matching/scheduling.py): each rule, locked meetings,
rescheduling with few moves, idle gaps, refusals naming the field; then hypothesis over
random sessions, every schedule checked by the independent validator
(tests/schedule_validator.py) and, on tiny ones, against a brute-force optimum."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.matching.scheduling import (
    Meeting,
    MeetingRequest,
    Participant,
    Schedule,
    ScheduleProblem,
    schedule,
)
from tests.schedule_validator import violations

QUICK = 0.05  # seconds of search budget: the sessions here are small


def problem(
    slots: int,
    tables: int,
    pairs: list[tuple[str, str]],
    away: dict[str, set[int]] | None = None,
    **extra: Any,
) -> ScheduleProblem:
    """A session whose participants are everyone named in ``pairs`` and ``away``."""
    away = away or {}
    people = sorted({p for pair in pairs for p in pair} | set(away))
    return ScheduleProblem(
        slots=slots,
        tables_per_slot=tables,
        participants=[
            Participant(id=p, unavailable_slots=frozenset(away.get(p, ()))) for p in people
        ],
        requests=[MeetingRequest(a=a, b=b) for a, b in pairs],
        **extra,
    )


def solved(session: ScheduleProblem) -> Schedule:
    """The schedule, after the validator found nothing wrong with it."""
    result = schedule(session, time_limit=QUICK)
    assert violations(session, result) == []
    return result


def slot_of(result: Schedule) -> dict[frozenset[str], int]:
    return {frozenset((m.a, m.b)): m.slot for m in result.meetings}


# -- the rules -----------------------------------------------------------------------------


def test_every_request_fits_when_there_is_room() -> None:
    result = solved(problem(3, 2, [("a", "b"), ("a", "c"), ("b", "c"), ("c", "d")]))
    assert len(result.meetings) == 4
    assert result.unplaced == []
    assert result.upper_bound == 4


def test_a_participant_meets_at_most_once_per_slot() -> None:
    # a star: the centre has two slots, so two of its three requests are left out
    result = solved(problem(2, 5, [("hub", "x"), ("hub", "y"), ("hub", "z")]))
    assert len(result.meetings) == 2
    assert len(result.unplaced) == 1
    assert result.upper_bound == 2


def test_never_in_an_unavailable_slot() -> None:
    result = solved(problem(3, 1, [("a", "b"), ("a", "c")], away={"a": {0}, "b": {2}}))
    assert slot_of(result) == {frozenset("ab"): 1, frozenset("ac"): 2}


def test_one_meeting_per_table_and_slot() -> None:
    # three disjoint pairs, one slot, two tables: one pair must wait
    result = solved(problem(1, 2, [("a", "b"), ("c", "d"), ("e", "f")]))
    assert len(result.meetings) == 2
    assert sorted(m.table for m in result.meetings) == [0, 1]
    assert result.upper_bound == 2


def test_a_pair_requested_twice_is_one_request() -> None:
    result = solved(problem(3, 3, [("a", "b"), ("b", "a"), ("a", "b")]))
    assert [(m.a, m.b) for m in result.meetings] == [("a", "b")]
    assert result.unplaced == []


def test_requests_without_a_common_slot_are_unplaced() -> None:
    result = solved(problem(2, 2, [("a", "b")], away={"a": {0}, "b": {1}}))
    assert result.meetings == []
    assert result.unplaced == [MeetingRequest(a="a", b="b")]
    assert result.upper_bound == 0


def test_tables_are_numbered_densely_from_zero_in_each_slot() -> None:
    pairs = [(f"p{i}", f"q{i}") for i in range(5)]
    result = solved(problem(1, 8, pairs))
    assert [m.table for m in result.meetings] == [0, 1, 2, 3, 4]


def test_the_first_free_slot_trap_is_avoided() -> None:
    """First-free-slot puts a-b in slot 0, and c, free only in slot 0, cannot meet a."""
    session = problem(2, 2, [("a", "b"), ("a", "c")], away={"c": {1}})
    assert first_free_slot(session) == 1
    assert slot_of(solved(session)) == {frozenset("ac"): 0, frozenset("ab"): 1}


# -- locked meetings -----------------------------------------------------------------------


def test_locked_meetings_stay_exactly_where_they_are() -> None:
    locked = [Meeting(a="a", b="b", slot=2, table=3, locked=True)]
    result = solved(problem(3, 4, [("a", "b"), ("a", "c"), ("b", "c")], locked=locked))
    assert Meeting(a="a", b="b", slot=2, table=3, locked=True) in result.meetings
    assert len(result.meetings) == 3


def test_a_locked_meeting_keeps_its_slot_even_when_that_costs_a_meeting() -> None:
    # a-b locked in slot 0: c (only free in 0) cannot meet a; unlocked, all three would fit
    pairs = [("a", "b"), ("a", "c")]
    locked = [Meeting(a="b", b="a", slot=0, table=0)]
    result = solved(problem(2, 2, pairs, away={"c": {1}}, locked=locked))
    assert slot_of(result) == {frozenset("ab"): 0}
    assert result.unplaced == [MeetingRequest(a="a", b="c")]


@pytest.mark.parametrize(
    ("locked", "field", "reason"),
    [
        (
            Meeting(a="a", b="c", slot=0, table=0),
            "locked.0",
            "'a' and 'c' have no accepted request",
        ),
        (Meeting(a="a", b="x", slot=0, table=0), "locked.0.b", "'x' is not a participant"),
        (Meeting(a="a", b="b", slot=3, table=0), "locked.0.slot", "slot 3 does not exist"),
        (Meeting(a="a", b="b", slot=0, table=2), "locked.0.table", "table 2 does not exist"),
        (Meeting(a="a", b="b", slot=1, table=0), "locked.0.slot", "'b' is unavailable in slot 1"),
    ],
)
def test_a_locked_meeting_that_cannot_be_is_refused(
    locked: Meeting, field: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        problem(3, 2, [("a", "b"), ("b", "c")], away={"b": {1}}, locked=[locked])
    assert refusal(refused.value) == (field, reason)


def test_two_locked_meetings_in_each_others_way_are_refused() -> None:
    pairs = [("a", "b"), ("c", "d"), ("a", "c")]
    same_table = [Meeting(a="a", b="b", slot=0, table=1), Meeting(a="c", b="d", slot=0, table=1)]
    with pytest.raises(ValidationError) as refused:
        problem(2, 2, pairs, locked=same_table)
    assert refusal(refused.value) == ("locked.1.table", "table 1 of slot 0 is taken by locked[0]")
    same_person = [Meeting(a="a", b="b", slot=0, table=0), Meeting(a="a", b="c", slot=0, table=1)]
    with pytest.raises(ValidationError) as refused:
        problem(2, 2, pairs, locked=same_person)
    assert refusal(refused.value) == ("locked.1.slot", "'a' already meets in slot 0 (locked[0])")


# -- refusals ------------------------------------------------------------------------------


def refusal(error: ValidationError) -> tuple[str, str]:
    """The first refusal's field (pydantic's dotted location) and the start of its reason."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    reason = str(first["msg"])
    return field, reason[
        : reason.index(" (")
    ] if " (slots" in reason or " (tables" in reason else reason


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        (
            {"requests": [{"a": "a", "b": "b"}, {"a": "a", "b": "acme"}]},
            "requests.1.b",
            "'acme' is not a participant",
        ),
        ({"requests": [{"a": "b", "b": "b"}]}, "requests.0.b", "a request with oneself ('b')"),
        (
            {"participants": [{"id": "a", "unavailable_slots": [4]}, {"id": "b"}]},
            "participants.0.unavailable_slots",
            "slot 4 does not exist",
        ),
        ({"participants": [{"id": "a"}, {"id": "a"}]}, "participants.1.id", "'a' appears twice"),
        ({"slots": -1}, "slots", "Input should be greater than or equal to 0"),
        ({"tables_per_slot": -2}, "tables_per_slot", "Input should be greater than or equal to 0"),
    ],
)
def test_a_session_no_schedule_could_honour_is_refused_naming_the_field(
    data: dict[str, Any], field: str, reason: str
) -> None:
    base: dict[str, Any] = {
        "slots": 3,
        "tables_per_slot": 2,
        "participants": [{"id": "a"}, {"id": "b"}],
        "requests": [{"a": "a", "b": "b"}],
    }
    with pytest.raises(ValidationError) as refused:
        ScheduleProblem.model_validate({**base, **data})
    assert refusal(refused.value) == (field, reason)


# -- rescheduling --------------------------------------------------------------------------

SESSION = [(a, b) for a in "abcdef" for b in "ghij" if (ord(a) + ord(b)) % 3]


def test_rescheduling_with_nothing_changed_moves_nothing() -> None:
    first = solved(problem(4, 3, SESSION))
    again = solved(problem(4, 3, SESSION, previous=first.meetings))
    assert again.moved == 0
    assert again.meetings == first.meetings


def test_a_withdrawn_request_moves_no_other_meeting() -> None:
    first = solved(problem(4, 3, SESSION))
    gone = first.meetings[0]
    rest = [pair for pair in SESSION if frozenset(pair) != frozenset((gone.a, gone.b))]
    again = solved(problem(4, 3, rest, previous=first.meetings))
    assert again.moved == 0
    kept = {(m.a, m.b, m.slot, m.table) for m in first.meetings[1:]}
    assert kept <= {(m.a, m.b, m.slot, m.table) for m in again.meetings}


def test_a_participant_newly_unavailable_moves_only_what_must_move() -> None:
    pairs = [("a", "b"), ("a", "c"), ("d", "e"), ("d", "f")]
    first = solved(problem(4, 4, pairs))
    slot = slot_of(first)[frozenset("ab")]
    again = solved(problem(4, 4, pairs, away={"b": {slot}}, previous=first.meetings))
    assert slot_of(again)[frozenset("ab")] != slot
    assert len(again.meetings) == 4
    assert again.moved == 1


# -- idle gaps -----------------------------------------------------------------------------


def test_idle_gaps_are_closed() -> None:
    """b can only meet in the last slot, so a's other two meetings belong just before it;
    the lowest free slots (0 and 1) would leave a two idle slots."""
    session = problem(5, 1, [("a", "b"), ("a", "c"), ("a", "d")], away={"b": {0, 1, 2, 3}})
    result = solved(session)
    assert slot_of(result)[frozenset("ab")] == 4
    assert {slot_of(result)[frozenset("ac")], slot_of(result)[frozenset("ad")]} == {2, 3}
    assert result.idle_gaps == 0


def test_an_unavailable_slot_is_not_an_idle_gap() -> None:
    result = solved(problem(3, 1, [("a", "b"), ("a", "c")], away={"a": {1}}))
    assert result.idle_gaps == 0
    assert len(result.meetings) == 2


# -- property-based ------------------------------------------------------------------------


@st.composite
def sessions(draw: st.DrawFn, people: int, slots: int, requests: int) -> ScheduleProblem:
    n = draw(st.integers(2, people))
    s = draw(st.integers(1, slots))
    names = [f"p{i}" for i in range(n)]
    every = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    pairs = draw(st.lists(st.sampled_from(every), max_size=requests))
    away = {p: draw(st.sets(st.integers(0, s - 1), max_size=s)) for p in names}
    return problem(s, draw(st.integers(0, n // 2 + 1)), pairs, away=away)


def first_free_slot(session: ScheduleProblem) -> int:
    """The greedy the issue names: each request, in order, into the lowest slot free for
    both with a table left."""
    away = {p.id: p.unavailable_slots for p in session.participants}
    busy: set[tuple[str, int]] = set()
    count = [0] * session.slots
    seen: set[frozenset[str]] = set()
    for r in session.requests:
        if frozenset((r.a, r.b)) in seen:
            continue
        seen.add(frozenset((r.a, r.b)))
        for s in range(session.slots):
            free = not ({(r.a, s), (r.b, s)} & busy) and s not in away[r.a] | away[r.b]
            if free and count[s] < session.tables_per_slot:
                busy |= {(r.a, s), (r.b, s)}
                count[s] += 1
                break
    return sum(count)


def brute_force(session: ScheduleProblem) -> int:
    """The most meetings any schedule places, by trying every slot (or none) per request."""
    away = {p.id: p.unavailable_slots for p in session.participants}
    pairs = sorted({tuple(sorted((r.a, r.b))) for r in session.requests})
    best = 0

    def place(
        i: int, busy: frozenset[tuple[str, int]], count: tuple[int, ...], placed: int
    ) -> None:
        nonlocal best
        best = max(best, placed)
        if i == len(pairs) or placed + len(pairs) - i <= best:
            return
        a, b = pairs[i]
        for s in range(session.slots):
            fits = count[s] < session.tables_per_slot and s not in away[a] | away[b]
            if fits and (a, s) not in busy and (b, s) not in busy:
                more = tuple(c + (j == s) for j, c in enumerate(count))
                place(i + 1, busy | {(a, s), (b, s)}, more, placed + 1)
        place(i + 1, busy, count, placed)

    place(0, frozenset(), (0,) * session.slots, 0)
    return best


@settings(max_examples=50, deadline=None)
@given(sessions(people=6, slots=3, requests=10))
def test_tiny_sessions_get_the_optimum(session: ScheduleProblem) -> None:
    result = solved(session)
    assert len(result.meetings) == brute_force(session) <= result.upper_bound


@settings(max_examples=50, deadline=None)
@given(sessions(people=16, slots=5, requests=45))
def test_every_schedule_is_valid_and_at_least_the_greedy(session: ScheduleProblem) -> None:
    result = solved(session)
    assert first_free_slot(session) <= len(result.meetings) <= result.upper_bound


@settings(max_examples=30, deadline=None)
@given(sessions(people=12, slots=4, requests=30), st.data())
def test_rescheduling_keeps_locked_meetings_and_stays_valid(
    session: ScheduleProblem, data: st.DataObject
) -> None:
    first = solved(session)
    locked = (
        data.draw(st.lists(st.sampled_from(first.meetings), unique=True)) if first.meetings else []
    )
    withdrawn = data.draw(st.sets(st.integers(0, max(0, len(session.requests) - 1))))
    kept = [r for i, r in enumerate(session.requests) if i not in withdrawn]
    kept_pairs = {frozenset((r.a, r.b)) for r in kept}
    locked = [m for m in locked if frozenset((m.a, m.b)) in kept_pairs]
    again = session.model_copy(
        update={"requests": kept, "locked": locked, "previous": first.meetings}
    )
    again = ScheduleProblem.model_validate(again.model_dump())
    result = solved(again)
    still = [m for m in first.meetings if frozenset((m.a, m.b)) in kept_pairs]
    assert result.moved == 0 or len(result.meetings) > len(still)  # a move must place more
