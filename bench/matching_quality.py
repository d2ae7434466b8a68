"""Quality of partner search: does a seeker find its planted partner, and how high?

Prints one JSON line. The evaluation set is ``bench/matching_corpus.py``
(``generate(count, seed)``: organisations in the batch command's format, and
``planted``: seeker id → the partner planted for it, whose offer meets the seeker's need
in other words, for a share of pairs in another language, among decoys that share words
or sectors). For every seeker, three rankings of all other organisations:

- ``service``: ``PartnerIndex.search``, the code the service and the batch command run;
- ``tfidf``: TF-IDF cosine (scikit-learn, fitted on every need and offer) of the seeker's
  needs against the candidate's offers plus its offers against the candidate's needs;
- ``whole``: the cosine of whole-profile vectors (name, technologies, offers and needs as
  one passage) of the same model.

Figures: recall@1/10/50 (share of seekers whose partner is in the first k) and MRR (the
mean of 1/rank, 0 beyond 50), overall and per ``pair`` kind when the corpus names them
(same-language / cross-language); ``ratios`` divide the service's by each baseline's.
Embedding is the slow part (~80 sentences/s): ``--cache FILE`` keeps the vectors of
every distinct text between runs (the model and the texts decide them).

Usage:
    python bench/matching_quality.py [--count 3000] [--seed 7] [--cache /tmp/e5.npz]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from services.matching.embedding import SentenceModel, Vectors, load_model
from services.matching.profiles import PartnerProfile, ProfileVectors, embed_profiles
from services.matching.ranking import PartnerIndex

DEPTH = 50
Ranker = Callable[[int], list[int]]  # seeker position → candidate positions, best first


class CachedModel:
    """A model whose vectors of each distinct text are computed once (and kept on disk)."""

    def __init__(self, model: SentenceModel, path: Path | None = None) -> None:
        self.name, self.dimensions = model.name, model.dimensions
        self._model, self._path = model, path
        self._known: dict[str, np.ndarray] = {}
        if path is not None and path.exists():
            stored = np.load(path, allow_pickle=False)
            self._known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode("passage", texts, self._model.passages)

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode("query", texts, self._model.queries)

    def _encode(
        self, kind: str, texts: Sequence[str], encode: Callable[[Sequence[str]], Vectors]
    ) -> Vectors:
        keys = [f"{kind}\x00{text}" for text in texts]
        missing = sorted({key for key in keys if key not in self._known})
        if missing:
            fresh = encode([key.split("\x00", 1)[1] for key in missing])
            self._known.update(zip(missing, fresh, strict=True))
        if not keys:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([self._known[key] for key in keys]).astype(np.float32)

    def save(self) -> None:
        if self._path is not None and self._known:
            keys = list(self._known)
            np.savez(self._path, keys=np.array(keys), vectors=np.stack(list(self._known.values())))


def rank_of(ranked: Sequence[int], wanted: int) -> int | None:
    """1-based place of ``wanted`` among the first DEPTH of ``ranked``, None when absent."""
    for place, position in enumerate(ranked[:DEPTH], start=1):
        if position == wanted:
            return place
    return None


def figures(ranks: Sequence[int | None]) -> dict[str, float]:
    """recall@1/10/50 and MRR (reciprocal rank, 0 beyond DEPTH) of the planted partners."""
    count = max(1, len(ranks))
    found = [rank for rank in ranks if rank is not None]
    return {
        "recall@1": round(sum(rank <= 1 for rank in found) / count, 4),
        "recall@10": round(sum(rank <= 10 for rank in found) / count, 4),
        "recall@50": round(sum(rank <= 50 for rank in found) / count, 4),
        "mrr": round(sum(1 / rank for rank in found) / count, 4),
    }


def service_ranker(profiles: list[PartnerProfile], vectors: list[ProfileVectors]) -> Ranker:
    """The service's own search over an index of every profile."""
    index = PartnerIndex(vectors[0].offers.shape[-1])
    for profile, rows in zip(profiles, vectors, strict=True):
        index.upsert(profile, rows)
    position = {profile.id: number for number, profile in enumerate(profiles)}

    def rank(seeker: int) -> list[int]:
        found = index.search(profiles[seeker], vectors[seeker], top=DEPTH)
        return [position[match.id] for match in found]

    return rank


