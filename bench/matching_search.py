"""Speed of partner search at 100,000 organisations, against exact brute force, same run.

Prints one JSON line. Organisations are generated (seeded): country, NACE codes,
countries of interest, cooperation types, technologies, languages, size, and 1 to 4 offer
and 1 to 3 need sentences. The sentences come from a table of a few hundred needs and
offers (``SUBJECTS`` by ``NEEDS``/``OFFERS`` templates), each distinct text embedded
**once** by the bundled model (480 texts; embedding slice D's ~25,000 distinct
``generate_large`` sentences takes about an hour at this machine's 6 to 10 passages/s);
so that rows are distinct and spread like real ones (a real index holds distinct
sentences), each row is then mixed with another sentence's vector of the same side
(``0.8·a + 0.6·b``) plus a small per-organisation noise (``NOISE``), and normalised:
the vectors are synthesised from real phrase vectors. The service embeds every sentence
(measured separately: ``embedding_profiles_per_s``, on a sample of profiles with the
real model, no cache).

- ``service``: ``PartnerIndex.search`` (top 10), for ``--queries`` seekers drawn from the
  index, half of them with ``exclude_country`` (cross-border, the usual query);
- ``exact``: a vectorised full scoring of every organisation over the same (stored
  float16) vectors with the same score: one float32 matrix product per side over all
  rows, each organisation's best cosine (``maximum.reduceat``), the features and filters
  of every organisation as array operations (the same ``ValueHolders``), the ten best by
  ``argpartition``: no Python loop over organisations;
- ``same_top10``: the share of queries whose top 10 is brute force's, **tie-aware**: the
  generated organisations draw from a small pool, so many have equal scores, and a query
  counts as the same when the returned ten's exact scores, sorted, equal brute force's ten
  best scores within 1e-4 (every one returned is among the best, none missing above);
- ``catch_up``: ``--changes`` upserts (changed profiles) interleaved with a search every
  100, as a node catching up: upserts/s and the searches' p95 meanwhile.

Usage:
    nice python bench/matching_search.py [--organisations 100000] [--queries 200]
        [--changes 50000] [--seed 3] [--cache table.npz] [--embedding-sample 60]

``--cache FILE`` keeps the embedded sentence table (an .npz) between runs: written the
first time, read after (delete it when the model or the table changes).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from services.matching.embedding import Vectors, load_model
from services.matching.index import ValueHolders
from services.matching.profiles import PartnerProfile, ProfileVectors, embed_profiles
from services.matching.ranking import PartnerIndex, SearchFilters
from services.matching.reasons import feature_points_all, profile_keys, sentence_points

NOISE = 0.05  # per-organisation noise on each row (norm ~0.05 against 1): distinct rows
TIED = 1e-4  # two scores this close are a tie

COUNTRIES = [
    "RO",
    "FR",
    "ES",
    "DE",
    "IT",
    "PL",
    "CZ",
    "SK",
    "HU",
    "BG",
    "LV",
    "LT",
    "PT",
    "NL",
    "BE",
    "AT",
]
NACE = [
    "26.11",
    "26.12",
    "62.10",
    "62.20",
    "28.99",
    "10.85",
    "11.02",
    "16.29",
    "52.10",
    "55.10",
    "30.30",
    "71.12",
    "72.11",
]
COOPERATION = [
    "technical_cooperation",
    "subcontracting",
    "licensing",
    "joint_venture",
    "outsourcing",
]
TECHNOLOGIES = ["robotics", "iot", "machine vision", "blockchain", "3d printing", "lidar", "erp"]
SIZES = ("micro", "small", "medium", "large")
SUBJECTS = [
    "printed circuit board assembly",
    "industrial robot integration",
    "cold chain logistics",
    "organic fertiliser",
    "cork stoppers for wine",
    "hotel booking software",
    "crop monitoring drones",
    "ISO 13485 quality audits",
    "injection moulding of plastics",
    "laser cutting of sheet metal",
    "cybersecurity audits",
    "ERP implementation",
    "food packaging design",
    "solar panel installation",
    "battery recycling",
    "textile dyeing",
    "furniture upholstery",
    "clinical trial management",
    "machine vision inspection",
    "wastewater treatment",
    "3D printing of prototypes",
    "export distribution in Asia",
    "technical translation",
    "cloud hosting",
    "LIDAR mapping",
    "precision agriculture sensors",
    "electric vehicle charging",
    "biodegradable plastics",
    "wine bottling lines",
    "medical device certification",
    "hydrogen fuel cells",
    "smart building automation",
    "timber construction",
    "e-learning platforms",
    "aerospace composites",
    "seafood processing",
    "pharmaceutical packaging",
    "railway signalling",
    "water-jet cutting",
    "UX design",
]
NEEDS = [
    "We need a partner for {}.",
    "We are looking for {}.",
    "Seeking suppliers of {}.",
    "We want to outsource {}.",
    "Looking for expertise in {}.",
    "We need help with {}.",
]
OFFERS = [
    "We offer {}.",
    "We provide {} for SMEs.",
    "Specialists in {}.",
    "Our company delivers {}.",
    "Services: {}.",
    "We manufacture and supply {}.",
]


def sentence_table() -> tuple[list[str], list[str]]:
    """Every distinct need and offer sentence the generated profiles draw from."""
    needs = [template.format(subject) for subject in SUBJECTS for template in NEEDS]
    offers = [template.format(subject) for subject in SUBJECTS for template in OFFERS]
    return needs, offers


def profiles_of(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Generated organisations: sentence numbers instead of texts (mixed into rows later)."""
    return [
        {
            "id": f"org-{number}",
            "network": rng.choice(COUNTRIES).lower(),
            "country": rng.choice(COUNTRIES),
            "nace_codes": rng.sample(NACE, rng.randint(1, 2)),
            "countries_of_interest": rng.sample(COUNTRIES, rng.randint(0, 3)),
            "cooperation_types": rng.sample(COOPERATION, rng.randint(0, 2)),
            "technologies": rng.sample(TECHNOLOGIES, rng.randint(0, 2)),
            "languages": rng.sample(["en", "fr", "es", "de", "ro"], rng.randint(1, 2)),
            "size": rng.choice(SIZES),
            "offer_rows": [rng.randrange(10**9) for _ in range(rng.randint(1, 4))],
            "need_rows": [rng.randrange(10**9) for _ in range(rng.randint(1, 3))],
        }
        for number in range(count)
    ]


