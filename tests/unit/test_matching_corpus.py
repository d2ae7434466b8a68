"""The partner-search evaluation corpus (bench/matching_corpus.py): fair, varied, seeded."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from services.membership.domain import CooperationType, SizeClass
from shared.countries import check_country
from shared.nace import is_valid_nace

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import matching_corpus as corpus
import matching_phrases as phrases

FIELDS = {
    "id", "legal_name", "country", "city", "nace_codes", "technologies", "offers", "needs",
    "cooperation_types", "countries_of_interest", "size", "languages",
}  # fmt: skip


@pytest.fixture(scope="module")
def made() -> corpus.Corpus:
    return corpus.generate()


def by_id(made: corpus.Corpus) -> dict[str, dict[str, Any]]:
    return {org["id"]: org for org in made.organisations}


def two_way(made: corpus.Corpus, a: str, b: str) -> bool:
    """``a`` and ``b`` complement each other both ways, by the concept ids of their texts."""
    ma, mb = made.meta[a], made.meta[b]
    return bool(set(ma["needs"]) & set(mb["offers"])) and bool(set(mb["needs"]) & set(ma["offers"]))


def decoys(made: corpus.Corpus, seeker: str) -> dict[str, list[str]]:
    """The organisations made around ``seeker``, by role."""
    found: dict[str, list[str]] = {}
    for org_id, meta in made.meta.items():
        if meta["seeker"] == seeker:
            found.setdefault(meta["role"], []).append(org_id)
    return found


def test_the_same_seed_gives_the_same_corpus_and_another_seed_another() -> None:
    first, again, other = corpus.generate(500, 3), corpus.generate(500, 3), corpus.generate(500, 4)
    assert first == again
    assert first.organisations != other.organisations


def test_sizes_ids_and_the_batch_commands_fields(made: corpus.Corpus) -> None:
    assert len(made.organisations) == 3000
    assert len(made.planted) == 300
    ids = [org["id"] for org in made.organisations]
    assert len(set(ids)) == len(ids) == len(made.meta)
    assert len({org["legal_name"] for org in made.organisations}) == len(ids)
    for org in made.organisations:
        assert set(org) == FIELDS
        assert org["offers"] and org["needs"]
        assert all(isinstance(text, str) and text for text in org["offers"] + org["needs"])
        assert len(org["offers"]) == len(made.meta[org["id"]]["offers"])
        assert len(org["needs"]) == len(made.meta[org["id"]]["needs"])


def test_every_value_is_one_the_service_accepts(made: corpus.Corpus) -> None:
    cooperation = {c.value for c in CooperationType}
    sizes = {s.value for s in SizeClass}
    for org in made.organisations:
        assert org["nace_codes"] and all(
            is_valid_nace(code) and len(code) == 5 for code in org["nace_codes"]
        )
        assert org["cooperation_types"] and set(org["cooperation_types"]) <= cooperation
        assert org["size"] in sizes
        for country in [org["country"], *org["countries_of_interest"]]:
            check_country(country)
        assert org["country"] not in org["countries_of_interest"]
        assert made.meta[org["id"]]["language"] in org["languages"]


def test_at_least_ten_countries_and_five_languages(made: corpus.Corpus) -> None:
    countries = Counter(org["country"] for org in made.organisations)
    languages = Counter(meta["language"] for meta in made.meta.values())
    assert len(countries) >= 10 and min(countries.values()) >= 50
    assert len(languages) >= 5 and min(languages.values()) >= 50
    assert set(languages) == set(phrases.LANGUAGES)  # every table is used
    seekers = Counter(made.meta[s]["language"] for s in made.planted)
    partners = Counter(made.meta[p]["language"] for p in made.planted.values())
    assert len(seekers) >= 5 and len(partners) >= 5


def test_every_planted_pair_is_complementary_both_ways_and_the_only_one(
    made: corpus.Corpus,
) -> None:
    offering: dict[str, set[str]] = {}
    for org_id, meta in made.meta.items():
        for cid in meta["offers"]:
            offering.setdefault(cid, set()).add(org_id)
    for seeker, partner in made.planted.items():
        assert two_way(made, seeker, partner)
        candidates = {o for cid in made.meta[seeker]["needs"] for o in offering.get(cid, ())}
        assert {o for o in candidates if two_way(made, seeker, o)} == {partner}


def test_the_partner_meets_every_other_criterion_of_the_ranking(made: corpus.Corpus) -> None:
    orgs = by_id(made)
    for seeker, partner in made.planted.items():
        s, p = orgs[seeker], orgs[partner]
        assert p["country"] != s["country"]
        assert p["country"] in s["countries_of_interest"]
        assert s["country"] in p["countries_of_interest"]
        assert set(s["cooperation_types"]) & set(p["cooperation_types"])
        assert set(s["nace_codes"]) & set(p["nace_codes"])


def test_planted_partners_never_share_a_sentence_and_reword_the_same_language(
    made: corpus.Corpus,
) -> None:
    orgs = by_id(made)
    for seeker, partner in made.planted.items():
        s, p = orgs[seeker], orgs[partner]
        assert not set(s["offers"] + s["needs"]) & set(p["offers"] + p["needs"])
        need = s["needs"][0]  # the seeker's first need is the one its partner offers
        offer = p["offers"][made.meta[partner]["offers"].index(made.meta[seeker]["needs"][0])]
        assert core(need) != core(offer)


def core(sentence: str) -> str:
    """The sentence without its template's words: the process and object wording."""
    for templates in (phrases.OFFER_TEMPLATES, phrases.NEED_TEMPLATES):
        for language in phrases.LANGUAGES:
            for template in templates[language]:
                head, _, tail = template.partition("{x}")
                if sentence.startswith(head) and sentence.endswith(tail):
                    return sentence[len(head) : len(sentence) - len(tail)]
    raise AssertionError(f"no template fits {sentence!r}")


