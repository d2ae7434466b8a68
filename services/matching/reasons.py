"""Why a candidate ranks where it does: one reason per feature, with the points it gave.

A candidate's score (0 to 100) is the sum of its reasons' points, so a person can check
it in seconds (docs/matching.md, "The score"):

- **need → offer** (``NEED_OFFER`` at most): the seeker's need sentence and the
  candidate's offer sentence that match best, both shown, with their cosine;
- **offer → need** (``OFFER_NEED``): the candidate's need that one of the seeker's offers
  answers best;
- **sector**: the closest pair of NACE codes (same class > same group > same division),
  with titles; **countries of interest**, each side's; **cooperation types**,
  **technologies** and **languages** in common; a **size** both can work with.

Sentence cosines are rescaled so that a person can read them: 0 at ``UNRELATED`` (what
the model gives texts about different things), 1 at ``SAME`` (the same thing said in
other words, or in another language). The numeric feature functions here are the only
place each rule is written: search sums their points for thousands of candidates
without building a ``Reason`` (``feature_points``), and explanations build one each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel

from services.matching.embedding import Vectors
from services.matching.index import Key, ValueHolders
from services.matching.profiles import PartnerProfile
from shared.nace import nace_title

ReasonKind = Literal[
    "need_offer",  # the seeker's need, the candidate's offer
    "offer_need",  # the candidate's need, the seeker's offer
    "both_ways",  # each side offers what the other needs
    "sector",
    "country_of_interest",
    "cooperation_type",
    "technology",
    "language",
    "size",
]

# points of each feature at its best (their sum is 100); tuned on bench/matching_quality.py
NEED_OFFER = 25.0
OFFER_NEED = 25.0
BOTH_WAYS = 20.0  # times the weaker direction: a complement both ways beats a one-way one
SECTOR = 10.0
COUNTRY = 8.0  # 4 for each side whose countries of interest hold the other's country
COOPERATION = 5.0
TECHNOLOGY = 4.0  # 2 per technology in common, at most 4
LANGUAGE = 2.0
SIZE = 1.0
FEATURES_AT_MOST = SECTOR + COUNTRY + COOPERATION + TECHNOLOGY + LANGUAGE + SIZE
# cosines of multilingual-e5-small, a need read as "query: ", an offer as "passage: "
UNRELATED = 0.77
SAME = 0.93
SECTOR_LEVELS = ((5, 1.0, "class"), (4, 0.6, "group"), (2, 0.3, "division"))
SIZES = ("micro", "small", "medium", "large")


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


def rescale(cosines: np.ndarray) -> np.ndarray:
    """0 for unrelated texts, 1 for the same thing said twice: what a person can read."""
    return np.clip((cosines - UNRELATED) / (SAME - UNRELATED), 0.0, 1.0)


def sentence_points(need_offer: np.ndarray, offer_need: np.ndarray) -> np.ndarray:
    """The points of both directions and of their weaker one (``BOTH_WAYS``) from their
    best cosines (-1: nothing to compare)."""
    needed, offered = rescale(need_offer), rescale(offer_need)
    return NEED_OFFER * needed + OFFER_NEED * offered + BOTH_WAYS * np.minimum(needed, offered)


def best_pair(mine: Vectors, theirs: Vectors) -> tuple[int, int, float]:
    """Which of my rows and which of theirs match best, and their cosine (-1: none)."""
    if not len(mine) or not len(theirs):
        return 0, 0, -1.0
    cosines = mine @ theirs.T
    i, j = np.unravel_index(int(np.argmax(cosines)), cosines.shape)
    return int(i), int(j), float(cosines[i, j])


def sentence_reason(
    kind: ReasonKind,
    seeker_sentences: Sequence[str],
    seeker_rows: Vectors,
    candidate_sentences: Sequence[str],
    candidate_rows: Vectors,
) -> Reason | None:
    """The best-matching pair of sentences of one direction, or None if they are unrelated."""
    i, j, similarity = best_pair(seeker_rows, candidate_rows)
    weight = NEED_OFFER if kind == "need_offer" else OFFER_NEED
    points = round(weight * float(rescale(np.array(similarity))), 1)
    if points <= 0:
        return None
    mine, theirs = seeker_sentences[i], candidate_sentences[j]
    text = (
        f'Your need "{mine}" matches their offer "{theirs}"'
        if kind == "need_offer"
        else f'Their need "{theirs}" matches your offer "{mine}"'
    )
    return Reason(
        kind=kind,
        points=points,
        text=f"{text} (similarity {similarity:.2f}).",
        seeker_text=mine,
        partner_text=theirs,
        similarity=round(similarity, 3),
    )


def both_ways_reason(need_offer: Reason | None, offer_need: Reason | None) -> Reason | None:
    """The bonus of a candidate that complements the seeker both ways, from the weaker
    of the two sentence matches (a one-way complement gets none)."""
    if need_offer is None or offer_need is None:
        return None
    weaker = min(need_offer.similarity or -1.0, offer_need.similarity or -1.0)
    points = round(BOTH_WAYS * float(rescale(np.array(weaker))), 1)
    if points <= 0:
        return None
    return Reason(
        kind="both_ways",
        points=points,
        text="Complementary both ways: each offers something the other needs.",
        similarity=weaker,
    )


def sector_match(mine: Sequence[str], theirs: Sequence[str]) -> tuple[float, str, list[str]]:
    """The closest level two lists of NACE codes share: (share of SECTOR, level, codes)."""
    for length, share, level in SECTOR_LEVELS:
        common = _prefixes(mine, length) & _prefixes(theirs, length)
        if common:
            return share, level, sorted(common)
    return 0.0, "", []


def _prefixes(codes: Sequence[str], length: int) -> set[str]:
    return {code[:length].rstrip(".") for code in codes if len(code) >= length}


def interest(seeker: PartnerProfile, candidate: PartnerProfile) -> tuple[bool, bool]:
    """Whether the candidate's country is one the seeker wants, and the other way round."""
    wanted = bool(candidate.country) and candidate.country in seeker.countries_of_interest
    wanting = bool(seeker.country) and seeker.country in candidate.countries_of_interest
    return wanted, wanting


