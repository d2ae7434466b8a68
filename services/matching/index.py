"""Sentence rows of every indexed organisation, one side (offers or needs), searchable fast.

Why not one stacked matrix: at 100,000 organisations a side holds ~300,000 rows of 384
float32, and one matrix product per query reads all 460 MB of them (≈ 60 ms on this
kind of machine, per side). So rows are kept in **clusters** (an inverted file): k-means
centroids trained on a sample, each row stored in its nearest centroid's block, and a
query reads only the blocks of the centroids nearest to it (``PROBES`` per query row).
That is approximate — a row in a block not read is missed — so the ranking takes the
candidates found here and scores them exactly from their own vectors
(``services/matching/ranking.py``); bench/matching_search.py measures how often the
top 10 equals exact brute force (docs/matching.md, "Speed").

Below ``CLUSTER_FROM`` rows there is one block, read whole: the search is exact.
Rows are appended to their block (amortised growth, no rebuild per upsert); a removed
owner is only marked dead, and the blocks are rebuilt (and re-clustered) when the dead
rows outnumber the live ones or the live rows have doubled since the last
training: a catch-up of 50,000 upserts re-clusters a handful of times, not 50,000.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.matching.embedding import Vectors

CLUSTER_FROM = 20_000  # rows: below this one exact block is faster than centroids
ROWS_PER_CLUSTER = 200
MAX_CLUSTERS = 1024  # training and routing cost grow with them
PROBES = 8  # blocks read per query row
GROWTH = 2  # re-cluster when the live rows have doubled since the last training
TRAINING_SAMPLE = 32_768
TRAINING_ROUNDS = 6
Positions = NDArray[np.int64]


class _Block:
    """One cluster's rows (float32, contiguous: one matrix product reads them) and owners."""

    def __init__(self, dimensions: int) -> None:
        self.rows = np.zeros((16, dimensions), dtype=np.float32)
        self.owners = np.zeros(16, dtype=np.int64)
        self.count = 0

    def append(self, rows: Vectors, owner: int) -> None:
        needed = self.count + len(rows)
        if needed > len(self.owners):
            capacity = max(needed, 2 * len(self.owners))
            self.rows = _grown(self.rows, capacity)
            self.owners = _grown(self.owners, capacity)
        self.rows[self.count : needed] = rows
        self.owners[self.count : needed] = owner
        self.count = needed


def _grown(array: NDArray[Any], capacity: int) -> NDArray[Any]:
    grown = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


