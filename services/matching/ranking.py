"""Partner ranking: who could work with whom, both ways, and why.

A candidate's score (0 to 100) is the sum of the points of its reasons
(``services/matching/reasons.py``): the best need → offer and offer → need sentence
pairs by the cosine of their vectors (any language), the sector, countries of interest,
cooperation types, technologies, languages and size. A candidate must complement the
seeker at least one way (some sentence points): sharing a sector or a language does not
make a partner. A seeker with neither needs nor offers therefore gets no candidates (the
service refuses such a query before it gets here; ``search`` answers ``[]``).

Search (docs/matching.md, "Speed"): each side's sentence rows live in a clustered index
(``services/matching/index.py``) that finds, per organisation, its best cosine among the
rows it reads; candidates are then taken in that order and scored exactly from their own
vectors, until no later one can reach the top (its sentence estimate plus every feature's
points at most is below the tenth best).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from services.matching.embedding import SentenceModel, Vectors
from services.matching.index import SentenceRows
from services.matching.profiles import PartnerProfile, ProfileVectors, embed_profiles
from services.matching.reasons import (
    FEATURES_AT_MOST,
    NaceCode,
    Reason,
    ReasonKind,
    best_pair,
    feature_points,
    feature_reasons,
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
BATCH = 64  # candidates sorted at a time: most searches stop in the first batch


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


class PartnerMatch(BaseModel):
    id: str
    network: str
    score: float  # the sum of the reasons' points
    reasons: list[Reason]


@dataclass(frozen=True)
class _Stored:
    """A profile's rows as the index keeps them: float16 halves their memory; the
    cosines computed from them differ from float32 by less than 0.001."""

    offers: NDArray[np.float16]
    needs: NDArray[np.float16]
    whole: NDArray[np.float16]

    @classmethod
    def of(cls, vectors: ProfileVectors) -> _Stored:
        return cls(
            *(
                np.asarray(v, dtype=np.float16)
                for v in (vectors.offers, vectors.needs, vectors.whole)
            )
        )

    def vectors(self) -> ProfileVectors:
        return ProfileVectors(
            self.offers.astype(np.float32),
            self.needs.astype(np.float32),
            self.whole.astype(np.float32),
        )


class PartnerIndex:
    """Every profile a node can rank, with its vectors; changes are appended, not rebuilt.

    Each profile holds an integer position in the side indexes; a change gives it a new
    position and marks the old one dead, and positions are renumbered (everything
    re-added) once the dead outnumber the living.
    """

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self._profiles: dict[str, PartnerProfile] = {}
        self._stored: dict[str, _Stored] = {}
        self._reset_positions()

    def _reset_positions(self) -> None:
        self._position: dict[str, int] = {}
        self._ids: list[str | None] = []
        self._alive = np.zeros(1024, dtype=np.bool_)
        self._offers = SentenceRows(self.dimensions, seed=1)
        self._needs = SentenceRows(self.dimensions, seed=2)

    def upsert(self, profile: PartnerProfile, vectors: ProfileVectors) -> None:
        """Add or replace a profile: searchable at once, its old rows masked."""
        self._forget(profile.id)
        stored = _Stored.of(vectors)
        self._profiles[profile.id] = profile
        self._stored[profile.id] = stored
        self._place(profile.id, stored)
        if len(self._ids) > 2 * len(self._profiles) + 1024:
            self._renumber()

    def remove(self, id: str) -> None:
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
        """The searched side indexes plus every profile's own float16 rows."""
        own = sum(s.offers.nbytes + s.needs.nbytes + s.whole.nbytes for s in self._stored.values())
        return self._offers.memory_bytes() + self._needs.memory_bytes() + own + self._alive.nbytes

    def estimates(self, vectors: ProfileVectors) -> Vectors:
        """Per position, the sentence points from the rows the side indexes read."""
        count = len(self._ids)
        need_offer = self._offers.best(vectors.needs, count, self._alive)
        offer_need = self._needs.best(vectors.offers, count, self._alive)
        return sentence_points(need_offer, offer_need)

    def exact_points(self, seeker: ProfileVectors, id: str) -> float:
        """A candidate's sentence points from its own rows (what the reasons show)."""
        stored = self._stored[id]
        offers, needs = stored.offers.astype(np.float32), stored.needs.astype(np.float32)
        need_offer = best_pair(seeker.needs, offers)[2]
        offer_need = best_pair(seeker.offers, needs)[2]
        return float(sentence_points(np.array(need_offer), np.array(offer_need)))

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
        estimates = self.estimates(vectors)
        chosen: list[tuple[float, int, str]] = []  # a min-heap of (score, -position, id)
        for position in _best_first(estimates):
            if len(chosen) == top and estimates[position] + FEATURES_AT_MOST < chosen[0][0]:
                break  # no later candidate can reach the top
            id = self._ids[position]
            candidate = self._profiles[id] if id is not None else None
            if candidate is None or id == seeker.id or not filters.admit(candidate):
                continue
            if visible is not None and not visible(candidate):
                continue
            points = self.exact_points(vectors, candidate.id)
            if points <= 0:
                continue
            entry = (points + feature_points(seeker, candidate), -int(position), candidate.id)
            if len(chosen) < top:
                heapq.heappush(chosen, entry)
            elif entry > chosen[0]:
                heapq.heapreplace(chosen, entry)
        return [self._match(seeker, vectors, id) for _, _, id in sorted(chosen, reverse=True)]

    def _match(self, seeker: PartnerProfile, vectors: ProfileVectors, id: str) -> PartnerMatch:
        candidate = self._profiles[id]
        reasons = explain(seeker, vectors, candidate, self._stored[id].vectors())
        score = round(sum(reason.points for reason in reasons), 1)
        return PartnerMatch(id=id, network=candidate.network, score=score, reasons=reasons)


def _best_first(estimates: Vectors) -> Iterator[int]:
    """Positions with some sentence points, best first, sorted a batch at a time."""
    remaining = np.flatnonzero(estimates > 0)
    while len(remaining):
        if len(remaining) > BATCH:
            split = np.argpartition(-estimates[remaining], BATCH - 1)
            batch, remaining = remaining[split[:BATCH]], remaining[split[BATCH:]]
        else:
            batch, remaining = remaining, remaining[:0]
        yield from (int(p) for p in batch[np.argsort(-estimates[batch], kind="stable")])


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
