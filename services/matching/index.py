"""Sentence rows of every indexed organisation, one side (offers or needs), searchable fast.

Why not one stacked matrix: at 100,000 organisations a side holds ~250,000 rows of 384
float32, and one matrix product per query reads all of them (≈ 60 ms per query on an
idle core of this kind of machine, several times that under load): far above the 20 ms
target. So above ``GRAPH_FROM`` rows a side keeps a **HNSW graph** (faiss-cpu,
``IndexHNSWFlat``, inner product) that answers a query row's ``k`` nearest rows in a
millisecond or two. It is approximate (its recall is high, not total), so the ranking
(``services/matching/ranking.py``) takes the owners of those rows as candidates,
rescores each exactly from its own rows (``rescore``) and uses the ``k``-th cosine
returned as a bound on every owner not among them (docs/matching.md, "Speed").

Below ``GRAPH_FROM`` rows there is no graph: the ranking reads every row (exact).
Rows are appended (to the matrix and the graph; no rebuild per upsert); a removed owner's
rows are only marked dead, skipped in answers, and the side is compacted (its graph
rebuilt) when the dead rows outnumber the live ones.

The rows are kept once more in owner order, for the exact rescoring (the graph's own
copy is faiss's, in its own layout): float32 holding the float16 values the scores are
defined on (``PartnerIndex.vectors``), so a rescored cosine is exactly brute force's;
float32 because converting float16 rows per query cost more than the product itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np
from numpy.typing import NDArray

from services.matching.embedding import Vectors

GRAPH_FROM = 20_000  # live rows: below this reading every row is fast enough, and exact
LINKS = 32  # HNSW neighbours per row (M): recall against memory (~256 bytes a row)
EF_CONSTRUCTION = 64  # breadth of the search that places a new row: build time against recall
EF_SEARCH = 96  # breadth of a query's search (at least k): latency against recall
Positions = NDArray[np.int64]

# One faiss thread: a query has a handful of rows (nothing to share out), the service
# calls the index from worker threads, and the build machine's two cores are shared.
faiss.omp_set_num_threads(1)


@dataclass(frozen=True)
class Nearest:
    """The owners of a query's nearest live rows, and what an owner not among them can
    reach at most: the largest ``k``-th cosine over the query rows (-1 when the query
    rows saw every row, or on a side without a graph, where every owner is listed)."""

    owners: Positions
    bound: float


class _Growable:
    """An array whose first ``count`` rows are used; appends amortised (capacity doubles)."""

    def __init__(self, shape: tuple[int, ...], dtype: Any, fill: Any = 0) -> None:
        self.items = np.full((16, *shape), fill, dtype=dtype)
        self.count = 0
        self._fill = fill

    def reserve(self, size: int) -> None:
        if size > len(self.items):
            shape = (max(size, 2 * len(self.items)), *self.items.shape[1:])
            grown = np.full(shape, self._fill, dtype=self.items.dtype)
            grown[: len(self.items)] = self.items
            self.items = grown

    def append(self, value: Any) -> None:
        self.reserve(self.count + 1)
        self.items[self.count] = value
        self.count += 1

    def extend(self, values: NDArray[Any]) -> None:
        self.reserve(self.count + len(values))
        self.items[self.count : self.count + len(values)] = values
        self.count += len(values)

    @property
    def used(self) -> NDArray[Any]:
        return self.items[: self.count]


class SentenceRows:
    """One side's rows, owned by integer positions the caller assigns (and marks dead)."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self._reset()

    def _reset(self) -> None:
        self._matrix = _Growable((self.dimensions,), np.float32)
        self._row_owner = _Growable((), np.int64)
        self._row_alive = _Growable((), np.bool_)
        self._start = _Growable((), np.int64)  # per owner position: its first row
        self._count = _Growable((), np.int64)  # per owner position: its live rows (0: none)
        self._graph: faiss.IndexHNSWFlat | None = None
        self.rows = 0  # live rows
        self.dead_rows = 0

    @property
    def graphed(self) -> bool:
        """Whether a HNSW graph answers queries (False: every row is read, exact)."""
        return self._graph is not None

    def add(self, owner: int, rows: Vectors) -> None:
        """Index an owner's rows; an owner position is added once (a change is a new one)."""
        if not len(rows):
            return
        stored = self._append(owner, np.asarray(rows, dtype=np.float16).astype(np.float32))
        if self._graph is not None:
            self._graph.add(stored)
        elif self.rows >= GRAPH_FROM:
            self._compact()

    def _append(self, owner: int, rows: Vectors) -> Vectors:
        """Store an owner's rows (not in the graph): the matrix, their owner, its range."""
        for array in (self._start, self._count):
            array.reserve(owner + 1)
            array.count = max(array.count, owner + 1)
        self._start.items[owner] = self._matrix.count
        self._count.items[owner] = len(rows)
        self._matrix.extend(rows)
        self._row_owner.extend(np.full(len(rows), owner, dtype=np.int64))
        self._row_alive.extend(np.ones(len(rows), dtype=np.bool_))
        self.rows += len(rows)
        return rows

    def remove(self, owner: int) -> None:
        """Forget an owner: its rows stay, masked, until the dead outnumber the living."""
        if owner >= self._count.count or not self._count.items[owner]:
            return
        start, count = int(self._start.items[owner]), int(self._count.items[owner])
        self._row_alive.items[start : start + count] = False
        self._count.items[owner] = 0
        self.rows -= count
        self.dead_rows += count
        if self.dead_rows > self.rows:
            self._compact()

    def owners(self) -> Positions:
        """Every owner position with live rows on this side."""
        return np.flatnonzero(self._count.used).astype(np.int64)

    def nearest(self, queries: Vectors, k: int) -> Nearest:
        """The owners of each query row's ``k`` nearest rows (every owner without a graph)."""
        if self._graph is None or not len(queries):
            return Nearest(self.owners() if len(queries) else np.zeros(0, np.int64), -1.0)
        self._graph.hnsw.efSearch = max(EF_SEARCH, k)
        cosines, rows = self._graph.search(np.ascontiguousarray(queries, np.float32), k)
        full = rows[:, -1] >= 0  # a query row with fewer than k answers saw every row
        bound = float(cosines[full, -1].max()) if full.any() else -1.0
        found = rows[rows >= 0]
        found = found[self._row_alive.items[found]]
        return Nearest(np.unique(self._row_owner.items[found]), bound)

    def rescore(self, queries: Vectors, owners: Positions) -> Vectors:
        """Per owner, the exact best cosine of any query row with any of its rows (-1: none)."""
        best = np.full(len(owners), -1.0, dtype=np.float32)
        known = owners < self._count.count
        counts = np.zeros(len(owners), dtype=np.int64)
        counts[known] = self._count.items[owners[known]]
        holding = np.flatnonzero(counts)
        if not len(queries) or not len(holding):
            return best
        counts = counts[holding]
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
        starts = self._start.items[owners[holding]]
        rows = np.arange(int(counts.sum())) + np.repeat(starts - offsets, counts)
        column = (queries @ self._matrix.items[rows].T).max(axis=0)
        best[holding] = np.maximum.reduceat(column, offsets)
        return best

    def memory_bytes(self) -> int:
        """The rows, their owners and flags (allocated), and the graph (vectors and
        links, estimated from faiss's layout: float32 rows plus ~2·LINKS ids a row)."""
        arrays = (self._matrix, self._row_owner, self._row_alive, self._start, self._count)
        own = sum(int(array.items.nbytes) for array in arrays)
        if self._graph is None:
            return own
        per_row = 4 * self.dimensions + 4 * 2 * LINKS + 8
        return own + int(self._graph.ntotal) * per_row

    def _compact(self) -> None:
        """Keep only live rows, owner by owner, and rebuild the graph over them (or drop
        it when few are left)."""
        owners = self.owners()
        starts, counts = self._start.items[owners], self._count.items[owners]
        matrix = self._matrix.items
        self._reset()
        for owner, start, count in zip(owners, starts, counts, strict=True):
            self._append(int(owner), matrix[start : start + count])
        if self.rows >= GRAPH_FROM:
            graph = faiss.IndexHNSWFlat(self.dimensions, LINKS, faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efConstruction = EF_CONSTRUCTION
            for chunk in range(0, self._matrix.count, 65_536):
                graph.add(self._matrix.used[chunk : chunk + 65_536])
            self._graph = graph


Key = tuple[str, str]


class ValueHolders:
    """Which positions hold a value (a country, a NACE prefix, a technology…): an inverted
    index, so that a query's features and filters are a few array operations over every
    organisation instead of a Python loop. Dead positions stay listed (the caller masks
    them) until the caller rebuilds."""

    def __init__(self) -> None:
        self._holders: dict[Key, _Growable] = {}  # per value, its holders' positions

    def add(self, position: int, keys: set[Key]) -> None:
        for key in keys:
            self._holders.setdefault(key, _Growable((), np.int64)).append(position)

    def count(self, keys: set[Key], size: int) -> NDArray[np.int32]:
        """Per position, how many of the keys it holds."""
        counts = np.zeros(size, dtype=np.int32)
        for key in keys:
            held = self._holders.get(key)
            if held is not None:
                counts[held.used] += 1
        return counts

    def any(self, keys: set[Key], size: int) -> NDArray[np.bool_]:
        """Per position, whether it holds at least one of the keys."""
        return self.count(keys, size) > 0

    def memory_bytes(self) -> int:
        return sum(int(held.items.nbytes) for held in self._holders.values())
