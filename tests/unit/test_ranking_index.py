"""Partner search above the exact size: the HNSW side index (appends into the graph,
removals masked, compaction), exact rescoring of candidates, and a search whose top 10
has brute force's scores (tie-aware), also when the bound makes ``k`` grow."""

from __future__ import annotations

import numpy as np
import pytest

from services.matching import index as ix
from services.matching import ranking
from services.matching.index import Nearest, SentenceRows
from services.matching.profiles import PartnerProfile, ProfileVectors
from services.matching.ranking import PartnerIndex, SearchFilters
from services.matching.reasons import feature_points, sentence_points

D = 16
COUNTRIES = ("RO", "FR", "ES", "DE")


@pytest.fixture(autouse=True)
def small_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ix, "GRAPH_FROM", 300)


def unit_rows(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def random_rows(rng: np.random.Generator, count: int) -> np.ndarray:
    return unit_rows(rng.standard_normal((count, D)))


def near(rng: np.random.Generator, centres: np.ndarray, count: int) -> np.ndarray:
    """Rows around a few centres: cosines of 0.8 to 0.95 between neighbours, as e5 gives."""
    chosen = centres[rng.integers(0, len(centres), count)]
    return unit_rows(chosen + 0.3 * rng.standard_normal((count, D)) / np.sqrt(D))


def brute_force(owned: dict[int, np.ndarray], queries: np.ndarray, owners: int) -> np.ndarray:
    best = np.full(owners, -1.0, dtype=np.float32)
    for owner, rows in owned.items():
        stored = rows.astype(np.float16).astype(np.float32)
        best[owner] = (queries @ stored.T).max()
    return best


def filled(rng: np.random.Generator, owners: int) -> tuple[SentenceRows, dict[int, np.ndarray]]:
    side, owned = SentenceRows(D), {}
    for owner in range(owners):
        owned[owner] = random_rows(rng, 1 + owner % 4)
        side.add(owner, owned[owner])
    return side, owned


def test_few_rows_have_no_graph_and_every_owner_is_a_candidate() -> None:
    rng = np.random.default_rng(2)
    side, _ = filled(rng, 50)
    assert not side.graphed
    found = side.nearest(random_rows(rng, 2), 1)
    assert found == Nearest(found.owners, -1.0) and found.owners.tolist() == list(range(50))


def test_rescore_is_brute_force_over_the_stored_rows() -> None:
    rng = np.random.default_rng(1)
    side, owned = filled(rng, 400)  # 1,000 rows: a graph
    assert side.graphed
    queries = random_rows(rng, 3)
    owners = np.arange(410, dtype=np.int64)  # ten positions without rows
    best = side.rescore(queries, owners)
    assert best[:400] == pytest.approx(brute_force(owned, queries, 400), abs=1e-6)
    assert (best[400:] == -1).all()


def test_nearest_finds_the_nearest_owners_and_bounds_the_others() -> None:
    rng = np.random.default_rng(3)
    side, owned = filled(rng, 400)
    queries = random_rows(rng, 2)
    found = side.nearest(queries, 20)
    truth = brute_force(owned, queries, 400)
    assert set(np.argsort(-truth)[:10]) <= set(found.owners.tolist())
    outside = np.setdiff1d(np.arange(400), found.owners)
    assert truth[outside].max() <= found.bound + 1e-6


def test_appends_go_into_the_graph_and_removals_are_masked_then_compacted() -> None:
    rng = np.random.default_rng(5)
    side, owned = filled(rng, 400)
    graph = side._graph
    side.add(400, random_rows(rng, 2))
    assert side._graph is graph and graph is not None and graph.ntotal == side.rows
    for owner in range(0, 200):
        side.remove(owner)
    assert side._graph is graph  # masked: fewer dead rows than live ones
    query = owned[10][:1]
    assert 10 not in side.nearest(query, 50).owners
    assert side.rescore(query, np.array([10]))[0] == -1
    for owner in range(200, 330):
        side.remove(owner)
    assert side._graph is not graph and side.dead_rows <= side.rows  # compacted
    assert set(side.owners().tolist()) == set(range(330, 401))
    side.remove(10_000)  # unknown: nothing happens


def organisations(
    rng: np.random.Generator, count: int
) -> tuple[list[PartnerProfile], list[ProfileVectors]]:
    centres = random_rows(rng, 6)  # the subjects both needs and offers speak of
    profiles, vectors = [], []
    for number in range(count):
        offers, needs = 1 + number % 3, 1 + number % 2
        profiles.append(
            PartnerProfile.model_validate(
                {
                    "id": f"o{number}",
                    "country": COUNTRIES[number % 4],
                    "nace_codes": [("62.10", "26.11", "26.12")[number % 3]],
                    "languages": [("en", "fr")[number % 2]],
                    "offers": [f"offer {i}" for i in range(offers)],
                    "needs": [f"need {i}" for i in range(needs)],
                }
            )
        )
        vectors.append(ProfileVectors(near(rng, centres, offers), near(rng, centres, needs)))
    return profiles, vectors


def exact_scores(index: PartnerIndex, seeker: PartnerProfile, rows: ProfileVectors) -> dict:
    """Every organisation's exact score over the index's stored vectors (0: not a result)."""
    scores = {}
    for id in list(index._profiles):
        candidate, theirs = index.profile(id), index.vectors(id)
        assert candidate is not None and theirs is not None
        points = float(
            sentence_points(
                np.array((rows.needs @ theirs.offers.T).max()),
                np.array((rows.offers @ theirs.needs.T).max()),
            )
        )
        scores[id] = points + feature_points(seeker, candidate) if points > 0 else 0.0
    return scores


def same_top(found: list[str], scores: dict, seeker: str, admit: set[str]) -> bool:
    """Tie-aware: the found ids' exact scores are brute force's best ones, one by one."""
    truth = sorted((s for id, s in scores.items() if id != seeker and id in admit and s > 0))
    truth = truth[::-1][: len(found) if len(found) == 10 else None]
    mine = sorted((scores[id] for id in found), reverse=True)
    return len(mine) == len(truth) and all(
        abs(a - b) < 1e-4 for a, b in zip(mine, truth, strict=True)
    )


def test_search_has_brute_forces_top_ten_on_random_data() -> None:
    rng = np.random.default_rng(7)
    profiles, vectors = organisations(rng, 500)  # 1,000 offer rows: both sides graphed
    index = PartnerIndex(D)
    for profile, rows in zip(profiles, vectors, strict=True):
        index.upsert(profile, rows)
    assert index._offers.graphed
    for number in range(0, 500, 25):
        seeker, rows = profiles[number], vectors[number]
        filters = SearchFilters(exclude_country=seeker.country if number % 2 else None)
        found = [match.id for match in index.search(seeker, rows, filters)]
        admit = {p.id for p in profiles if filters.admit(p)}
        assert len(found) == 10 and seeker.id not in found
        assert same_top(found, exact_scores(index, seeker, rows), seeker.id, admit)


def test_a_changed_profile_is_found_where_it_now_is() -> None:
    rng = np.random.default_rng(8)
    profiles, vectors = organisations(rng, 400)
    index = PartnerIndex(D)
    for profile, rows in zip(profiles, vectors, strict=True):
        index.upsert(profile, rows)
    seeker, rows = profiles[0], vectors[0]
    twin = ProfileVectors(rows.needs[:1].copy(), rows.offers[:1].copy())
    index.upsert(seeker.model_copy(update={"id": profiles[1].id}), twin)  # a perfect match
    found = {match.id: match.score for match in index.search(seeker, rows)}
    assert found[profiles[1].id] == max(found.values())
    index.remove(profiles[1].id)
    assert profiles[1].id not in [match.id for match in index.search(seeker, rows)]


def test_the_bound_makes_k_grow_until_the_answer_is_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hundreds of one-way decoys sit nearer the seeker's rows than the partner's rows do,
    on both sides; the partner meets the seeker both ways, so it wins (57 points against
    25), yet it is not among the first ``k`` of either side."""
    monkeypatch.setattr(ranking, "FIRST_K", 2)
    monkeypatch.setattr(ranking, "RESCORED_AT_MOST", 0)
    rng = np.random.default_rng(9)
    axis = np.eye(D, dtype=np.float32)
    need, offer = axis[0], axis[1]

    def tilted(direction: np.ndarray, cosine: float) -> np.ndarray:
        other = random_rows(rng, 1)[0]
        other -= (other @ direction) * direction
        return unit_rows(cosine * direction + np.sqrt(1 - cosine**2) * unit_rows(other[None]))[0]

    index = PartnerIndex(D)
    for number in range(400):  # one way only: at 0.95 to the seeker's need, or to its offer
        decoy = PartnerProfile(id=f"d{number}", country="FR", offers=["o"], needs=["n"])
        near_side, other = tilted(need if number % 2 else offer, 0.95), random_rows(rng, 1)[0]
        pair = (near_side, other) if number % 2 else (other, near_side)
        index.upsert(decoy, ProfileVectors(pair[0][None], pair[1][None]))
    partner = PartnerProfile(id="partner", country="FR", offers=["o"], needs=["n"])
    index.upsert(
        partner,
        ProfileVectors(tilted(need, 0.9)[None], tilted(offer, 0.9)[None]),
    )
    seeker = PartnerProfile(id="seeker", country="RO", offers=["o"], needs=["n"])
    seeker_rows = ProfileVectors(offer[None], need[None])
    asked: list[int] = []
    nearest = SentenceRows.nearest

    def spy(self: SentenceRows, queries: np.ndarray, k: int) -> Nearest:
        asked.append(k)
        return nearest(self, queries, k)

    monkeypatch.setattr(SentenceRows, "nearest", spy)
    found = index.search(seeker, seeker_rows, top=1)
    assert [match.id for match in found] == ["partner"]
    assert max(asked) > 2  # the first k's bound left the answer in doubt
