"""Ranking with the real bundled model: the same thing in other words, or in another
language, finds its match; the reasons name the sentences; the evaluation harness
(bench/matching_quality.py) runs the service's search on a small corpus of our own."""

from __future__ import annotations

import pytest

from bench.matching_quality import evaluate, figures, rank_of
from services.matching.embedding import SentenceModel, load_model
from services.matching.profiles import PartnerProfile, embed_profiles
from services.matching.ranking import PartnerIndex
from tests.unit.ranking_corpus import ORGANISATIONS, PAIR_KINDS, PLANTED


@pytest.fixture(scope="module")
def model() -> SentenceModel:
    return load_model()


def best_offer(model: SentenceModel, need: str, offers: dict[str, str]) -> tuple[str, str]:
    """The id of the organisation whose offer the search puts first, and the reason text."""
    seeker = PartnerProfile(id="seeker", country="RO", needs=[need])
    profiles = [seeker, *(PartnerProfile(id=id, offers=[o]) for id, o in offers.items())]
    vectors = embed_profiles(model, profiles)
    index = PartnerIndex(model.dimensions)
    for profile, rows in zip(profiles, vectors, strict=True):
        index.upsert(profile, rows)
    (first,) = index.search(seeker, vectors[0], top=1)
    return first.id, first.reasons[0].text


DISTRACTORS = {
    "cloud": "Cloud hosting and managed servers for small businesses.",
    "wine": "We export wines from the Rioja region.",
    "fert": "Organic fertiliser made from composted farm waste.",
}


def test_a_need_finds_an_offer_in_other_words(model: SentenceModel) -> None:
    id, text = best_offer(
        model,
        "printed circuit board assembly",
        {"pcb": "PCB assembly and soldering", **DISTRACTORS},
    )
    assert id == "pcb"
    assert '"printed circuit board assembly"' in text and '"PCB assembly and soldering"' in text


def test_a_french_need_finds_a_spanish_offer(model: SentenceModel) -> None:
    id, _ = best_offer(
        model,
        "Nous cherchons un fabricant de bouchons en liège pour nos vins.",
        {"corcho": "Fabricamos tapones de corcho natural para bodegas.", **DISTRACTORS},
    )
    assert id == "corcho"


def test_needs_are_read_as_queries_and_offers_as_passages(model: SentenceModel) -> None:
    profile = PartnerProfile(id="x", needs=["cork stoppers"], offers=["wine"])
    (vectors,) = embed_profiles(model, [profile])
    assert vectors.needs[0] == pytest.approx(model.queries(["cork stoppers"])[0], abs=1e-5)
    assert vectors.offers[0] == pytest.approx(model.passages(["wine"])[0], abs=1e-5)


def test_figures_count_recall_and_reciprocal_rank() -> None:
    assert rank_of([4, 7, 9], 7) == 2
    assert rank_of([4, 7, 9], 1) is None
    assert figures([1, 2, None, 20]) == {
        "recall@1": 0.25,
        "recall@10": 0.5,
        "recall@50": 0.75,
        "mrr": round((1 + 0.5 + 0.05) / 4, 4),
    }


def test_the_harness_ranks_every_planted_partner_high(model: SentenceModel) -> None:
    result = evaluate(ORGANISATIONS, PLANTED, model, PAIR_KINDS)
    assert set(result) >= {"service", "tfidf", "whole", "ratios"}
    assert result["service"]["recall@10"] == 1.0
    assert result["service"]["cross_language"]["mrr"] >= 0.6
    assert result["service"]["mrr"] > result["tfidf"]["mrr"]
