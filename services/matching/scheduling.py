"""Brokerage meetings into slots and tables: as many as possible, near the optimum.

Pure: no I/O, no clock, no randomness. The same problem gives the same schedule on any
machine (the effort is a budget of search steps, not seconds), so an organiser who
reschedules sees only what their changes caused. Who may run it is the caller's business
(the brokerage pages let an event's organisers, i.e. the owner node's staff, schedule;
``alliance matching schedule`` runs it offline on a file); the scheduler sees only
participant ids and slot numbers, never a contact.

The problem (docs/matching-scheduling.md): accepted requests (unordered pairs; a pair
given twice, in either order, is one request) go into (slot, table): each participant at
most one meeting per slot and never in a slot they are unavailable in, each table one
meeting per slot, each request at most once. Maximise the meetings; among equally many,
fewer idle gaps. Locked meetings stay exactly where they are; with a previous schedule,
as few meetings as possible move. ``upper_bound`` is a proven bound on the meetings any
schedule can place, so a result can be judged without an exact solver.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from random import Random

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from services.matching.scheduling_board import FREE, Board, gaps_of
from services.matching.scheduling_bound import b_matching_bound

__all__ = [
    "Meeting",
    "MeetingRequest",
    "Participant",
    "Schedule",
    "ScheduleProblem",
    "schedule",
]

MAX_SLOTS = 1_000
MAX_TABLES = 10_000
STEPS_PER_SECOND = 250_000  # search steps the 2-core build machine makes in a second
EJECTION_DEPTH = 4  # meetings an ejection chain may move to place one more
KICK_SEED = 2019  # the kicks' choices are pseudo-random, the same on every run


class Participant(BaseModel):
    """One participant of the session, by id, with the slots they cannot meet in."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=200)
    unavailable_slots: frozenset[int] = frozenset()


class MeetingRequest(BaseModel):
    """An accepted request: an unordered pair of participant ids."""

    model_config = ConfigDict(frozen=True)

    a: str
    b: str


class Meeting(BaseModel):
    """A request placed at a table in a slot; ``locked`` ones the organiser pinned."""

    model_config = ConfigDict(frozen=True)

    a: str
    b: str
    slot: int = Field(ge=0)
    table: int = Field(ge=0)
    locked: bool = False


def pair(a: str, b: str) -> tuple[str, str]:
    """The key of an unordered pair: a request and its reverse are the same request."""
    return (a, b) if a <= b else (b, a)


class ScheduleProblem(BaseModel):
    """A session to schedule; refuses (``ValidationError``, located at the field) what no
    schedule could honour: an unknown participant, a slot or table out of range, a
    request with oneself, a locked meeting that is not an accepted request or breaks a
    constraint. ``previous`` is not checked beyond its shape: it is the last schedule, and
    what changed since (withdrawn requests, new unavailability) is the reason to rerun."""

    slots: int = Field(ge=0, le=MAX_SLOTS)
    tables_per_slot: int = Field(ge=0, le=MAX_TABLES)
    participants: list[Participant]
    requests: list[MeetingRequest]
    locked: list[Meeting] = []
    previous: list[Meeting] = []

    @model_validator(mode="after")
    def _consistent(self) -> ScheduleProblem:
        errors = [*self._participant_errors(), *self._request_errors(), *self._locked_errors()]
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self

    def _participant_errors(self) -> Iterator[InitErrorDetails]:
        seen: set[str] = set()
        for i, person in enumerate(self.participants):
            if person.id in seen:
                yield _error(("participants", i, "id"), person.id, f"'{person.id}' appears twice")
            seen.add(person.id)
            for slot in sorted(person.unavailable_slots):
                if not 0 <= slot < self.slots:
                    yield _error(
                        ("participants", i, "unavailable_slots"), slot, self._no_slot(slot)
                    )

    def _request_errors(self) -> Iterator[InitErrorDetails]:
        known = {person.id for person in self.participants}
        for i, request in enumerate(self.requests):
            yield from _unknown(("requests", i), request, known)
            if request.a == request.b:
                yield _error(
                    ("requests", i, "b"), request.b, f"a request with oneself ('{request.b}')"
                )

    def _locked_errors(self) -> Iterator[InitErrorDetails]:
        known = {person.id for person in self.participants}
        accepted = {pair(r.a, r.b) for r in self.requests}
        away = {(p.id, s) for p in self.participants for s in p.unavailable_slots}
        tables: dict[tuple[int, int], int] = {}
        busy: dict[tuple[str, int], int] = {}
        pairs: dict[tuple[str, str], int] = {}
        for i, m in enumerate(self.locked):
            where = ("locked", i)
            unknown = list(_unknown(where, m, known))
            yield from unknown
            if unknown:
                continue
            if pair(m.a, m.b) not in accepted:
                yield _error(where, [m.a, m.b], f"'{m.a}' and '{m.b}' have no accepted request")
            elif pair(m.a, m.b) in pairs:
                yield _error(
                    where, [m.a, m.b], f"the same request as locked[{pairs[pair(m.a, m.b)]}]"
                )
            pairs.setdefault(pair(m.a, m.b), i)
            if m.slot >= self.slots:
                yield _error((*where, "slot"), m.slot, self._no_slot(m.slot))
                continue
            if m.table >= self.tables_per_slot:
                yield _error((*where, "table"), m.table, self._no_table(m.table))
            elif (m.slot, m.table) in tables:
                taken = f"locked[{tables[m.slot, m.table]}]"
                yield _error(
                    (*where, "table"),
                    m.table,
                    f"table {m.table} of slot {m.slot} is taken by {taken}",
                )
            tables.setdefault((m.slot, m.table), i)
            for person in (m.a, m.b):
                if (person, m.slot) in away:
                    yield _error(
                        (*where, "slot"), m.slot, f"'{person}' is unavailable in slot {m.slot}"
                    )
                elif (person, m.slot) in busy:
                    other = f"locked[{busy[person, m.slot]}]"
                    yield _error(
                        (*where, "slot"),
                        m.slot,
                        f"'{person}' already meets in slot {m.slot} ({other})",
                    )
                busy.setdefault((person, m.slot), i)

    def _no_slot(self, slot: int) -> str:
        return f"slot {slot} does not exist (slots are 0 to {self.slots - 1})"

    def _no_table(self, table: int) -> str:
        return f"table {table} does not exist (tables are 0 to {self.tables_per_slot - 1})"


