"""An independent check of a brokerage schedule, written from the rules, not the scheduler.

``violations(problem, schedule)`` returns every broken rule as a line of text (empty: the
schedule is valid); ``idle_gaps`` counts gaps the way docs/matching-scheduling.md defines
them. Nothing here imports the scheduler's search: only the models it answers with.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


def _key(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def violations(problem: Any, result: Any) -> list[str]:
    """Every rule the schedule breaks, one line each."""
    found: list[str] = []
    known = {p.id for p in problem.participants}
    away = {p.id: set(p.unavailable_slots) for p in problem.participants}
    accepted = {_key(r.a, r.b) for r in problem.requests}
    tables: Counter[tuple[int, int]] = Counter()
    busy: Counter[tuple[str, int]] = Counter()
    met: Counter[frozenset[str]] = Counter()
    for m in result.meetings:
        if m.a not in known or m.b not in known:
            found.append(f"{m}: an unknown participant")
        if _key(m.a, m.b) not in accepted or m.a == m.b:
            found.append(f"{m}: not an accepted request")
        if not 0 <= m.slot < problem.slots:
            found.append(f"{m}: slot out of range")
        if not 0 <= m.table < problem.tables_per_slot:
            found.append(f"{m}: table out of range")
        for person in (m.a, m.b):
            if m.slot in away.get(person, set()):
                found.append(f"{m}: {person} is unavailable in slot {m.slot}")
            busy[person, m.slot] += 1
        tables[m.slot, m.table] += 1
        met[_key(m.a, m.b)] += 1
    found += [f"{p} has {n} meetings in slot {s}" for (p, s), n in busy.items() if n > 1]
    found += [f"table {t} of slot {s} holds {n}" for (s, t), n in tables.items() if n > 1]
    found += [f"{sorted(k)} placed {n} times" for k, n in met.items() if n > 1]
    found += _locked_violations(problem, result)
    found += _accounting_violations(problem, result, met)
    return found


def _locked_violations(problem: Any, result: Any) -> list[str]:
    """Every locked meeting is in the schedule exactly where it was locked."""
    placed = {(_key(m.a, m.b), m.slot, m.table) for m in result.meetings}
    return [
        f"locked {m} moved or dropped"
        for m in problem.locked
        if (_key(m.a, m.b), m.slot, m.table) not in placed
    ]


def _accounting_violations(problem: Any, result: Any, met: Counter[frozenset[str]]) -> list[str]:
    """Unplaced are exactly the distinct requests not met; the figures are right."""
    found: list[str] = []
    distinct = {_key(r.a, r.b) for r in problem.requests}
    unplaced = Counter(_key(r.a, r.b) for r in result.unplaced)
    if any(n > 1 for n in unplaced.values()):
        found.append("a request is unplaced twice")
    if set(unplaced) != distinct - set(met):
        found.append("unplaced is not the requests left out")
    if len(result.meetings) > result.upper_bound:
        found.append(f"{len(result.meetings)} meetings above the upper bound {result.upper_bound}")
    if result.idle_gaps != idle_gaps(problem, result):
        found.append(f"idle_gaps {result.idle_gaps}, counted {idle_gaps(problem, result)}")
    if result.moved != moved(problem, result):
        found.append(f"moved {result.moved}, counted {moved(problem, result)}")
    return found


def idle_gaps(problem: Any, result: Any) -> int:
    """Free slots a participant is available in, between their first and last meeting."""
    days: dict[str, set[int]] = {}
    for m in result.meetings:
        days.setdefault(m.a, set()).add(m.slot)
        days.setdefault(m.b, set()).add(m.slot)
    away = {p.id: set(p.unavailable_slots) for p in problem.participants}
    return sum(
        1
        for person, slots in days.items()
        for s in range(min(slots), max(slots))
        if s not in slots and s not in away[person]
    )


def moved(problem: Any, result: Any) -> int:
    """Previous meetings of still-accepted, unlocked requests not at their (slot, table)."""
    accepted = {_key(r.a, r.b) for r in problem.requests}
    locked = {_key(m.a, m.b) for m in problem.locked}
    now = {_key(m.a, m.b): (m.slot, m.table) for m in result.meetings}
    counted: set[frozenset[str]] = set()
    total = 0
    for m in problem.previous:
        key = _key(m.a, m.b)
        if key not in accepted or key in locked or key in counted:
            continue
        counted.add(key)
        total += now.get(key) != (m.slot, m.table)
    return total
