"""Partner ranking: who could work with whom, both ways, and why.

A candidate's score (0 to 100) is the sum of the points of its reasons
(``services/matching/reasons.py``): the best need → offer and offer → need sentence
pairs by the cosine of their vectors (any language), the sector, countries of interest,
cooperation types, technologies, languages and size. A candidate must complement the
seeker at least one way (some sentence points): sharing a sector or a language does not
make a partner. A seeker with neither needs nor offers therefore gets no candidates (the
service refuses such a query before it gets here; ``search`` answers ``[]``).

Search (docs/matching.md, "Speed"): each side's sentence rows live in a clustered index
(``services/matching/index.py``) that gives, per organisation, its best cosine among the
rows it reads; the other features and the filters are array operations over every
organisation at once (``ValueHolders``), so a query's totals are a few vector
operations. The best ``top`` + ``RECHECKED`` totals are then scored exactly from their own
vectors (their reasons) and the ``top`` best returned: below ``CLUSTER_FROM`` rows every
row is read and the search is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from services.matching.embedding import SentenceModel, Vectors
from services.matching.index import SentenceRows, ValueHolders
from services.matching.profiles import PartnerProfile, ProfileVectors, embed_profiles
from services.matching.reasons import (
    SECTOR_LEVELS,
    NaceCode,
    Reason,
    ReasonKind,
    best_pair,
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
BATCH = 64  # candidates sorted at a time: most searches stop in the first batch
RECHECKED = 10  # candidates beyond the top scored exactly too: a clustered estimate can be low


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
        self._holders = ValueHolders()

    def upsert(self, profile: PartnerProfile, vectors: ProfileVectors) -> None:
        """Add or replace a profile: searchable at once, its old rows masked."""
        if (len(vectors.offers), len(vectors.needs)) != (len(profile.offers), len(profile.needs)):
            raise ValueError(f"{profile.id}: the vectors are not those of its sentences")
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
        """The searched side indexes plus every profile's own float16 rows."""
        own = sum(s.offers.nbytes + s.needs.nbytes + s.whole.nbytes for s in self._stored.values())
        return self._offers.memory_bytes() + self._needs.memory_bytes() + own + self._alive.nbytes

    def estimates(self, vectors: ProfileVectors) -> Vectors:
        """Per position, the sentence points from the rows the side indexes read."""
        count = len(self._ids)
        need_offer = self._offers.best(vectors.needs, count, self._alive)
        offer_need = self._needs.best(vectors.offers, count, self._alive)
        return sentence_points(need_offer, offer_need)

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
        count = len(self._ids)
        estimates = self.estimates(vectors)
        features = feature_points_all(seeker, self._holders, count)
        totals = estimates + features
        totals[~((estimates > 0) & filters.mask(self._holders, count))] = -1.0
        if seeker.id in self._position:
            totals[self._position[seeker.id]] = -1.0
        chosen: list[tuple[float, int, str]] = []
        for position in _best_first(totals):
            id = self._ids[position]
            if id is None or (visible is not None and not visible(self._profiles[id])):
                continue
            exact = self._sentence_points(vectors, id) + float(features[position])
            chosen.append((exact, -position, id))
            if len(chosen) == top + RECHECKED:
                break
        best = sorted(chosen, reverse=True)[:top]
        return [self._match(seeker, vectors, id) for _, _, id in best]

    def _sentence_points(self, seeker: ProfileVectors, id: str) -> float:
        """A candidate's sentence points from its own rows (what its reasons will show)."""
        stored = self._stored[id]
        need_offer = best_pair(seeker.needs, stored.offers.astype(np.float32))[2]
        offer_need = best_pair(seeker.offers, stored.needs.astype(np.float32))[2]
        return float(sentence_points(np.array(need_offer), np.array(offer_need)))

    def _match(self, seeker: PartnerProfile, vectors: ProfileVectors, id: str) -> PartnerMatch:
        candidate = self._profiles[id]
        reasons = explain(seeker, vectors, candidate, self._stored[id].vectors())
        score = round(sum(reason.points for reason in reasons), 1)
        return PartnerMatch(id=id, network=candidate.network, score=score, reasons=reasons)


def _best_first(estimates: Vectors) -> Iterator[int]:
    """Positions with a positive total, best first, sorted a batch at a time."""
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
