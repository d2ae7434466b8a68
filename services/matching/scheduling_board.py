"""The scheduler's search, on integer indices and bit masks (``scheduling.py`` is its API).

Pure and deterministic: no clock, no randomness, no I/O; the effort is a budget of search
steps, so the same input gives the same schedule on any machine.

The board holds, per participant, a bit mask of the slots they are available in and of
the slots they meet in, and which meeting sits in each (participant, slot); per slot, how
many meetings it holds. Placing a meeting is O(1); every search move is "place one
meeting, take out at most one other", undone exactly when a search fails.

Search (why each step, see docs/matching-scheduling.md):

1. ``fill``: requests in order of scarcity, each into its first common free slot.
2. ``augment``: for each request still unplaced, an alternating (Kempe) chain of two
   slots, as in Vizing's proof, then a depth-limited ejection chain: place it where one
   meeting is in the way, re-place that one elsewhere, or give its freed place to another
   unplaced request of the freed participant (remove one, insert two).
3. ``compact``: move meetings (alone, or two slots exchanged along a Kempe chain) to
   close idle gaps, never losing one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from random import Random

FREE = -1


def bits(mask: int) -> Iterable[int]:
    """The indices of the set bits of ``mask``, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def gaps_of(used: int, unavailable: int) -> int:
    """Idle gaps of one participant: free, available slots between their first and last
    meeting (an unavailable slot is not idle: they are busy elsewhere)."""
    if not used:
        return 0
    low = (used & -used).bit_length() - 1
    span = ((1 << used.bit_length()) - 1) ^ ((1 << low) - 1)
    return (span & ~used & ~unavailable).bit_count()


