"""What partner search reads of an organisation, and the vectors of its sentences.

A profile is matched sentence by sentence: "we need PCB assembly; and ISO 13485 audits"
is two needs, and a result names the one that matched. Offers and needs arrive as one
text (the membership form) or as a list (the batch command); both become sentences.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator

from services.matching.embedding import SentenceModel, Vectors

# a sentence ends at . ! ? ; or a line break (a list typed one item per line, or bullets)
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\s*[\n\r]+\s*|\s*[•·]\s*")
LIST_MARK = re.compile(r"^\s*(?:[-*\u2013]|\d+[.)])\s+")
MAX_SENTENCES = 12  # per side: a long brochure is cut, the first sentences say most


def split_sentences(text: str | Sequence[str] | None) -> list[str]:
    """The sentences of a text or of a list of texts, stripped, empty ones dropped."""
    if text is None:
        return []
    parts = [text] if isinstance(text, str) else list(text)
    sentences = []
    for part in parts:
        for piece in SENTENCE_END.split(str(part)):
            sentence = LIST_MARK.sub("", piece).strip(" \t;")
            if sentence:
                sentences.append(sentence)
    return sentences[:MAX_SENTENCES]


class PartnerProfile(BaseModel):
    """One organisation as ranking sees it; unknown fields are ignored (the batch format)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str  # the key in an index: the service uses "{network}/{organisation id}"
    network: str = ""
    legal_name: str = ""
    country: str = ""
    city: str | None = None
    nace_codes: list[str] = []
    technologies: list[str] = []
    offers: list[str] = []
    needs: list[str] = []
    cooperation_types: list[str] = []
    countries_of_interest: list[str] = []
    languages: list[str] = []
    size: str | None = None

    @field_validator("offers", "needs", mode="before")
    @classmethod
    def _sentences(cls, value: Any) -> list[str]:
        return split_sentences(value)

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> str:
        return str(value or "").strip().upper()

    @field_validator("countries_of_interest", mode="before")
    @classmethod
    def _countries(cls, value: Any) -> list[str]:
        return [str(code).strip().upper() for code in value or []]

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> str:
        return str(value)


@dataclass(frozen=True)
class ProfileVectors:
    """The vectors of a profile's offer and need sentences (rows in order)."""

    offers: Vectors
    needs: Vectors

    def to_document(self) -> dict[str, Any]:
        """Stored as raw float32 bytes: a restart rebuilds the index without the model."""
        return {
            "dimensions": int(self.offers.shape[-1]),
            "offers": self.offers.astype(np.float32).tobytes(),
            "needs": self.needs.astype(np.float32).tobytes(),
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> ProfileVectors:
        """A stored document's vectors (one stored before may still hold a "whole" row:
        nothing reads it)."""
        dimensions = int(document["dimensions"])

        def rows(raw: bytes) -> Vectors:
            return np.frombuffer(bytes(raw), dtype=np.float32).reshape(-1, dimensions)

        return cls(rows(document["offers"]), rows(document["needs"]))


def embed_profiles(
    model: SentenceModel, profiles: Sequence[PartnerProfile]
) -> list[ProfileVectors]:
    """Every profile's sentences in two calls to the model (batching is what makes it fast).

    Needs are read as e5 *queries* and offers as *passages*: the model was trained to
    place a question near the passage that answers it, which is what a need and the offer
    that meets it are (docs/matching.md, "Quality").
    """
    needs = model.queries([sentence for profile in profiles for sentence in profile.needs])
    offers = model.passages([sentence for profile in profiles for sentence in profile.offers])
    embedded, need_row, offer_row = [], 0, 0
    for profile in profiles:
        embedded.append(
            ProfileVectors(
                offers[offer_row : offer_row + len(profile.offers)],
                needs[need_row : need_row + len(profile.needs)],
            )
        )
        offer_row += len(profile.offers)
        need_row += len(profile.needs)
    return embedded
