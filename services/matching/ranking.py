"""Partner ranking: who could work with whom, both ways, and why.

A candidate's score (0 to 100) is the sum of the points of its reasons:

- **complementarity**, both ways: the best match of one of the seeker's needs with one of
  the candidate's offers, and of the candidate's needs with the seeker's offers, by the
  cosine of their sentence vectors (any language), rescaled so that unrelated texts score 0;
- **sector**: the closest pair of NACE codes (same class > same group > same division);
- **country of interest**, each side's; **cooperation types** in common; **technologies**
  in common; a common **language**; a **size** both can work with.

Search is exact: the vector part is computed for every indexed organisation with one
matrix product per side, and the other features, which are bounded, only for the
candidates whose vector part could still reach the top (docs/matching.md, "Speed").
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from services.matching.embedding import SentenceModel, Vectors
from services.matching.profiles import PartnerProfile, ProfileVectors, embed_profiles
from shared.contracts.membership import sector_prefixes
from shared.nace import nace_title

ReasonKind = Literal[
    "need_offer",  # the seeker's need, the candidate's offer
    "offer_need",  # the candidate's need, the seeker's offer
    "sector",
    "country_of_interest",
    "cooperation_type",
    "technology",
    "language",
    "size",
]

# points of each feature at its best (their sum is 100)
NEED_OFFER = 45.0
OFFER_NEED = 25.0
SECTOR = 10.0
COUNTRY = 8.0  # 4 for each side whose countries of interest hold the other's country
COOPERATION = 5.0
TECHNOLOGY = 4.0
LANGUAGE = 2.0
SIZE = 1.0
FEATURES_AT_MOST = SECTOR + COUNTRY + COOPERATION + TECHNOLOGY + LANGUAGE + SIZE
# the cosine of multilingual-e5 sentence vectors: unrelated texts sit near 0.78, the
# same thing said otherwise (or in another language) at 0.85 and above
UNRELATED = 0.80
SAME = 0.92
SECTOR_LEVELS = ((5, 1.0, "class"), (4, 0.6, "group"), (2, 0.3, "division"))


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


class NaceCode(BaseModel):
    code: str
    title: str


class Reason(BaseModel):
    """One reason a candidate ranks where it does, with the points it gave."""

    kind: ReasonKind
    points: float
    text: str  # one English sentence; pages write their own from the fields
    seeker_text: str | None = None
    partner_text: str | None = None
    similarity: float | None = None
    codes: list[NaceCode] = []
    values: list[str] = []  # the countries, cooperation types, technologies, languages


class PartnerMatch(BaseModel):
    id: str
    network: str
    score: float
    reasons: list[Reason]


def rescale(cosine: float) -> float:
    """0 for unrelated texts, 1 for the same thing said twice: what a person can read."""
    return float(min(1.0, max(0.0, (cosine - UNRELATED) / (SAME - UNRELATED))))


class _SideMatrix:
    """One side's sentence vectors of every profile, stacked: rows grouped by owner."""

    def __init__(self, blocks: list[Vectors], dimensions: int) -> None:
        counts = np.array([len(block) for block in blocks], dtype=np.int64)
        self.owners = np.flatnonzero(counts)  # profiles with at least one sentence
        self.starts = np.concatenate(([0], np.cumsum(counts[self.owners])[:-1])).astype(np.int64)
        present = [block for block in blocks if len(block)]
        self.rows = (
            np.vstack(present).astype(np.float32)
            if present
            else np.zeros((0, dimensions), dtype=np.float32)
        )
        self.size = len(blocks)

    def best(self, queries: Vectors) -> tuple[np.ndarray, np.ndarray]:
        """Per profile: the best cosine with any query row, and which of its rows gave it."""
        best = np.full(self.size, -1.0, dtype=np.float32)
        if not len(queries) or not len(self.rows):
            return best, np.zeros(self.size, dtype=np.int64)
        column = (queries @ self.rows.T).max(axis=0)
        best[self.owners] = np.maximum.reduceat(column, self.starts)
        return best, np.zeros(self.size, dtype=np.int64)

    @property
    def nbytes(self) -> int:
        return int(self.rows.nbytes + self.owners.nbytes + self.starts.nbytes)