class SentenceRows:
    """One side's rows, owned by integer positions the caller assigns (and marks dead)."""

    def __init__(self, dimensions: int, seed: int = 0) -> None:
        self.dimensions = dimensions
        self._seed = seed
        self._owned: dict[int, Vectors] = {}  # live owner → its rows, to rebuild from
        self.rows = 0  # live rows
        self.dead_rows = 0
        self.trained_at = 0
        self._centroids = np.zeros((0, dimensions), dtype=np.float32)
        self._blocks = [_Block(dimensions)]

    @property
    def clusters(self) -> int:
        """How many centroids route the rows (0: one block, read whole, exact)."""
        return len(self._centroids)

    def add(self, owner: int, rows: Vectors) -> None:
        """Index an owner's rows; an owner position is added once (a change is a new one)."""
        if not len(rows):
            return
        rows = np.ascontiguousarray(rows, dtype=np.float32)
        self._owned[owner] = rows
        self.rows += len(rows)
        if not len(self._centroids):
            self._blocks[0].append(rows, owner)
            if self._blocks[0].count >= CLUSTER_FROM:
                self._rebuild()
            return
        for block, row in zip(self._nearest(rows), rows, strict=True):
            self._blocks[int(block)].append(row[None, :], owner)
        if self.rows > GROWTH * self.trained_at:
            self._rebuild()

    def remove(self, owner: int) -> None:
        """Forget an owner: its rows stay in their blocks, masked, until the next rebuild."""
        rows = self._owned.pop(owner, None)
        if rows is None:
            return
        self.rows -= len(rows)
        self.dead_rows += len(rows)
        if self.dead_rows > self.rows:
            self._rebuild()

    def best(self, queries: Vectors, owners: int, alive: NDArray[np.bool_]) -> Vectors:
        """Per owner position (``owners`` of them): the best cosine of any query with any
        of its rows read, -1 where none was read (or the owner is dead)."""
        best = np.full(owners, -1.0, dtype=np.float32)
        if not len(queries):
            return best
        for block in self._probed(queries):
            if not block.count:
                continue
            column = (queries @ block.rows[: block.count].T).max(axis=0)
            np.maximum.at(best, block.owners[: block.count], column)
        best[~alive[:owners]] = -1.0
        return best

    def memory_bytes(self) -> int:
        """What the blocks and centroids hold (allocated, with their spare capacity)."""
        blocks = sum(block.rows.nbytes + block.owners.nbytes for block in self._blocks)
        return int(blocks + self._centroids.nbytes)

    def _probed(self, queries: Vectors) -> list[_Block]:
        if not len(self._centroids):
            return self._blocks
        scores = queries @ self._centroids.T
        probes = min(PROBES, len(self._centroids))
        nearest = np.argpartition(-scores, probes - 1, axis=1)[:, :probes]
        return [self._blocks[int(block)] for block in np.unique(nearest)]

    def _nearest(self, rows: Vectors) -> Positions:
        return np.argmax(rows @ self._centroids.T, axis=1).astype(np.int64)

    def _rebuild(self) -> None:
        """Re-cluster every live row (or go back to one exact block when few are left)."""
        owners = list(self._owned)
        counts = [len(self._owned[owner]) for owner in owners]
        rows = (
            np.vstack([self._owned[owner] for owner in owners])
            if owners
            else np.zeros((0, self.dimensions), dtype=np.float32)
        )
        row_owners = np.repeat(np.array(owners, dtype=np.int64), counts)
        self.dead_rows = 0
        self.trained_at = len(rows)
        if len(rows) < CLUSTER_FROM:
            self._centroids = np.zeros((0, self.dimensions), dtype=np.float32)
            assignment = np.zeros(len(rows), dtype=np.int64)
        else:
            clusters = min(MAX_CLUSTERS, len(rows) // ROWS_PER_CLUSTER)
            self._centroids = _kmeans(rows, clusters, self._seed)
            assignment = np.concatenate(
                [self._nearest(chunk) for chunk in np.array_split(rows, len(rows) // 8192 + 1)]
            )
        self._blocks = [_Block(self.dimensions) for _ in range(max(1, len(self._centroids)))]
        order = np.argsort(assignment, kind="stable")
        bounds = np.searchsorted(assignment[order], np.arange(len(self._blocks) + 1))
        for number, block in enumerate(self._blocks):
            chosen = order[bounds[number] : bounds[number + 1]]
            block.rows = np.ascontiguousarray(rows[chosen])
            block.owners = row_owners[chosen]
            block.count = len(chosen)


def _kmeans(rows: Vectors, clusters: int, seed: int) -> Vectors:
    """Spherical k-means on a sample: unit centroids, assigned by the largest cosine."""
    rng = np.random.default_rng(seed)
    sample = rows[rng.choice(len(rows), min(len(rows), TRAINING_SAMPLE), replace=False)]
    clusters = max(1, min(clusters, len(sample)))
    centroids = sample[rng.choice(len(sample), clusters, replace=False)].copy()
    for _ in range(TRAINING_ROUNDS):
        assignment = np.argmax(sample @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, assignment, sample)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        empty = norms[:, 0] == 0
        centroids = np.where(empty[:, None], centroids, sums / np.where(norms == 0, 1, norms))
    return centroids.astype(np.float32)


Key = tuple[str, str]


class _Positions:
    """A growable array of owner positions (appends amortised)."""

    def __init__(self) -> None:
        self.items = np.zeros(8, dtype=np.int64)
        self.count = 0

    def append(self, position: int) -> None:
        if self.count == len(self.items):
            self.items = _grown(self.items, 2 * len(self.items))
        self.items[self.count] = position
        self.count += 1


class ValueHolders:
    """Which positions hold a value (a country, a NACE prefix, a technology…): an inverted
    index, so that a query's features and filters are a few array operations over every
    organisation instead of a Python loop. Dead positions stay listed (the caller masks
    them) until the caller rebuilds."""

    def __init__(self) -> None:
        self._holders: dict[Key, _Positions] = {}

    def add(self, position: int, keys: set[Key]) -> None:
        for key in keys:
            self._holders.setdefault(key, _Positions()).append(position)

    def count(self, keys: set[Key], size: int) -> NDArray[np.int32]:
        """Per position, how many of the keys it holds."""
        counts = np.zeros(size, dtype=np.int32)
        for key in keys:
            held = self._holders.get(key)
            if held is not None:
                counts[held.items[: held.count]] += 1
        return counts

    def any(self, keys: set[Key], size: int) -> NDArray[np.bool_]:
        """Per position, whether it holds at least one of the keys."""
        return self.count(keys, size) > 0

    def memory_bytes(self) -> int:
        return sum(int(held.items.nbytes) for held in self._holders.values())
