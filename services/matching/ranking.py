"""Partner ranking: who could work with whom, both ways, and why.

A candidate's score (0 to 100) is the sum of the points of its reasons
(``services/matching/reasons.py``): the best need → offer and offer → need sentence
pairs by the cosine of their vectors (any language), the sector, countries of interest,
cooperation types, technologies, languages and size. A candidate must complement the
seeker at least one way (some sentence points): sharing a sector or a language does not
make a partner. A seeker with neither needs nor offers therefore gets no candidates (the
service refuses such a query before it gets here; ``search`` answers ``[]``).

Search (docs/matching.md, "Speed"): the features and the filters are array operations
over every organisation at once (``ValueHolders``). Each side's sentence rows live in
``services/matching/index.py``; above ``GRAPH_FROM`` rows a HNSW graph gives the owners
of each seeker row's ``k`` nearest rows on each side: those **candidates** are scored
exactly from their own rows, both sides. An organisation that is not a candidate has,
on each side, a cosine no higher than the ``k``-th one returned, so its total is at most
those sentence points plus its own feature points: the organisations whose bound beats
the ``top``-th exact score are scored exactly too, ``DOUBT_CHUNK`` at a time, the richest
in features first (they raise the ``top``-th score soonest, which shrinks the doubt),
until none is left in doubt; past ``RESCORED_AT_MOST`` of them ``k`` grows (``GROWTH``),
which may lower the bound, and at ``K_AT_MOST`` everyone left in doubt is scored. The
answer is therefore exact up to the graph's own recall (a row among the true ``k``
nearest that the graph misses); below ``GRAPH_FROM`` rows it is exact.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from services.matching.embedding import SentenceModel, Vectors
from services.matching.index import Positions, SentenceRows, ValueHolders
from services.matching.profiles import PartnerProfile, ProfileVectors, embed_profiles
from services.matching.reasons import (
    SECTOR_LEVELS,
    NaceCode,
    Reason,
    ReasonKind,
    both_ways_reason,
    feature_points_all,
    feature_reasons,
    profile_keys,
    rescale,
    sentence_points,
    sentence_reason,
)
from shared.contracts.membership import sector_prefixes

__all__ = [
    "NaceCode",
    "PartnerIndex",
    "PartnerMatch",
    "Reason",
    "ReasonKind",
    "SearchFilters",
    "explain",
    "rank_all",
    "rescale",
]
FIRST_K = 32  # nearest rows asked per seeker row at first
GROWTH = 4  # k grows by this when the bound leaves too many organisations in doubt
K_AT_MOST = 2048  # beyond this, score every admitted organisation (exact, slow, rare)
RESCORED_AT_MOST = 16_384  # organisations in doubt scored exactly before k grows
DOUBT_CHUNK = 1024  # organisations in doubt scored at a time, the best features first


class SearchFilters(BaseModel):
    """What a searcher narrows the results to; every filter must hold."""

    model_config = ConfigDict(frozen=True)

    countries: list[str] = []
    exclude_country: str | None = None
    sector: str | None = None  # a NACE division, group or class
    cooperation_type: str | None = None
    network: str | None = None

    def admit(self, profile: PartnerProfile) -> bool:
        if self.countries and profile.country not in self.countries:
            return False
        if self.exclude_country and profile.country == self.exclude_country:
            return False
        if self.sector and self.sector not in sector_prefixes(profile.nace_codes):
            return False
        if self.cooperation_type and self.cooperation_type not in profile.cooperation_types:
            return False
        return not (self.network and profile.network != self.network)

    def mask(self, holders: ValueHolders, size: int) -> NDArray[np.bool_]:
        """``admit`` for every position at once, from the index's value holders."""
        admitted = np.ones(size, dtype=np.bool_)
        if self.countries:
            admitted &= holders.any({("country", c) for c in self.countries}, size)
        if self.exclude_country:
            admitted &= ~holders.any({("country", self.exclude_country)}, size)
        if self.sector:
            levels = {(level, self.sector) for _, _, level in SECTOR_LEVELS}
            admitted &= holders.any(levels, size)
        if self.cooperation_type:
            admitted &= holders.any({("cooperation", self.cooperation_type.lower())}, size)
        if self.network:
            admitted &= holders.any({("network", self.network)}, size)
        return admitted


class PartnerMatch(BaseModel):
    id: str
    network: str
    score: float  # the sum of the reasons' points
    reasons: list[Reason]


@dataclass(frozen=True)
class _Found:
    """Candidate positions and what any other organisation's sentence points are at most."""

    positions: Positions
    bound: float


@dataclass(frozen=True)
class _Stored:
    """A profile's rows as the index keeps them: float16 halves their memory; the
    cosines computed from them differ from float32 by less than 0.001."""

    offers: NDArray[np.float16]
    needs: NDArray[np.float16]

    @classmethod
    def of(cls, vectors: ProfileVectors) -> _Stored:
        return cls(np.asarray(vectors.offers, np.float16), np.asarray(vectors.needs, np.float16))

    def vectors(self) -> ProfileVectors:
        return ProfileVectors(self.offers.astype(np.float32), self.needs.astype(np.float32))