@dataclass
class Board:
    """Participants 0..n-1, requests (edges) 0..m-1, slots 0..S-1 of ``tables`` each."""

    slots: int
    tables: int
    available: list[int]  # per participant: mask of the slots they may meet in
    ends: list[tuple[int, int]]  # per request: its two participants
    frozen: list[bool]  # per request: may not be moved (locked, or kept on purpose)
    home: list[int]  # per request: its slot in the previous schedule, or FREE
    used: list[int] = field(init=False)
    at: list[list[int]] = field(init=False)  # at[v][s]: the request v meets in s, or FREE
    slot_of: list[int] = field(init=False)
    count: list[int] = field(init=False)
    full: int = field(init=False, default=0)
    incident: list[list[int]] = field(init=False)
    steps: int = field(init=False, default=0)
    journal: list[tuple[int, int]] | None = field(
        init=False, default=None
    )  # (request, slot before)

    def __post_init__(self) -> None:
        n = len(self.available)
        self.used = [0] * n
        self.at = [[FREE] * self.slots for _ in range(n)]
        self.slot_of = [FREE] * len(self.ends)
        self.count = [0] * self.slots
        self.full = (1 << self.slots) - 1 if self.tables == 0 else 0
        self.incident = [[] for _ in range(n)]
        for e, (u, v) in enumerate(self.ends):
            self.incident[u].append(e)
            self.incident[v].append(e)

    # -- moves ---------------------------------------------------------------------------

    def place(self, e: int, s: int) -> None:
        """Put request ``e`` in slot ``s`` (the caller checked that it fits)."""
        if self.journal is not None:
            self.journal.append((e, FREE))
        u, v = self.ends[e]
        bit = 1 << s
        self.used[u] |= bit
        self.used[v] |= bit
        self.at[u][s] = e
        self.at[v][s] = e
        self.slot_of[e] = s
        self.count[s] += 1
        if self.count[s] >= self.tables:
            self.full |= bit

    def take(self, e: int) -> int:
        """Take request ``e`` out of its slot; returns that slot."""
        s = self.slot_of[e]
        if self.journal is not None:
            self.journal.append((e, s))
        u, v = self.ends[e]
        bit = 1 << s
        self.used[u] &= ~bit
        self.used[v] &= ~bit
        self.at[u][s] = FREE
        self.at[v][s] = FREE
        self.slot_of[e] = FREE
        self.count[s] -= 1
        self.full &= ~bit
        return s

    def common(self, e: int) -> int:
        """Slots both participants of ``e`` are available in."""
        u, v = self.ends[e]
        return self.available[u] & self.available[v]

    def free_for(self, e: int) -> int:
        """Slots ``e`` could go into as it stands: both free, and room at a table."""
        u, v = self.ends[e]
        return self.available[u] & self.available[v] & ~self.used[u] & ~self.used[v] & ~self.full

    def placed(self) -> int:
        return sum(self.count)

    def gaps(self, v: int) -> int:
        return gaps_of(self.used[v], ~self.available[v])

    # -- 1. first fill ---------------------------------------------------------------------

    def fill(self, order: Sequence[int]) -> None:
        """Each unplaced request, in ``order``, into its lowest common free slot (low slots
        first keeps days compact)."""
        for e in order:
            if self.slot_of[e] == FREE:
                free = self.free_for(e)
                if free:
                    self.place(e, (free & -free).bit_length() - 1)

    # -- 2. augmenting -------------------------------------------------------------------

    def augment(self, order: Sequence[int], budget: int, depth: int) -> int:
        """Try to place each unplaced request without losing any placed one; passes over
        ``order`` until one pass places nothing or ``budget`` steps are spent. Returns how
        many it placed."""
        gained = 0
        progress = True
        while progress and self.steps < budget:
            progress = False
            for e in order:
                if self.steps >= budget:
                    break
                if self.slot_of[e] == FREE and self.common(e) and self.insert(e, budget, depth):
                    gained += 1
                    progress = True
        return gained

    def insert(self, e: int, budget: int, depth: int) -> bool:
        """Place ``e``: directly, through a Kempe chain, by moving a meeting out of a full
        slot, or through an ejection chain."""
        free = self.free_for(e)
        if free:
            self.place(e, (free & -free).bit_length() - 1)
            return True
        return self.kempe_insert(e) or self.relieve_insert(e) or self.eject(e, depth, {e}, budget)

    def kempe_insert(self, e: int) -> bool:
        """Vizing's step: slot a free at u, slot b free at v; swap a and b along the chain
        from v (or from u) so that one slot is free at both."""
        u, v = self.ends[e]
        common = self.common(e)
        free_u = common & ~self.used[u]
        free_v = common & ~self.used[v]
        for a in bits(free_u & ~free_v):
            for b in bits(free_v & ~free_u):
                self.steps += 1
                # the chain from v starts with v's meeting in a; after the swap a is free at v
                if self.swap_chain(v, a, b, stop=u):
                    self.place(e, a)
                    return True
                if self.swap_chain(u, b, a, stop=v):
                    self.place(e, b)
                    return True
        return False

    def chain(self, start: int, a: int, b: int) -> list[int] | None:
        """The requests of the a/b alternating path from ``start`` (starting with its
        meeting in ``a``), or None when it cannot be swapped (a frozen meeting, or a
        participant unavailable in the other slot)."""
        path: list[int] = []
        v, s, other = start, a, b
        while True:
            e = self.at[v][s]
            if e == FREE:
                return path
            if self.frozen[e]:
                return None
            x, y = self.ends[e]
            w = y if x == v else x
            if not self.available[w] >> other & 1:
                return None
            path.append(e)
            v, s, other = w, other, s
            if len(path) > len(self.ends):  # cannot happen: a path from a free end
                return None

    def swap_chain(self, start: int, a: int, b: int, stop: int) -> bool:
        """Swap slots a and b along the chain from ``start``; refuse when it reaches
        ``stop`` (the other end of the request being placed) or overfills a slot."""
        path = self.chain(start, a, b)
        if path is None:
            return False
        ends = {p for e in path for p in self.ends[e]}
        if stop in ends:
            return False
        into_b = sum(1 for e in path if self.slot_of[e] == a)
        into_a = len(path) - into_b
        if self.count[b] - into_a + into_b > self.tables:
            return False
        if self.count[a] - into_b + into_a + 1 > self.tables:  # +1: the request placed in a
            return False
        targets = [(e, b if self.slot_of[e] == a else a) for e in path]
        for e, _ in targets:
            self.take(e)
        for e, s in targets:
            self.place(e, s)
        return True

    def relieve_insert(self, e: int) -> bool:
        """A slot free at both ends but full: move one of its meetings to a slot free for
        it, and take its table."""
        u, v = self.ends[e]
        candidates = self.common(e) & ~self.used[u] & ~self.used[v] & self.full
        for s in bits(candidates):
            for f in self.meetings_in(s):
                self.steps += 1
                if self.frozen[f]:
                    continue
                free = self.free_for(f)
                if free:
                    self.take(f)
                    self.place(f, (free & -free).bit_length() - 1)
                    self.place(e, s)
                    return True
        return False

    def meetings_in(self, s: int) -> list[int]:
        """The requests placed in slot ``s`` (a scan: only used when a slot is full)."""
        seen = {row[s] for row in self.at}
        seen.discard(FREE)
        return sorted(seen)

    def eject(self, e: int, depth: int, chain: set[int], budget: int) -> bool:
        """Ejection chain: put ``e`` where exactly one meeting f is in the way, then
        re-place f, or give f's freed place to another unplaced request of its other
        participant. Everything is undone when no continuation succeeds."""
        if depth <= 0 or self.steps >= budget:
            return False
        u, v = self.ends[e]
        common = self.common(e)
        for s in bits(common & ~(self.used[u] & self.used[v])):
            self.steps += 1
            f = self.at[u][s] if self.at[u][s] != FREE else self.at[v][s]
            if f == FREE or f in chain or self.frozen[f]:
                continue
            x, y = self.ends[f]
            freed = x if x not in (u, v) else y  # f's participant that e leaves free in s
            self.take(f)
            self.place(e, s)
            chain.add(f)
            if self.reinsert(f, depth, chain, budget) or self.fill_hole(
                freed, s, depth, chain, budget
            ):
                return True
            chain.discard(f)
            self.take(e)
            self.place(f, s)
        return False

    def reinsert(self, f: int, depth: int, chain: set[int], budget: int) -> bool:
        """Place an ejected meeting again, directly or further down the chain."""
        free = self.free_for(f)
        if free:
            self.place(f, (free & -free).bit_length() - 1)
            return True
        return self.eject(f, depth - 1, chain, budget)

    def fill_hole(self, w: int, s: int, depth: int, chain: set[int], budget: int) -> bool:
        """Give participant w's freed slot s to one of w's unplaced requests (its other
        participant free in s, or freed by ejecting one more meeting)."""
        if depth <= 1:
            return False
        for h in self.incident[w]:
            if self.slot_of[h] != FREE or h in chain or not self.common(h) >> s & 1:
                continue
            self.steps += 1
            x, y = self.ends[h]
            z = y if x == w else x
            g = self.at[z][s]
            if g == FREE:
                if self.full >> s & 1:
                    continue
                self.place(h, s)
                return True
            if self.frozen[g] or g in chain:
                continue
            self.take(g)
            self.place(h, s)
            chain.add(g)
            chain.add(h)
            if self.reinsert(g, depth - 1, chain, budget):
                return True
            chain.discard(g)
            chain.discard(h)
            self.take(h)
            self.place(g, s)
        return False

    # -- 2b. kicks ----------------------------------------------------------------------

    def kick(self, rng: Random, budget: int, depth: int, ceiling: int) -> None:
        """Iterated local search while steps remain and the bound is not reached: force an
        unplaced request into one of its slots (taking out what is in the way), repair
        around it with ``insert``, keep the result when no meeting was lost, else undo."""
        while self.steps < budget and self.placed() < ceiling:
            waiting = [
                e for e in range(len(self.ends)) if self.slot_of[e] == FREE and self.common(e)
            ]
            if not waiting:
                return
            for _ in range(len(waiting)):
                if self.steps >= budget:
                    return
                self.kick_one(rng.choice(waiting), rng, budget, depth)

    def kick_one(self, e: int, rng: Random, budget: int, depth: int) -> bool:
        """One kick around request ``e``; True when it was kept."""
        self.steps += 1  # every attempt costs, so that the budget ends the search
        if self.slot_of[e] != FREE:  # an earlier kick placed it
            return False
        before = self.placed()
        s = rng.choice(list(bits(self.common(e))))
        u, v = self.ends[e]
        out = sorted({self.at[u][s], self.at[v][s]} - {FREE})
        if any(self.frozen[f] for f in out):
            return False
        self.journal = []
        for f in out:
            self.take(f)
        if self.full >> s & 1:  # both were free, but every table is taken
            movable = [f for f in self.meetings_in(s) if not self.frozen[f]]
            if not movable:
                self.undo()
                return False
            out.append(movable[rng.randrange(len(movable))])
            self.take(out[-1])
        self.place(e, s)
        touched = {p for f in out for p in self.ends[f]} | {u, v}
        for h in sorted({h for p in touched for h in self.incident[p]}):
            if self.slot_of[h] == FREE and self.common(h):
                self.insert(h, budget, depth)
        if self.placed() < before or (self.placed() == before and self.moved_more()):
            self.undo()
            return False
        self.journal = None
        return True

    def moved_more(self) -> bool:
        """Whether the journal's changes took more previous meetings from their slot than
        they brought back: a kick that places no more must not move what an organiser had."""
        before: dict[int, int] = {}
        for e, s in self.journal or []:
            before.setdefault(e, s)
        away = 0
        for e, s in before.items():
            if self.home[e] != FREE:
                away += (self.slot_of[e] != self.home[e]) - (s != self.home[e])
        return away > 0

    def undo(self) -> None:
        """Put every request the journal saw back where it was."""
        journal, self.journal = self.journal or [], None
        for e, s in reversed(journal):
            if self.slot_of[e] != FREE:
                self.take(e)
            if s != FREE:
                self.place(e, s)

    # -- 3. compaction -------------------------------------------------------------------

    def compact(self, budget: int) -> int:
        """Close idle gaps without losing a meeting, while moves lower them; returns the
        gaps closed."""
        closed = 0
        improved = True
        while improved and self.steps < budget:
            improved = False
            for e in range(len(self.ends)):
                if self.steps >= budget:
                    break
                if self.slot_of[e] == FREE or self.frozen[e]:
                    continue
                gain = self.relocate(e) or self.exchange(e)
                if gain:
                    closed += gain
                    improved = True
        return closed

    def relocate(self, e: int) -> int:
        """Move ``e`` to the free slot that lowers its two participants' gaps most."""
        self.steps += 1
        u, v = self.ends[e]
        here = 1 << self.slot_of[e]
        now = self.gaps(u) + self.gaps(v)
        best, best_slot = now, FREE
        for s in bits(self.free_for(e)):
            bit = 1 << s
            after = gaps_of(self.used[u] ^ here | bit, ~self.available[u]) + gaps_of(
                self.used[v] ^ here | bit, ~self.available[v]
            )
            if after < best:
                best, best_slot = after, s
        if best_slot == FREE:
            return 0
        self.take(e)
        self.place(e, best_slot)
        return now - best

    def exchange(self, e: int) -> int:
        """Exchange ``e``'s slot with another along their Kempe component (every meeting
        of the two slots connected to ``e``), when that lowers the gaps of the component's
        participants."""
        a = self.slot_of[e]
        for b in bits(self.common(e) & ~(1 << a)):
            component = self.component(self.ends[e][0], a, b)
            if component is None:
                continue
            people = {p for f in component for p in self.ends[f]}
            swap = (1 << a) | (1 << b)
            now = sum(self.gaps(p) for p in people)
            after = 0
            for p in people:
                used = self.used[p]
                if used & swap != swap:
                    used ^= swap
                after += gaps_of(used, ~self.available[p])
            if after < now and self.fits_exchange(component, a, b):
                targets = [(f, b if self.slot_of[f] == a else a) for f in component]
                for f, _ in targets:
                    self.take(f)
                for f, s in targets:
                    self.place(f, s)
                return now - after
        return 0

    def component(self, start: int, a: int, b: int) -> list[int] | None:
        """The meetings in slots a and b connected to ``start``, or None when one of them
        may not move or one of their participants is unavailable in the other slot."""
        found: dict[int, None] = {}
        seen = {start}
        todo = [start]
        while todo:
            v = todo.pop()
            for s, other in ((a, b), (b, a)):
                f = self.at[v][s]
                if f == FREE or f in found:
                    continue
                self.steps += 1
                x, y = self.ends[f]
                if self.frozen[f] or not (self.available[x] & self.available[y]) >> other & 1:
                    return None
                found[f] = None
                for w in (x, y):
                    if w not in seen:
                        seen.add(w)
                        todo.append(w)
        return list(found)

    def fits_exchange(self, component: list[int], a: int, b: int) -> bool:
        """Whether both slots keep within their tables after the exchange."""
        in_a = sum(1 for f in component if self.slot_of[f] == a)
        in_b = len(component) - in_a
        return (
            self.count[a] - in_a + in_b <= self.tables
            and self.count[b] - in_b + in_a <= self.tables
        )