def _error(loc: tuple[str | int, ...], value: object, reason: str) -> InitErrorDetails:
    """One refusal at ``loc``; the reason is the message as it stands."""
    return InitErrorDetails(
        type=PydanticCustomError("schedule_problem", reason), loc=loc, input=value
    )


def _unknown(
    where: tuple[str | int, ...], item: MeetingRequest | Meeting, known: set[str]
) -> Iterator[InitErrorDetails]:
    for side in ("a", "b"):
        person = getattr(item, side)
        if person not in known:
            yield _error((*where, side), person, f"'{person}' is not a participant")


class Schedule(BaseModel):
    """The meetings by slot and table, the requests left out, and how good it is:
    ``moved`` previous meetings not at their (slot, table) any more (or left out),
    ``idle_gaps`` summed over participants, and a proven ``upper_bound`` on meetings."""

    meetings: list[Meeting]
    unplaced: list[MeetingRequest]
    moved: int
    idle_gaps: int
    upper_bound: int


@dataclass
class _Indexed:
    """The problem on integer indices: participants, distinct requests, their masks."""

    ids: list[str]
    requests: list[MeetingRequest]  # distinct, first orientation given
    ends: list[tuple[int, int]]
    available: list[int]
    by_pair: dict[tuple[str, str], int]


def _index(problem: ScheduleProblem) -> _Indexed:
    """Integer indices; a pair requested twice (in either order) becomes one request."""
    ids = [person.id for person in problem.participants]
    position = {person: i for i, person in enumerate(ids)}
    every = (1 << problem.slots) - 1
    available = [
        every & ~sum(1 << s for s in person.unavailable_slots) for person in problem.participants
    ]
    requests: list[MeetingRequest] = []
    ends: list[tuple[int, int]] = []
    by_pair: dict[tuple[str, str], int] = {}
    for request in problem.requests:
        key = pair(request.a, request.b)
        if key not in by_pair:
            by_pair[key] = len(requests)
            requests.append(request)
            ends.append((position[request.a], position[request.b]))
    return _Indexed(ids, requests, ends, available, by_pair)


def _scarcity_order(board: Board) -> list[int]:
    """Requests whose participants have the fewest competing requests per free slot first:
    a participant requested by many fills their day anyway, while a request between two
    quiet participants is lost if it comes late; fewer common slots first breaks ties."""
    pressure = [
        len(board.incident[v]) / max(1, board.available[v].bit_count())
        for v in range(len(board.available))
    ]

    def key(e: int) -> tuple[float, float, int, int]:
        u, v = board.ends[e]
        return (
            max(pressure[u], pressure[v]),
            min(pressure[u], pressure[v]),
            board.common(e).bit_count(),
            e,
        )

    return sorted(range(len(board.ends)), key=key)