class PartnerIndex:
    """Every profile a node can rank, with its vectors; changes are appended, not rebuilt.

    Each profile holds an integer position in the side indexes; a change gives it a new
    position and marks the old one dead, and positions are renumbered (everything
    re-added) once the dead outnumber the living. A lock serialises changes and searches:
    the service upserts from a worker thread, and a faiss graph must not be searched
    while a row is being added to it.
    """

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self._lock = threading.RLock()
        self._profiles: dict[str, PartnerProfile] = {}
        self._stored: dict[str, _Stored] = {}
        self._reset_positions()

    def _reset_positions(self) -> None:
        self._position: dict[str, int] = {}
        self._ids: list[str | None] = []
        self._alive = np.zeros(1024, dtype=np.bool_)
        self._offers = SentenceRows(self.dimensions)
        self._needs = SentenceRows(self.dimensions)
        self._holders = ValueHolders()

    def upsert(self, profile: PartnerProfile, vectors: ProfileVectors) -> None:
        """Add or replace a profile: searchable at once, its old rows masked."""
        if (len(vectors.offers), len(vectors.needs)) != (len(profile.offers), len(profile.needs)):
            raise ValueError(f"{profile.id}: the vectors are not those of its sentences")
        stored = _Stored.of(vectors)
        with self._lock:
            self._forget(profile.id)
            self._profiles[profile.id] = profile
            self._stored[profile.id] = stored
            self._place(profile.id, stored)
            if len(self._ids) > 2 * len(self._profiles) + 1024:
                self._renumber()

    def remove(self, id: str) -> None:
        with self._lock:
            self._forget(id)
            self._profiles.pop(id, None)
            self._stored.pop(id, None)

    def _forget(self, id: str) -> None:
        position = self._position.pop(id, None)
        if position is None:
            return
        self._alive[position] = False
        self._ids[position] = None
        self._offers.remove(position)
        self._needs.remove(position)

    def _place(self, id: str, stored: _Stored) -> None:
        position = len(self._ids)
        self._ids.append(id)
        self._position[id] = position
        if position >= len(self._alive):
            self._alive = np.concatenate([self._alive, np.zeros_like(self._alive)])
        self._alive[position] = True
        self._holders.add(position, profile_keys(self._profiles[id]))
        self._offers.add(position, stored.offers.astype(np.float32))
        self._needs.add(position, stored.needs.astype(np.float32))

    def _renumber(self) -> None:
        self._reset_positions()
        for id, stored in self._stored.items():
            self._place(id, stored)

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, id: object) -> bool:
        return id in self._profiles

    def profile(self, id: str) -> PartnerProfile | None:
        return self._profiles.get(id)

    def vectors(self, id: str) -> ProfileVectors | None:
        stored = self._stored.get(id)
        return stored.vectors() if stored is not None else None

    def memory_bytes(self) -> int:
        """The searched side indexes, the value holders and every profile's own float16 rows."""
        own = sum(s.offers.nbytes + s.needs.nbytes for s in self._stored.values())
        sides = self._offers.memory_bytes() + self._needs.memory_bytes()
        return sides + self._holders.memory_bytes() + own + self._alive.nbytes

    def search(
        self,
        seeker: PartnerProfile,
        vectors: ProfileVectors,
        filters: SearchFilters | None = None,
        top: int = 10,
        visible: Callable[[PartnerProfile], bool] | None = None,
    ) -> list[PartnerMatch]:
        """The ``top`` best candidates, best first, the seeker itself left out."""
        filters = filters or SearchFilters()
        if top <= 0 or not (len(vectors.needs) or len(vectors.offers)):
            return []
        with self._lock:
            best = self._best(seeker, vectors, filters, top, visible)
            return [self._match(seeker, vectors, id) for _, _, id in best]

    def _best(
        self,
        seeker: PartnerProfile,
        vectors: ProfileVectors,
        filters: SearchFilters,
        top: int,
        visible: Callable[[PartnerProfile], bool] | None,
    ) -> list[tuple[float, int, str]]:
        """(exact score, -position, id) of the ``top`` best, best first: candidates from
        the graphs, then whoever the bound leaves in doubt (the module docstring)."""
        count = len(self._ids)
        features = feature_points_all(seeker, self._holders, count)
        admitted = filters.mask(self._holders, count) & self._alive[:count]
        if seeker.id in self._position:
            admitted[self._position[seeker.id]] = False
        scored = np.zeros(count, dtype=np.bool_)
        totals = np.full(count, -1.0, dtype=np.float32)
        k, rescored = FIRST_K, 0
        sentences = self._candidates(vectors, k, admitted)
        self._score(vectors, sentences.positions, features, scored, totals)
        while True:
            best = self._chosen(totals, top, visible)
            if sentences.bound <= 0:  # no organisation left out has sentence points
                return best
            floor = best[-1][0] if len(best) == top else 0.0
            doubt = np.flatnonzero(admitted & ~scored & (features + sentences.bound > floor))
            if not len(doubt):
                return best
            if rescored >= RESCORED_AT_MOST and k < K_AT_MOST:  # a looser bound than hoped
                k, rescored = k * GROWTH, 0
                sentences = self._candidates(vectors, k, admitted & ~scored)
                self._score(vectors, sentences.positions, features, scored, totals)
                continue
            if k >= K_AT_MOST:  # the bound does not tighten: score everyone left in doubt
                self._score(vectors, doubt, features, scored, totals)
                continue
            if len(doubt) > DOUBT_CHUNK:  # the richest in features first: they raise the
                doubt = doubt[np.argpartition(-features[doubt], DOUBT_CHUNK)[:DOUBT_CHUNK]]
            self._score(vectors, doubt, features, scored, totals)  # floor soonest
            rescored += len(doubt)

    def _candidates(self, vectors: ProfileVectors, k: int, wanted: NDArray[np.bool_]) -> _Found:
        """The admitted owners of each seeker row's ``k`` nearest rows on both sides, and the
        sentence points an organisation not among them can reach at most."""
        need_offer = self._offers.nearest(vectors.needs, k)
        offer_need = self._needs.nearest(vectors.offers, k)
        positions = np.union1d(need_offer.owners, offer_need.owners)
        bound = sentence_points(np.array(need_offer.bound), np.array(offer_need.bound))
        return _Found(positions[wanted[positions]], float(bound))

    def _score(
        self,
        vectors: ProfileVectors,
        positions: Positions,
        features: Vectors,
        scored: NDArray[np.bool_],
        totals: Vectors,
    ) -> None:
        """Exact totals of these positions from their own rows; no sentence points: -1."""
        if not len(positions):
            return
        points = sentence_points(
            self._offers.rescore(vectors.needs, positions),
            self._needs.rescore(vectors.offers, positions),
        )
        totals[positions] = np.where(points > 0, points + features[positions], -1.0)
        scored[positions] = True

    def _chosen(
        self, totals: Vectors, top: int, visible: Callable[[PartnerProfile], bool] | None
    ) -> list[tuple[float, int, str]]:
        """The ``top`` best positive totals the searcher may see, best first (ties: the
        older position first)."""
        positive = np.flatnonzero(totals > 0)
        order = positive[np.lexsort((positive, -totals[positive]))]
        chosen: list[tuple[float, int, str]] = []
        for position in order:
            id = self._ids[int(position)]
            if id is None or (visible is not None and not visible(self._profiles[id])):
                continue
            chosen.append((float(totals[position]), -int(position), id))
            if len(chosen) == top:
                break
        return chosen

    def _match(self, seeker: PartnerProfile, vectors: ProfileVectors, id: str) -> PartnerMatch:
        candidate = self._profiles[id]
        reasons = explain(seeker, vectors, candidate, self._stored[id].vectors())
        score = round(sum(reason.points for reason in reasons), 1)
        return PartnerMatch(id=id, network=candidate.network, score=score, reasons=reasons)


