"""NACE sector codes, the alliance's shared vocabulary of sectors.

Checked against Eurostat's list bundled with `naceconverter`.

The bundled list is NACE **Rev. 2.1** (sections A-V; e.g. computer programming is
62.10, where Rev. 2 had 62.01). It also carries a fifth, national level ("62.100"),
which is not NACE and is ignored here. Organisations are classified at division
("62"), group ("62.1") or class ("62.10") level; section letters are too coarse to
describe an organisation and are only known to `nace_title`.

The file is read once, on first use, never at import time.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import re

__all__ = ["is_valid_nace", "nace_divisions", "nace_title", "normalise_nace"]

_ORGANISATION_LEVELS = frozenset({2, 3, 4})
_SECTION_LEVEL = 1
_DIGITS_ONLY = re.compile(r"\d{2,4}")


@functools.cache
def _table() -> dict[str, tuple[int, str]]:
    """Code -> (level, title) for sections, divisions, groups and classes."""
    data = importlib.resources.files("naceconverter") / "nacecodes.csv"
    text = data.read_text(encoding="utf-8")
    table: dict[str, tuple[int, str]] = {}
    for row in csv.DictReader(text.splitlines(), delimiter=";"):
        level = int(row["level"])
        if level == _SECTION_LEVEL or level in _ORGANISATION_LEVELS:
            table[row["code"]] = (level, row["name"])
    return table


def normalise_nace(code: str) -> str:
    """Bring a code as people type it ("6210", " 62.10 ") to the canonical dotted form.

    Only digit codes are rewritten; anything else comes back stripped but unchanged, so
    that `is_valid_nace` can reject it with the user's own spelling.
    """
    cleaned = code.strip().replace(" ", "")
    if _DIGITS_ONLY.fullmatch(cleaned) and len(cleaned) > 2:
        return f"{cleaned[:2]}.{cleaned[2:]}"
    return cleaned


def is_valid_nace(code: str) -> bool:
    """True for a canonical division, group or class code that exists in NACE Rev. 2.1."""
    entry = _table().get(code)
    return entry is not None and entry[0] in _ORGANISATION_LEVELS


def nace_title(code: str) -> str | None:
    """The English title of a canonical code (sections included, e.g. "J"), for display."""
    entry = _table().get(code)
    return entry[1] if entry else None


def nace_divisions() -> list[tuple[str, str]]:
    """Every NACE division (code, English title), for choosing a sector by its name."""
    return sorted((code, title) for code, (level, title) in _table().items() if level == 2)