def upper_bound(problem: ScheduleProblem) -> int:
    """A proven bound on the meetings any schedule places: the requests that have a
    common slot, the tables (per slot, at most half its available participants), and a
    fractional b-matching (each participant in at most as many meetings as free slots;
    ``scheduling_bound``)."""
    indexed = _index(problem)
    ends = [(u, v) for u, v in indexed.ends if indexed.available[u] & indexed.available[v]]
    present = {p for end in ends for p in end}
    tables = sum(
        min(problem.tables_per_slot, sum(1 for v in present if indexed.available[v] >> s & 1) // 2)
        for s in range(problem.slots)
    )
    people = b_matching_bound([a.bit_count() for a in indexed.available], ends)
    return min(len(ends), tables, people)


def schedule(problem: ScheduleProblem, time_limit: float = 4.0) -> Schedule:
    """Place as many accepted requests as possible (near the optimum), then close idle
    gaps; keep locked meetings, and move as few previous ones as possible.

    ``time_limit`` is turned into a budget of search steps (``STEPS_PER_SECOND``, measured
    on the build machine), so the answer never depends on the machine's load."""
    indexed = _index(problem)
    budget = int(max(0.0, time_limit) * STEPS_PER_SECOND)
    locked = {indexed.by_pair[pair(m.a, m.b)]: m for m in problem.locked}
    board = Board(
        problem.slots,
        problem.tables_per_slot,
        indexed.available,
        indexed.ends,
        frozen=[e in locked for e in range(len(indexed.ends))],
        home=[FREE] * len(indexed.ends),
    )
    for e, meeting in locked.items():
        board.place(e, meeting.slot)
    previous = _keep_previous(board, indexed, problem.previous)
    order = _scarcity_order(board)
    board.fill(order)
    board.augment(order, budget // 2, EJECTION_DEPTH)
    for e in previous:  # moving a previous meeting is allowed now, when it places one more
        board.frozen[e] = e in locked
    board.augment(order, budget * 5 // 8, EJECTION_DEPTH)
    ceiling = upper_bound(problem)
    board.kick(Random(KICK_SEED), budget * 7 // 8, EJECTION_DEPTH, ceiling)
    for e, meeting in previous.items():
        board.frozen[e] = e in locked or board.slot_of[e] == meeting.slot
    board.compact(budget)
    return _result(problem, indexed, board, locked, previous, ceiling)


def _keep_previous(
    board: Board, indexed: _Indexed, previous: Sequence[Meeting]
) -> dict[int, Meeting]:
    """Put back the previous meetings that still fit where they were (frozen for now);
    returns every previous meeting of a request that is still accepted (not locked)."""
    kept: dict[int, Meeting] = {}
    for meeting in previous:
        e = indexed.by_pair.get(pair(meeting.a, meeting.b))
        if e is None or board.frozen[e] or e in kept:
            continue
        kept[e] = meeting
        s = meeting.slot
        board.home[e] = s
        if s < board.slots and board.free_for(e) >> s & 1:
            board.place(e, s)
            board.frozen[e] = True
    return kept


def _result(
    problem: ScheduleProblem,
    indexed: _Indexed,
    board: Board,
    locked: dict[int, Meeting],
    previous: dict[int, Meeting],
    ceiling: int,
) -> Schedule:
    meetings = _tables(problem, indexed, board, locked, previous)
    where = {indexed.by_pair[pair(m.a, m.b)]: (m.slot, m.table) for m in meetings}
    moved = sum(1 for e, m in previous.items() if where.get(e) != (m.slot, m.table))
    unplaced = [r for e, r in enumerate(indexed.requests) if board.slot_of[e] == FREE]
    gaps = sum(gaps_of(board.used[v], ~board.available[v]) for v in range(len(indexed.ids)))
    return Schedule(
        meetings=meetings,
        unplaced=unplaced,
        moved=moved,
        idle_gaps=gaps,
        upper_bound=ceiling,
    )


def _tables(
    problem: ScheduleProblem,
    indexed: _Indexed,
    board: Board,
    locked: dict[int, Meeting],
    previous: dict[int, Meeting],
) -> list[Meeting]:
    """Tables within each slot: locked meetings at theirs, previous meetings still in
    their slot at their previous table when it is free, the others at the lowest free
    tables (dense from 0). Sorted by slot, then table."""
    taken: set[tuple[int, int]] = set()
    table_of: dict[int, int] = {}
    for e, m in locked.items():
        table_of[e] = m.table
        taken.add((m.slot, m.table))
    for e, m in previous.items():
        s = board.slot_of[e]
        fits = s == m.slot and m.table < problem.tables_per_slot
        if e not in table_of and fits and (s, m.table) not in taken:
            table_of[e] = m.table
            taken.add((s, m.table))
    next_free = [0] * board.slots
    for e in range(len(indexed.ends)):
        s = board.slot_of[e]
        if s == FREE or e in table_of:
            continue
        while (s, next_free[s]) in taken:
            next_free[s] += 1
        table_of[e] = next_free[s]
        taken.add((s, next_free[s]))
    meetings = [
        Meeting(
            a=indexed.requests[e].a,
            b=indexed.requests[e].b,
            slot=board.slot_of[e],
            table=table,
            locked=e in locked,
        )
        for e, table in table_of.items()
    ]
    return sorted(meetings, key=lambda m: (m.slot, m.table))
