"""The clustered side index: the same per-owner best cosines as brute force when every
block is read, appends without re-clustering, removals masked, and re-clustering only
when the index has doubled or the dead outnumber the living."""

from __future__ import annotations

import numpy as np
import pytest

from services.matching import index as ix
from services.matching.index import SentenceRows

D = 16


@pytest.fixture(autouse=True)
def small_clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ix, "CLUSTER_FROM", 300)
    monkeypatch.setattr(ix, "ROWS_PER_CLUSTER", 20)


def random_rows(rng: np.random.Generator, count: int) -> np.ndarray:
    rows = rng.standard_normal((count, D)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def brute_force(owned: dict[int, np.ndarray], queries: np.ndarray, owners: int) -> np.ndarray:
    best = np.full(owners, -1.0, dtype=np.float32)
    for owner, rows in owned.items():
        best[owner] = (queries @ rows.T).max()
    return best


def filled(rng: np.random.Generator, owners: int) -> tuple[SentenceRows, dict[int, np.ndarray]]:
    side, owned = SentenceRows(D), {}
    for owner in range(owners):
        owned[owner] = random_rows(rng, 1 + owner % 4)
        side.add(owner, owned[owner])
    return side, owned


def test_every_block_read_gives_brute_force(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ix, "PROBES", 10_000)
    rng = np.random.default_rng(1)
    side, owned = filled(rng, 400)  # 1,000 rows: clustered
    assert side.clusters > 1
    alive = np.ones(400, dtype=np.bool_)
    queries = random_rows(rng, 3)
    assert side.best(queries, 400, alive) == pytest.approx(
        brute_force(owned, queries, 400), abs=1e-5
    )


def test_few_rows_are_one_exact_block() -> None:
    rng = np.random.default_rng(2)
    side, owned = filled(rng, 50)
    assert side.clusters == 0
    queries = random_rows(rng, 2)
    best = side.best(queries, 60, np.ones(60, dtype=np.bool_))
    assert best[:50] == pytest.approx(brute_force(owned, queries, 50)[:50], abs=1e-5)
    assert (best[50:] == -1).all()  # positions without rows


def test_nearby_rows_are_found_when_reading_a_few_blocks() -> None:
    rng = np.random.default_rng(3)
    side, owned = filled(rng, 400)
    alive = np.ones(400, dtype=np.bool_)
    for owner in (5, 123, 388):
        query = owned[owner][:1] + 0.05 * random_rows(rng, 1)
        query /= np.linalg.norm(query)
        assert int(np.argmax(side.best(query, 400, alive))) == owner


def test_appends_do_not_recluster_until_doubled() -> None:
    rng = np.random.default_rng(4)
    side, _ = filled(rng, 150)  # 375 rows: trained once, at 300
    centroids, trained = side._centroids, side.trained_at
    owner = 150
    while side.rows + 1 <= ix.GROWTH * trained:
        side.add(owner, random_rows(rng, 1))
        owner += 1
    assert side._centroids is centroids and side.trained_at == trained
    side.add(owner, random_rows(rng, 1))
    assert side._centroids is not centroids  # re-clustered once past double
    assert side.trained_at == side.rows


def test_removed_owners_are_masked_then_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ix, "PROBES", 10_000)
    rng = np.random.default_rng(5)
    side, owned = filled(rng, 400)
    alive = np.ones(400, dtype=np.bool_)
    for owner in range(0, 400, 2):
        side.remove(owner)
        alive[owner] = False
        del owned[owner]
    queries = random_rows(rng, 2)
    best = side.best(queries, 400, alive)
    assert (best[::2] == -1).all()
    assert side.dead_rows <= side.rows  # rebuilt when the dead outnumbered the living
    assert side.best(queries, 400, alive)[1::2] == pytest.approx(
        brute_force(owned, queries, 400)[1::2], abs=1e-5
    )
    side.remove(10_000)  # unknown: nothing happens
