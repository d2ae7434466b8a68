"""Ranking arithmetic with hand-made vectors: each feature's points, reasons that add up
to the score, filters, and search that leaves out the seeker and non-complements."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from services.matching import reasons as r
from services.matching.index import ValueHolders
from services.matching.profiles import PartnerProfile, ProfileVectors
from services.matching.ranking import PartnerIndex, SearchFilters, explain

D = 8


def unit(*weights: float) -> np.ndarray:
    vector = np.zeros(D, dtype=np.float32)
    vector[: len(weights)] = weights
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def at_cosine(cosine: float) -> np.ndarray:
    """A unit vector whose cosine with axis 0 is ``cosine``."""
    return unit(cosine, float(np.sqrt(1 - cosine**2)))


def rows(*vectors: np.ndarray) -> np.ndarray:
    return np.stack(vectors) if vectors else np.zeros((0, D), dtype=np.float32)


def profile(id: str, **fields: Any) -> PartnerProfile:
    return PartnerProfile.model_validate({"id": id, "country": "RO", **fields})


def vectors(offers: list[np.ndarray], needs: list[np.ndarray]) -> ProfileVectors:
    return ProfileVectors(rows(*offers), rows(*needs))


def test_rescale_reads_unrelated_as_zero_and_same_as_one() -> None:
    cosines = np.array([0.5, r.UNRELATED, (r.UNRELATED + r.SAME) / 2, r.SAME, 0.99])
    assert r.rescale(cosines).tolist() == pytest.approx([0, 0, 0.5, 1, 1])


@pytest.mark.parametrize(
    ("mine", "theirs", "points", "level", "codes"),
    [
        (["62.10"], ["62.10", "26.11"], 10.0, "class", ["62.10"]),
        (["62.10"], ["62.20"], 3.0, "division", ["62"]),
        (["26.11"], ["26.12"], 6.0, "group", ["26.1"]),
        (["26.11"], ["27.11"], 0.0, "", []),
        (["62"], ["62.10"], 3.0, "division", ["62"]),
    ],
)
def test_sector_prefers_class_then_group_then_division(
    mine: list[str], theirs: list[str], points: float, level: str, codes: list[str]
) -> None:
    share, found, shared = r.sector_match(mine, theirs)
    assert (r.SECTOR * share, found, shared) == (pytest.approx(points), level, codes)


def test_sector_reason_names_codes_with_titles() -> None:
    reasons = r.feature_reasons(
        profile("a", nace_codes=["62.10"]), profile("b", nace_codes=["62.10"])
    )
    (sector,) = [reason for reason in reasons if reason.kind == "sector"]
    assert sector.codes[0].code == "62.10"
    assert "programming" in sector.codes[0].title.lower()
    assert sector.text.startswith("Same NACE class: 62.10 ")


def test_countries_of_interest_count_each_side() -> None:
    seeker = profile("a", country="RO", countries_of_interest=["fr"])
    both = profile("b", country="FR", countries_of_interest=["RO"])
    one = profile("c", country="FR")
    theirs = profile("d", country="DE", countries_of_interest=["RO"])
    (reason,) = r.feature_reasons(seeker, both)
    assert (reason.points, reason.values) == (8.0, ["FR", "RO"])
    assert r.feature_reasons(seeker, one)[0].points == 4.0
    assert r.feature_reasons(seeker, theirs)[0].text == "RO is among theirs."


def test_shared_values_sizes_and_their_points() -> None:
    seeker = profile(
        "a",
        cooperation_types=["subcontracting", "licensing"],
        technologies=["Robotics", "machine vision", "IoT"],
        languages=["ro", "en"],
        size="small",
    )
    candidate = profile(
        "b",
        cooperation_types=["licensing"],
        technologies=["robotics ", "Machine Vision", "iot"],
        languages=["EN"],
        size="medium",
    )
    found = {reason.kind: reason for reason in r.feature_reasons(seeker, candidate)}
    assert found["cooperation_type"].points == 5.0
    assert found["technology"].points == 4.0  # 2 each, at most 4
    assert found["technology"].values == ["iot", "machine vision", "robotics"]
    assert found["language"].values == ["en"]
    assert found["size"].points == 1.0
    assert not r.sizes_fit("micro", "large")


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"nace_codes": ["26.11"], "size": "micro", "technologies": ["x"]},
        {
            "countries_of_interest": ["FR"],
            "languages": ["fr"],
            "cooperation_types": ["joint_venture"],
        },
    ],
)
def test_feature_points_equal_the_sum_of_their_reasons(fields: dict[str, Any]) -> None:
    seeker = profile(
        "a",
        nace_codes=["26.12"],
        size="small",
        technologies=["x", "y"],
        languages=["fr"],
        cooperation_types=["joint_venture"],
        countries_of_interest=["FR"],
    )
    candidate = profile("b", country="FR", **fields)
    reasons = r.feature_reasons(seeker, candidate)
    assert r.feature_points(seeker, candidate) == pytest.approx(sum(x.points for x in reasons))


def test_sentence_reason_shows_both_sentences_and_the_similarity() -> None:
    reason = r.sentence_reason(
        "need_offer",
        ["need one", "need two"],
        rows(unit(0, 1), unit(1)),
        ["offer one", "offer two"],
        rows(unit(0, 0, 1), at_cosine(0.85)),
    )
    assert reason is not None
    assert (reason.seeker_text, reason.partner_text, reason.similarity) == (
        "need two",
        "offer two",
        0.85,
    )
    assert reason.points == pytest.approx(r.NEED_OFFER * 0.5, abs=0.1)
    assert '"need two"' in reason.text and '"offer two"' in reason.text
    assert r.sentence_reason("offer_need", ["o"], rows(unit(1)), ["n"], rows(unit(0, 1))) is None


def index_of(entries: list[tuple[PartnerProfile, ProfileVectors]]) -> PartnerIndex:
    index = PartnerIndex(D)
    for entry in entries:
        index.upsert(*entry)
    return index


SEEKER = profile("seeker", country="RO", nace_codes=["26.11"], needs="n", offers="o")
SEEKER_VECTORS = vectors([unit(0, 0, 1)], [unit(1)])


def test_search_scores_are_the_sum_of_reasons_best_first() -> None:
    index = index_of(
        [
            (SEEKER, SEEKER_VECTORS),
            (profile("near", country="FR", offers="x"), vectors([at_cosine(0.88)], [])),
            (
                profile("both", country="DE", nace_codes=["26.11"], offers="y", needs="z"),
                vectors([at_cosine(0.85)], [unit(0, 0, 1)]),
            ),
            (profile("far", offers="w", nace_codes=["26.11"]), vectors([unit(0, 1)], [])),
        ]
    )
    found = index.search(SEEKER, SEEKER_VECTORS)
    assert [match.id for match in found] == ["both", "near"]  # not the seeker, not "far"
    for match in found:
        assert match.score == pytest.approx(sum(reason.points for reason in match.reasons))
        assert [x.points for x in match.reasons] == sorted(
            (x.points for x in match.reasons), reverse=True
        )
    kinds = {reason.kind for reason in found[0].reasons}
    assert kinds == {"need_offer", "offer_need", "both_ways", "sector"}
    (both,) = [reason for reason in found[0].reasons if reason.kind == "both_ways"]
    assert both.points == pytest.approx(r.BOTH_WAYS * 0.5, abs=0.1)  # the weaker way: 0.85


def test_filters_visibility_and_top() -> None:
    entries = [
        (
            profile(f"c{n}", country=country, network=network, nace_codes=[code], offers="x"),
            vectors([at_cosine(0.83 + n / 100)], []),
        )
        for n, (country, network, code) in enumerate(
            [
                ("RO", "ro", "26.11"),
                ("FR", "fr", "62.10"),
                ("ES", "es", "26.12"),
                ("FR", "fr", "26"),
            ]
        )
    ]
    index = index_of(entries)

    def ids(**kwargs: Any) -> list[str]:
        return [m.id for m in index.search(SEEKER, SEEKER_VECTORS, **kwargs)]

    # sentence points 9.4, 10.9, 12.5, 14.1; sector: c0 the class 10, c2 the group 6, c3 3
    assert ids() == ["c0", "c2", "c3", "c1"]
    assert ids(top=2) == ["c0", "c2"]
    assert ids(filters=SearchFilters(exclude_country="RO")) == ["c2", "c3", "c1"]
    assert ids(filters=SearchFilters(countries=["FR"], sector="62")) == ["c1"]
    assert ids(filters=SearchFilters(sector="26.1")) == ["c0", "c2"]
    assert ids(filters=SearchFilters(network="es")) == ["c2"]
    assert ids(visible=lambda p: p.country != "FR") == ["c0", "c2"]


def test_an_empty_seeker_gets_no_candidates_without_failing() -> None:
    index = index_of([(profile("c", offers="x", needs="y"), vectors([unit(1)], [unit(1)]))])
    empty = profile("empty")
    assert index.search(empty, vectors([], [])) == []
    assert index.search(SEEKER, SEEKER_VECTORS, top=0) == []
    assert PartnerIndex(D).search(SEEKER, SEEKER_VECTORS) == []


def test_upsert_replaces_and_remove_forgets() -> None:
    index = index_of([(profile("c", offers="x"), vectors([at_cosine(0.86)], []))])
    index.upsert(profile("c", offers="y"), vectors([unit(0, 1)], []))
    assert index.search(SEEKER, SEEKER_VECTORS) == []  # its new offer does not match
    index.upsert(profile("c", offers="z"), vectors([at_cosine(0.89)], []))
    assert [m.reasons[0].partner_text for m in index.search(SEEKER, SEEKER_VECTORS)] == ["z"]
    index.remove("c")
    assert (len(index), index.search(SEEKER, SEEKER_VECTORS)) == (0, [])


def test_explain_without_sentences_keeps_the_features() -> None:
    reasons = explain(SEEKER, SEEKER_VECTORS, profile("x", nace_codes=["26"]), vectors([], []))
    assert [reason.kind for reason in reasons] == ["sector"]


def random_profile(rng: random.Random, id: str) -> PartnerProfile:
    def some(values: list[str], most: int) -> list[str]:
        return rng.sample(values, rng.randint(0, most))

    return profile(
        id,
        country=rng.choice(["RO", "FR", "ES", ""]),
        network=rng.choice(["ro", "fr"]),
        countries_of_interest=some(["RO", "FR", "ES", "DE"], 2),
        nace_codes=some(["26.11", "26.12", "26.2", "27", "62.10", "62.20"], 2),
        cooperation_types=some(["licensing", "Subcontracting", "joint_venture"], 2),
        technologies=some(["IoT", "iot ", "lidar", "erp", "robotics"], 3),
        languages=some(["en", "fr", "ro"], 2),
        size=rng.choice([*r.SIZES, None, "huge"]),
    )


def test_features_and_filters_of_every_position_follow_the_rules() -> None:
    """The vectorised form search uses gives what the per-profile rules give."""
    rng = random.Random(11)
    candidates = [random_profile(rng, f"c{n}") for n in range(150)]
    holders = ValueHolders()
    for position, candidate in enumerate(candidates):
        holders.add(position, r.profile_keys(candidate))
    filters = [
        SearchFilters(),
        SearchFilters(countries=["FR", "ES"], sector="26"),
        SearchFilters(exclude_country="RO", cooperation_type="licensing"),
        SearchFilters(sector="26.1", network="ro"),
        SearchFilters(sector="62.10"),
    ]
    for number in range(20):
        seeker = random_profile(rng, f"s{number}")
        points = r.feature_points_all(seeker, holders, len(candidates))
        expected = [r.feature_points(seeker, candidate) for candidate in candidates]
        assert points.tolist() == pytest.approx(expected)
        chosen = filters[number % len(filters)]
        assert chosen.mask(holders, len(candidates)).tolist() == [
            chosen.admit(candidate) for candidate in candidates
        ]


def test_vectors_must_be_those_of_the_profile() -> None:
    with pytest.raises(ValueError, match="not those of its sentences"):
        index_of([(profile("c", offers="x. y."), vectors([unit(1)], []))])