def _top(scores: np.ndarray, seeker: int) -> list[int]:
    scores = scores.astype(np.float64).copy()
    scores[seeker] = -np.inf
    best = np.arange(len(scores))
    if len(scores) > DEPTH:
        best = np.argpartition(-scores, DEPTH)[:DEPTH]
    return [int(p) for p in best[np.argsort(-scores[best], kind="stable")] if p != seeker]


def tfidf_ranker(profiles: list[PartnerProfile]) -> Ranker:
    """TF-IDF cosine, both ways: needs against offers plus offers against needs."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    needs = [" ".join(profile.needs) for profile in profiles]
    offers = [" ".join(profile.offers) for profile in profiles]
    vectorizer = TfidfVectorizer(sublinear_tf=True).fit(needs + offers)
    need_rows, offer_rows = vectorizer.transform(needs), vectorizer.transform(offers)

    def rank(seeker: int) -> list[int]:
        scores = (need_rows[seeker] @ offer_rows.T + offer_rows[seeker] @ need_rows.T).toarray()[0]
        return _top(scores, seeker)

    return rank


def whole_text(profile: PartnerProfile) -> str:
    """The profile as one text: what the whole-profile baseline embeds."""
    return " ".join([profile.legal_name, *profile.technologies, *profile.offers, *profile.needs])


def whole_ranker(profiles: list[PartnerProfile], model: SentenceModel) -> Ranker:
    """Plain cosine of whole-profile vectors (the service embeds no whole profile: only
    this baseline reads one)."""
    whole = model.passages([whole_text(profile) for profile in profiles])
    return lambda seeker: _top(whole @ whole[seeker], seeker)


def evaluate(
    organisations: Sequence[Mapping[str, Any]],
    planted: Mapping[str, str],
    model: SentenceModel,
    pairs: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Every method's figures on the planted pairs (and per kind of pair when given)."""
    profiles = [PartnerProfile.model_validate(organisation) for organisation in organisations]
    started = time.perf_counter()
    vectors = embed_profiles(model, profiles)
    embedded = time.perf_counter() - started
    position = {profile.id: number for number, profile in enumerate(profiles)}
    rankers = {
        "service": service_ranker(profiles, vectors),
        "tfidf": tfidf_ranker(profiles),
        "whole": whole_ranker(profiles, model),
    }
    result: dict[str, Any] = {"organisations": len(profiles), "seekers": len(planted)}
    for name, rank in rankers.items():
        ranks = {s: rank_of(rank(position[s]), position[p]) for s, p in planted.items()}
        result[name] = figures(list(ranks.values()))
        for kind in sorted(set((pairs or {}).values())):
            chosen = [ranks[s] for s in planted if (pairs or {}).get(s) == kind]
            result[name][kind] = figures(chosen)
    result["ratios"] = {
        baseline: {
            key: round(result["service"][key] / result[baseline][key], 3)
            if result[baseline][key]
            else None
            for key in ("recall@1", "recall@10", "recall@50", "mrr")
        }
        for baseline in ("tfidf", "whole")
    }
    result["embedding_seconds"] = round(embedded, 1)
    return result


def pair_kinds(planted: Mapping[str, str], meta: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Seeker → "same_language" or "cross_language", from the languages the corpus wrote in."""
    return {
        seeker: "same_language"
        if meta[seeker]["language"] == meta[partner]["language"]
        else "cross_language"
        for seeker, partner in planted.items()
    }


def main(count: int, seed: int, cache: Path | None) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # the corpus imports its tables
    from matching_corpus import generate

    corpus = generate(count=count, seed=seed)
    model = CachedModel(load_model(), cache)
    pairs = pair_kinds(corpus.planted, corpus.meta)
    result = evaluate(corpus.organisations, corpus.planted, model, pairs)
    model.save()
    return {"bench": "matching_quality", "model": model.name, "seed": seed, **result}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    print(json.dumps(main(args.count, args.seed, args.cache)))