def test_forty_percent_of_the_pairs_cross_languages(made: corpus.Corpus) -> None:
    crossing = sum(
        made.meta[s]["language"] != made.meta[p]["language"] for s, p in made.planted.items()
    )
    assert crossing == round(corpus.CROSS_LANGUAGE_SHARE * len(made.planted))
    kinds = Counter(
        tuple(sorted((made.meta[s]["language"], made.meta[p]["language"])))
        for s, p in made.planted.items()
    )
    assert sum(1 for a, b in kinds if a != b) >= 10  # many language pairs, not one


def test_each_seeker_has_its_decoys(made: corpus.Corpus) -> None:
    orgs = by_id(made)
    for seeker, partner in made.planted.items():
        need, offer = made.meta[seeker]["needs"][0], made.meta[seeker]["offers"][0]
        s_language = made.meta[seeker]["language"]
        around = decoys(made, seeker)
        assert Counter({role: len(ids) for role, ids in around.items()}) == Counter(
            {"partner": 1, "competitor": 1, "same-sector": 1, "same-words": 1, "one-way": 2}
        )
        (competitor,) = around["competitor"]
        assert made.meta[competitor]["needs"] == [need]
        assert made.meta[competitor]["offers"] == [offer]
        assert core(orgs[competitor]["needs"][0]) == core(orgs[seeker]["needs"][0])
        (sector,) = around["same-sector"]
        assert orgs[sector]["nace_codes"] == orgs[partner]["nace_codes"]
        assert made.meta[sector]["needs"] == [offer]
        (near,) = made.meta[sector]["offers"]
        assert near != need and near.rsplit("/", 1)[0] == need.rsplit("/", 1)[0]
        (words,) = around["same-words"]
        assert made.meta[words]["offers"][0] in (f"training:{need}", f"software:{need}")
        for one_way in around["one-way"]:
            assert need in made.meta[one_way]["offers"]
            assert not set(made.meta[one_way]["needs"]) & set(made.meta[seeker]["offers"])
        alone = [c for c, (lang, *_) in corpus.COUNTRIES.items() if lang == s_language] == [
            orgs[seeker]["country"]
        ]  # nobody abroad writes the seeker's language: its own country stands in
        for decoy in [competitor, sector, words]:
            country = orgs[decoy]["country"]
            assert country in orgs[seeker]["countries_of_interest"] or (
                alone and country == orgs[seeker]["country"]
            )