class PartnerIndex:
    """Every profile a node can rank, with its vectors; rebuilt lazily after changes."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self._profiles: dict[str, PartnerProfile] = {}
        self._vectors: dict[str, ProfileVectors] = {}
        self._order: list[str] = []
        self._offers: _SideMatrix | None = None
        self._needs: _SideMatrix | None = None

    def upsert(self, profile: PartnerProfile, vectors: ProfileVectors) -> None:
        self._profiles[profile.id] = profile
        self._vectors[profile.id] = vectors
        self._offers = self._needs = None

    def remove(self, id: str) -> None:
        if self._profiles.pop(id, None) is not None:
            self._vectors.pop(id, None)
            self._offers = self._needs = None

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, id: object) -> bool:
        return id in self._profiles

    def profile(self, id: str) -> PartnerProfile | None:
        return self._profiles.get(id)

    def vectors(self, id: str) -> ProfileVectors | None:
        return self._vectors.get(id)

    def memory_bytes(self) -> int:
        """The stacked matrices searched (the per-profile copies are the same size again)."""
        offers, needs = self._matrices()
        return offers.nbytes + needs.nbytes

    def _matrices(self) -> tuple[_SideMatrix, _SideMatrix]:
        if self._offers is None or self._needs is None:
            self._order = list(self._profiles)
            vectors = [self._vectors[id] for id in self._order]
            self._offers = _SideMatrix([v.offers for v in vectors], self.dimensions)
            self._needs = _SideMatrix([v.needs for v in vectors], self.dimensions)
        return self._offers, self._needs

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
        offers, needs = self._matrices()
        need_offer, _ = offers.best(vectors.needs)
        offer_need, _ = needs.best(vectors.offers)
        semantic = NEED_OFFER * _rescaled(need_offer) + OFFER_NEED * _rescaled(offer_need)
        chosen: list[tuple[float, int, str]] = []  # a min-heap of (score, -position, id)
        for position in np.argsort(-semantic, kind="stable"):
            if len(chosen) == top and semantic[position] + FEATURES_AT_MOST < chosen[0][0]:
                break  # no later candidate can reach the top: the answer is exact
            id = self._order[position]
            candidate = self._profiles[id]
            if id == seeker.id or not filters.admit(candidate):
                continue
            if visible is not None and not visible(candidate):
                continue
            score = float(semantic[position]) + _feature_points(seeker, candidate)
            entry = (score, -int(position), id)
            if len(chosen) < top:
                heapq.heappush(chosen, entry)
            elif entry > chosen[0]:
                heapq.heapreplace(chosen, entry)
        ranked = sorted(chosen, reverse=True)
        return [self._explain(seeker, vectors, id, score) for score, _, id in ranked]

    def _explain(
        self, seeker: PartnerProfile, vectors: ProfileVectors, id: str, score: float
    ) -> PartnerMatch:
        candidate = self._profiles[id]
        reasons = explain(seeker, vectors, candidate, self._vectors[id])
        return PartnerMatch(
            id=id, network=candidate.network, score=round(score, 1), reasons=reasons
        )


def _rescaled(cosines: np.ndarray) -> np.ndarray:
    return np.clip((cosines - UNRELATED) / (SAME - UNRELATED), 0.0, 1.0)


def _feature_points(seeker: PartnerProfile, candidate: PartnerProfile) -> float:
    return sum(reason.points for reason in feature_reasons(seeker, candidate))


def explain(
    seeker: PartnerProfile,
    seeker_vectors: ProfileVectors,
    candidate: PartnerProfile,
    candidate_vectors: ProfileVectors,
) -> list[Reason]:
    """Every reason with its points, the strongest first: the score is their sum."""
    reasons = [
        *_sentence_reason(
            "need_offer",
            seeker.needs,
            seeker_vectors.needs,
            candidate.offers,
            candidate_vectors.offers,
            NEED_OFFER,
        ),
        *_sentence_reason(
            "offer_need",
            seeker.offers,
            seeker_vectors.offers,
            candidate.needs,
            candidate_vectors.needs,
            OFFER_NEED,
        ),
        *feature_reasons(seeker, candidate),
    ]
    return sorted(reasons, key=lambda reason: -reason.points)


def _sentence_reason(
    kind: ReasonKind,
    seeker_sentences: Sequence[str],
    seeker_rows: Vectors,
    candidate_sentences: Sequence[str],
    candidate_rows: Vectors,
    weight: float,
) -> list[Reason]:
    if not len(seeker_rows) or not len(candidate_rows):
        return []
    cosines = seeker_rows @ candidate_rows.T
    i, j = np.unravel_index(int(np.argmax(cosines)), cosines.shape)
    similarity = float(cosines[i, j])
    points = weight * rescale(similarity)
    if points <= 0:
        return []
    mine, theirs = seeker_sentences[int(i)], candidate_sentences[int(j)]
    text = (
        f'Your need "{mine}" matches their offer "{theirs}"'
        if kind == "need_offer"
        else f'Their need "{theirs}" matches your offer "{mine}"'
    )
    return [
        Reason(
            kind=kind,
            points=round(points, 1),
            text=f"{text} (similarity {similarity:.2f}).",
            seeker_text=mine,
            partner_text=theirs,
            similarity=round(similarity, 3),
        )
    ]


def feature_reasons(seeker: PartnerProfile, candidate: PartnerProfile) -> list[Reason]:
    """The reasons that are not about sentences; their points are at most FEATURES_AT_MOST."""
    found = [
        _sector(seeker, candidate),
        _countries(seeker, candidate),
        _shared(
            "cooperation_type",
            seeker.cooperation_types,
            candidate.cooperation_types,
            COOPERATION,
            "Both seek {}",
        ),
        _shared(
            "technology",
            _lowered(seeker.technologies),
            _lowered(candidate.technologies),
            TECHNOLOGY,
            "Technologies in common: {}",
            per_value=TECHNOLOGY / 2,
        ),
        _shared(
            "language",
            _lowered(seeker.languages),
            _lowered(candidate.languages),
            LANGUAGE,
            "A common language: {}",
        ),
        _size(seeker, candidate),
    ]
    return [reason for reason in found if reason is not None]


def _lowered(values: Sequence[str]) -> list[str]:
    return [value.strip().lower() for value in values if value.strip()]


def _sector(seeker: PartnerProfile, candidate: PartnerProfile) -> Reason | None:
    for length, share, level in SECTOR_LEVELS:
        mine = {code[:length].rstrip(".") for code in seeker.nace_codes if len(code) >= length}
        theirs = {code[:length].rstrip(".") for code in candidate.nace_codes if len(code) >= length}
        common = sorted(mine & theirs)
        if common:
            codes = [NaceCode(code=code, title=nace_title(code) or "") for code in common]
            names = ", ".join(f"{c.code} {c.title}".strip() for c in codes)
            return Reason(
                kind="sector",
                points=SECTOR * share,
                text=f"Same NACE {level}: {names}.",
                codes=codes,
            )
    return None


def _countries(seeker: PartnerProfile, candidate: PartnerProfile) -> Reason | None:
    wanted = candidate.country in seeker.countries_of_interest
    wanting = bool(seeker.country) and seeker.country in candidate.countries_of_interest
    if not (wanted or wanting):
        return None
    parts = []
    if wanted:
        parts.append(f"{candidate.country} is among your countries of interest")
    if wanting:
        parts.append(f"{seeker.country} is among theirs")
    return Reason(
        kind="country_of_interest",
        points=COUNTRY / 2 * (wanted + wanting),
        text="; ".join(parts)[:1].upper() + "; ".join(parts)[1:] + ".",
        values=[
            code for code, held in ((candidate.country, wanted), (seeker.country, wanting)) if held
        ],
    )


def _shared(
    kind: ReasonKind,
    mine: Sequence[str],
    theirs: Sequence[str],
    weight: float,
    template: str,
    per_value: float | None = None,
) -> Reason | None:
    common = sorted(set(mine) & set(theirs))
    if not common:
        return None
    points = weight if per_value is None else min(weight, per_value * len(common))
    shown = ", ".join(value.replace("_", " ") for value in common)
    return Reason(kind=kind, points=points, text=template.format(shown) + ".", values=common)


SIZES = ("micro", "small", "medium", "large")


def _size(seeker: PartnerProfile, candidate: PartnerProfile) -> Reason | None:
    """Sizes one step apart or equal work together most easily (a rough EEN rule)."""
    if seeker.size not in SIZES or candidate.size not in SIZES:
        return None
    if abs(SIZES.index(seeker.size) - SIZES.index(candidate.size)) > 1:
        return None
    return Reason(
        kind="size",
        points=SIZE,
        text=f"Compatible sizes: {seeker.size} and {candidate.size}.",
        values=[seeker.size, candidate.size],
    )


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
