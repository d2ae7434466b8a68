"""Words to search by: the same normalisation for what is stored and what is asked.

A record's search words are stored beside it (an indexed array), and a query matches
the records holding all of its words; case, accents and punctuation do not matter
("Braşov" finds "BRASOV"). Used where no full-text index serves: replicas of other
networks' records, whose data lives in a nested document.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]{2,}")
MAX_WORDS = 64  # keeps a record's index entries bounded


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if decomposed.isascii():
        return decomposed
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_words(*texts: str | None) -> list[str]:
    """The distinct words (two letters or more) of the texts, normalised, in order."""
    words: dict[str, None] = {}
    for text in texts:
        for word in _WORD.findall(_plain(text or "")):
            words.setdefault(word, None)
            if len(words) >= MAX_WORDS:
                return list(words)
    return list(words)