def test_concepts_are_many_and_offered_by_few(made: corpus.Corpus) -> None:
    every = corpus.concepts()
    assert len(every) >= 150
    offered = Counter(cid for meta in made.meta.values() for cid in meta["offers"])
    assert max(offered.values()) <= len(made.organisations) // 50


@pytest.mark.parametrize("side", ["offer", "need"])
def test_every_concept_has_paraphrases_in_every_language(side: str) -> None:
    for concept in corpus.concepts():
        assert len(concept.process.forms["en"]) >= 3
        for language in phrases.LANGUAGES:
            least = 24 if language == "en" else 8  # templates x process x object wordings
            assert corpus.wordings(concept, language, side) >= least


def test_phrase_lines_name_every_language() -> None:
    with pytest.raises(ValueError, match="lacks"):
        phrases.forms("en: a ; b | fr: c")
    assert phrases.french_elision("usinage de arbres et de boîtiers") == (
        "usinage d'arbres et de boîtiers"
    )


def test_write_gives_the_batch_commands_json(made: corpus.Corpus, tmp_path: Path) -> None:
    made.write(tmp_path / "orgs.json")
    assert json.loads((tmp_path / "orgs.json").read_text(encoding="utf-8")) == made.organisations


def test_the_command_writes_organisations_and_planted_pairs(tmp_path: Path) -> None:
    out, planted = tmp_path / "orgs.json", tmp_path / "planted.json"
    assert (
        corpus.main(["--count", "200", "--seed", "5", "--out", str(out), "--planted", str(planted)])
        == 0
    )
    made = corpus.generate(200, 5)
    assert json.loads(out.read_text(encoding="utf-8")) == made.organisations
    assert json.loads(planted.read_text(encoding="utf-8")) == made.planted


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--count", "5"], "--count must be at least 10"),
        (["--count", "many"], "invalid int value"),
        (["--out", "/nonexistent-dir/orgs.json", "--count", "20"], "cannot write"),
    ],
)
def test_the_command_refuses_bad_input_in_one_line(
    argv: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if "--out" not in argv:
        argv = [*argv, "--out", str(tmp_path / "orgs.json")]
    with pytest.raises(SystemExit) as exit_:
        corpus.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_generate_refuses_a_count_too_small_for_a_pair() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        corpus.generate(9)


def test_the_large_corpus_is_seeded_valid_and_repeats_sentences() -> None:
    assert inspect.signature(corpus.generate_large).parameters["count"].default == 100_000
    large = corpus.generate_large(4000, 11)
    assert large == corpus.generate_large(4000, 11)
    assert len(large.organisations) == 4000 and large.planted == {}
    assert len({org["id"] for org in large.organisations}) == 4000
    assert len({org["country"] for org in large.organisations}) >= 10
    sentences = [text for org in large.organisations for text in org["offers"] + org["needs"]]
    assert len(set(sentences)) < len(sentences)  # drawn from a pool: they repeat
    assert len(set(sentences)) <= corpus.sentence_pool_size()
    for org in large.organisations[:500]:
        assert set(org) == FIELDS
        assert all(is_valid_nace(code) for code in org["nace_codes"])


def test_the_script_writes_the_same_file_whatever_the_hash_seed(tmp_path: Path) -> None:
    """Set iteration order changes with PYTHONHASHSEED; the corpus must not."""
    script = Path(corpus.__file__)
    written = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"orgs-{hash_seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        argv = [sys.executable, str(script), "--count", "300", "--out", str(out)]
        subprocess.run(argv, check=True, env=env, timeout=60)
        written.append(out.read_bytes())
    assert written[0] == written[1]