def mixed(table: Vectors, seeds: list[int], noise: np.random.Generator) -> Vectors:
    """One distinct row per seed: a table sentence mixed with another, a little noise of
    its own, normalised."""
    if not seeds:
        return np.zeros((0, table.shape[1]), dtype=np.float32)
    first = np.array([seed % len(table) for seed in seeds])
    second = np.array([(seed // len(table)) % len(table) for seed in seeds])
    jitter = noise.standard_normal((len(seeds), table.shape[1])) * NOISE / np.sqrt(table.shape[1])
    rows = 0.8 * table[first] + 0.6 * table[second] + jitter
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def embedded_table(cache: Path | None) -> tuple[Vectors, Vectors]:
    """The sentence table's vectors (needs as queries, offers as passages), read from
    ``cache`` when it holds them, else embedded (and written there)."""
    if cache is not None and cache.exists():
        with np.load(cache) as saved:
            return saved["needs"], saved["offers"]
    needs, offers = sentence_table()
    model = load_model()
    need_table, offer_table = model.queries(needs), model.passages(offers)
    if cache is not None:
        np.savez(cache, needs=need_table, offers=offer_table)
    return need_table, offer_table


def build(
    count: int, seed: int, cache: Path | None = None
) -> tuple[list[PartnerProfile], list[ProfileVectors]]:
    needs, offers = sentence_table()
    need_table, offer_table = embedded_table(cache)
    profiles, vectors = [], []
    noise = np.random.default_rng(seed)
    for fields in profiles_of(count, random.Random(seed)):
        offer_rows, need_rows = fields.pop("offer_rows"), fields.pop("need_rows")
        fields["offers"] = [offers[s % len(offers)] for s in offer_rows]
        fields["needs"] = [needs[s % len(needs)] for s in need_rows]
        profiles.append(PartnerProfile.model_validate(fields))
        vectors.append(
            ProfileVectors(
                mixed(offer_table, offer_rows, noise), mixed(need_table, need_rows, noise)
            )
        )
    return profiles, vectors


class Exact:
    """Brute force over the same (float16-stored) vectors: every row, every organisation."""

    def __init__(self, index: PartnerIndex, profiles: list[PartnerProfile]) -> None:
        self.profiles = profiles
        self.position = {profile.id: number for number, profile in enumerate(profiles)}
        stored = [index.vectors(profile.id) for profile in profiles]
        self.offers = _Stack([rows.offers for rows in stored if rows is not None])
        self.needs = _Stack([rows.needs for rows in stored if rows is not None])
        self.holders = ValueHolders()
        for number, profile in enumerate(profiles):
            self.holders.add(number, profile_keys(profile))

    def totals(
        self, seeker: PartnerProfile, vectors: ProfileVectors, filters: SearchFilters
    ) -> Vectors:
        """Every organisation's exact score; -1 where it is no result (no sentence points,
        filtered out, the seeker)."""
        count = len(self.profiles)
        points = sentence_points(self.offers.best(vectors.needs), self.needs.best(vectors.offers))
        totals = points + feature_points_all(seeker, self.holders, count)
        totals[~((points > 0) & filters.mask(self.holders, count))] = -1.0
        totals[self.position[seeker.id]] = -1.0
        return totals

    def search(
        self, seeker: PartnerProfile, vectors: ProfileVectors, filters: SearchFilters
    ) -> Vectors:
        """The exact ten best scores, best first (and every score, for the comparison)."""
        totals = self.totals(seeker, vectors, filters)
        best = np.argpartition(-totals, 9)[:10]
        ten = np.sort(totals[best])[::-1]
        return ten[ten > 0]

    def same_top(self, found: list[str], truth: Vectors, totals: Vectors) -> bool:
        """Tie-aware: the found ids' exact scores, sorted, are brute force's best ones."""
        scores = np.sort([totals[self.position[id]] for id in found])[::-1]
        return len(scores) == len(truth) and bool(np.all(np.abs(scores - truth) <= TIED))


class _Stack:
    """One side's rows of every organisation in one float32 matrix, grouped by owner."""

    def __init__(self, blocks: list[Vectors]) -> None:
        counts = np.array([len(block) for block in blocks])
        self.rows = np.vstack(blocks).astype(np.float32)
        self.starts = np.concatenate(([0], np.cumsum(counts)[:-1]))

    def best(self, queries: Vectors) -> Vectors:
        column = (queries @ self.rows.T).max(axis=0)
        return np.maximum.reduceat(column, self.starts)

    @property
    def nbytes(self) -> int:
        return int(self.rows.nbytes)


def percentile(values: list[float], share: float) -> float:
    return round(float(np.percentile(values, share)) * 1000, 2)


def embedding_rate(sample: int, seed: int) -> float:
    """Profiles/s of embed_profiles with the real model on generated texts (no cache)."""
    rng = random.Random(seed + 1)
    needs, offers = sentence_table()
    texts = [
        PartnerProfile(
            id=str(n),
            legal_name=f"Company {n}",
            offers=[f"{rng.choice(offers)[:-1]} in region {n}." for _ in range(rng.randint(1, 4))],
            needs=[f"{rng.choice(needs)[:-1]} near site {n}." for _ in range(rng.randint(1, 3))],
        )
        for n in range(sample)
    ]
    started = time.perf_counter()
    embed_profiles(load_model(), texts)
    return round(sample / (time.perf_counter() - started), 1)


def main(
    count: int,
    queries: int,
    changes: int,
    seed: int,
    cache: Path | None = None,
    embedding_sample: int = 60,
) -> dict[str, Any]:
    started = time.perf_counter()
    profiles, vectors = build(count, seed, cache)
    built = time.perf_counter()
    index = PartnerIndex(384)
    for profile, rows in zip(profiles, vectors, strict=True):
        index.upsert(profile, rows)
    indexed = time.perf_counter()
    exact = Exact(index, profiles)
    rng = random.Random(seed)
    chosen = rng.sample(range(count), queries)
    service_times, exact_times, same = [], [], 0
    for number, position in enumerate(chosen):
        seeker, rows = profiles[position], vectors[position]
        filters = SearchFilters(exclude_country=seeker.country if number % 2 else None)
        t0 = time.perf_counter()
        found = [match.id for match in index.search(seeker, rows, filters, top=10)]
        t1 = time.perf_counter()
        truth = exact.search(seeker, rows, filters)
        t2 = time.perf_counter()
        service_times.append(t1 - t0)
        exact_times.append(t2 - t1)
        same += exact.same_top(found, truth, exact.totals(seeker, rows, filters))
    catch_up = catch_up_figures(index, profiles, vectors, changes, rng)
    return {
        "bench": "matching_search",
        "organisations": count,
        "offer_rows": len(exact.offers.rows),
        "need_rows": len(exact.needs.rows),
        "queries": queries,
        "service_p50_ms": percentile(service_times, 50),
        "service_p95_ms": percentile(service_times, 95),
        "exact_p50_ms": percentile(exact_times, 50),
        "exact_p95_ms": percentile(exact_times, 95),
        "p95_ratio": round(np.percentile(service_times, 95) / np.percentile(exact_times, 95), 3),
        "same_top10": round(same / queries, 4),
        "index_bytes": index.memory_bytes(),
        "exact_bytes": exact.offers.nbytes + exact.needs.nbytes,
        "index_build_s": round(indexed - built, 1),
        "generate_s": round(built - started, 1),
        **catch_up,
        "embedding_sample": embedding_sample,
        "embedding_profiles_per_s": embedding_rate(embedding_sample, seed),
    }


def catch_up_figures(
    index: PartnerIndex,
    profiles: list[PartnerProfile],
    vectors: list[ProfileVectors],
    changes: int,
    rng: random.Random,
) -> dict[str, Any]:
    """Upserts of profiles again (each replaces its rows) with a search every 100 of them."""
    upserting, searching = 0.0, []
    for number in range(changes):
        position = rng.randrange(len(profiles))
        t0 = time.perf_counter()
        index.upsert(profiles[position], vectors[position])
        upserting += time.perf_counter() - t0
        if number % 100 == 0:
            t1 = time.perf_counter()
            index.search(profiles[position], vectors[position], top=10)
            searching.append(time.perf_counter() - t1)
    return {
        "catch_up_changes": changes,
        "catch_up_upserts_per_s": round(changes / upserting, 1) if upserting else None,
        "catch_up_search_p95_ms": percentile(searching, 95) if searching else None,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--changes", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--cache", type=Path, help="an .npz file for the embedded sentences")
    parser.add_argument("--embedding-sample", type=int, default=60, help="profiles embedded")
    args = parser.parse_args()
    options = (args.seed, args.cache, args.embedding_sample)
    print(json.dumps(main(args.organisations, args.queries, args.changes, *options)))