def common(mine: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """Values both lists hold, compared without case or surrounding spaces."""
    return sorted(_lowered(mine) & _lowered(theirs))


def _lowered(values: Sequence[str]) -> set[str]:
    return {value.strip().lower() for value in values if value.strip()}


def sizes_fit(mine: str | None, theirs: str | None) -> bool:
    """Sizes one step apart or equal work together most easily (a rough EEN rule)."""
    if mine not in SIZES or theirs not in SIZES:
        return False
    return abs(SIZES.index(mine) - SIZES.index(theirs)) <= 1


def feature_points(seeker: PartnerProfile, candidate: PartnerProfile) -> float:
    """The points of every non-sentence feature; equal to their reasons' sum, built faster."""
    wanted, wanting = interest(seeker, candidate)
    technologies = len(common(seeker.technologies, candidate.technologies))
    return (
        SECTOR * sector_match(seeker.nace_codes, candidate.nace_codes)[0]
        + COUNTRY / 2 * (wanted + wanting)
        + COOPERATION * bool(common(seeker.cooperation_types, candidate.cooperation_types))
        + min(TECHNOLOGY, TECHNOLOGY / 2 * technologies)
        + LANGUAGE * bool(common(seeker.languages, candidate.languages))
        + SIZE * sizes_fit(seeker.size, candidate.size)
    )


def profile_keys(profile: PartnerProfile) -> set[Key]:
    """The values of a profile that features and filters compare, for ``ValueHolders``."""
    keys: set[Key] = {("country", profile.country), ("network", profile.network)}
    keys.update(("interest", code) for code in profile.countries_of_interest)
    for length, _, level in SECTOR_LEVELS:
        keys.update((level, code) for code in _prefixes(profile.nace_codes, length))
    keys.update(("cooperation", value) for value in _lowered(profile.cooperation_types))
    keys.update(("technology", value) for value in _lowered(profile.technologies))
    keys.update(("language", value) for value in _lowered(profile.languages))
    if profile.size in SIZES:
        keys.add(("size", profile.size))
    return keys


def feature_points_all(seeker: PartnerProfile, holders: ValueHolders, size: int) -> Vectors:
    """``feature_points`` of the seeker with every position at once (the same rules)."""
    sector = np.zeros(size, dtype=np.float32)
    for length, share, level in reversed(SECTOR_LEVELS):  # the closest level wins
        mine = {(level, code) for code in _prefixes(seeker.nace_codes, length)}
        sector[holders.any(mine, size)] = SECTOR * share
    wanted = holders.any({("country", c) for c in seeker.countries_of_interest if c}, size)
    wanting = holders.any({("interest", seeker.country)} if seeker.country else set(), size)
    technologies = holders.count({("technology", v) for v in _lowered(seeker.technologies)}, size)
    fitting = set()
    if seeker.size in SIZES:
        at = SIZES.index(seeker.size)
        fitting = {("size", fit) for fit in SIZES[max(0, at - 1) : at + 2]}
    return (
        sector
        + COUNTRY / 2 * (wanted.astype(np.float32) + wanting)
        + COOPERATION * _holding(holders, "cooperation", seeker.cooperation_types, size)
        + np.minimum(TECHNOLOGY, TECHNOLOGY / 2 * technologies)
        + LANGUAGE * _holding(holders, "language", seeker.languages, size)
        + SIZE * holders.any(fitting, size)
    ).astype(np.float32)


def _holding(holders: ValueHolders, kind: str, values: Sequence[str], size: int) -> Vectors:
    return holders.any({(kind, value) for value in _lowered(values)}, size).astype(np.float32)


def feature_reasons(seeker: PartnerProfile, candidate: PartnerProfile) -> list[Reason]:
    """The reasons that are not about sentences; their points are at most FEATURES_AT_MOST."""
    technologies = common(seeker.technologies, candidate.technologies)
    found = [
        _sector_reason(seeker, candidate),
        _country_reason(seeker, candidate),
        _values_reason(
            "cooperation_type",
            common(seeker.cooperation_types, candidate.cooperation_types),
            COOPERATION,
            "Both seek {}",
        ),
        _values_reason(
            "technology",
            technologies,
            min(TECHNOLOGY, TECHNOLOGY / 2 * len(technologies)),
            "Technologies in common: {}",
        ),
        _values_reason(
            "language",
            common(seeker.languages, candidate.languages),
            LANGUAGE,
            "A common language: {}",
        ),
        _size_reason(seeker, candidate),
    ]
    return [reason for reason in found if reason is not None]


def _sector_reason(seeker: PartnerProfile, candidate: PartnerProfile) -> Reason | None:
    share, level, shared = sector_match(seeker.nace_codes, candidate.nace_codes)
    if not shared:
        return None
    codes = [NaceCode(code=code, title=nace_title(code) or "") for code in shared]
    names = ", ".join(f"{code.code} {code.title}".strip() for code in codes)
    return Reason(
        kind="sector", points=SECTOR * share, text=f"Same NACE {level}: {names}.", codes=codes
    )


def _country_reason(seeker: PartnerProfile, candidate: PartnerProfile) -> Reason | None:
    wanted, wanting = interest(seeker, candidate)
    if not (wanted or wanting):
        return None
    parts = []
    if wanted:
        parts.append(f"{candidate.country} is among your countries of interest")
    if wanting:
        parts.append(f"{seeker.country} is among theirs")
    sentence = "; ".join(parts)
    return Reason(
        kind="country_of_interest",
        points=COUNTRY / 2 * (wanted + wanting),
        text=sentence[:1].upper() + sentence[1:] + ".",
        values=[
            code for code, held in ((candidate.country, wanted), (seeker.country, wanting)) if held
        ],
    )


def _values_reason(
    kind: ReasonKind, values: list[str], points: float, template: str
) -> Reason | None:
    if not values:
        return None
    shown = ", ".join(value.replace("_", " ") for value in values)
    return Reason(kind=kind, points=points, text=template.format(shown) + ".", values=values)


def _size_reason(seeker: PartnerProfile, candidate: PartnerProfile) -> Reason | None:
    if not sizes_fit(seeker.size, candidate.size):
        return None
    return Reason(
        kind="size",
        points=SIZE,
        text=f"Compatible sizes: {seeker.size} and {candidate.size}.",
        values=[str(seeker.size), str(candidate.size)],
    )