def explain(
    seeker: PartnerProfile,
    seeker_vectors: ProfileVectors,
    candidate: PartnerProfile,
    candidate_vectors: ProfileVectors,
) -> list[Reason]:
    """Every reason with its points, the strongest first: the score is their sum."""
    sentences = [
        sentence_reason(
            "need_offer",
            seeker.needs,
            seeker_vectors.needs,
            candidate.offers,
            candidate_vectors.offers,
        ),
        sentence_reason(
            "offer_need",
            seeker.offers,
            seeker_vectors.offers,
            candidate.needs,
            candidate_vectors.needs,
        ),
    ]
    sentences.append(both_ways_reason(*sentences))
    reasons = [reason for reason in sentences if reason is not None]
    reasons.extend(feature_reasons(seeker, candidate))
    return sorted(reasons, key=lambda reason: -reason.points)


def rank_all(
    profiles: Sequence[PartnerProfile],
    model: SentenceModel,
    seekers: Sequence[str] | None = None,
    top: int = 10,
    other_countries: bool = False,
) -> dict[str, list[str]]:
    """The batch command: for each seeker, its best partners' ids, best first."""
    index = PartnerIndex(model.dimensions)
    embedded = dict(zip([p.id for p in profiles], embed_profiles(model, profiles), strict=True))
    for profile in profiles:
        index.upsert(profile, embedded[profile.id])
    by_id = {profile.id: profile for profile in profiles}
    ranked = {}
    for id in seekers if seekers is not None else list(by_id):
        seeker = by_id[id]
        filters = SearchFilters(exclude_country=seeker.country if other_countries else None)
        ranked[id] = [match.id for match in index.search(seeker, embedded[id], filters, top)]
    return ranked
