"""NACE sector codes, the alliance's shared vocabulary of sectors.

Checked against Eurostat's list bundled with `naceconverter`.

The bundled list is NACE **Rev. 2.1** (sections A-V; e.g. computer programming is
62.10, where Rev. 2 had 62.01). It also carries a fifth, national level ("62.100"),
which is not NACE and is ignored here. Organisations are classified at division
("62"), group ("62.1") or class ("62.10") level; section letters are too coarse to
describe an organisation and are only known to `nace_title`.

The file is read once, on first use, never at import time.

Member lists still carry NACE **Rev. 2** codes. A code that is not a Rev. 2.1 code but a
Rev. 2 code in ``REV2_TO_REV21`` is converted when it has one Rev. 2.1 counterpart, and
refused, naming the candidates, when it was split into several. A code valid in both
revisions is read as Rev. 2.1 (what is stored). ``naceconverter`` ships no correspondence,
so the table is ours: the Rev. 2 classes and groups that left the classification, as in
Eurostat's NACE Rev. 2 - Rev. 2.1 correspondence, for the sectors cluster members work in
(ICT, R&D, consultancy, design, education). A Rev. 2 code outside it is refused like any
unknown code; complete the table from Eurostat's correspondence to convert more.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import re

__all__ = [
    "REV2_TO_REV21",
    "is_valid_nace",
    "nace_divisions",
    "nace_title",
    "normalise_nace",
    "rev21_of_rev2",
]

_ORGANISATION_LEVELS = frozenset({2, 3, 4})
_SECTION_LEVEL = 1
_DIGITS_ONLY = re.compile(r"\d{2,4}")

REV2_TO_REV21: dict[str, tuple[str, ...]] = {
    "61.30": ("61.10",),  # satellite telecommunications
    "62.0": ("62.1", "62.2", "62.9"),  # computer programming, consultancy and related
    "62.01": ("62.10",),  # computer programming
    "62.02": ("62.20",),  # computer consultancy
    "62.03": ("62.20",),  # computer facilities management
    "62.09": ("62.90",),  # other information technology and computer services
    "63.11": ("63.10",),  # data processing, hosting and related activities
    "63.12": ("63.91", "60.39"),  # web portals: search portals, other content distribution
    "63.99": ("63.92",),  # other information service activities n.e.c.
    "70.21": ("73.30",),  # public relations and communication
    "70.22": ("70.20",),  # business and other management consultancy
    "72.11": ("72.10",),  # research and experimental development on biotechnology
    "72.19": ("72.10",),  # other research on natural sciences and engineering
    "74.10": ("74.11", "74.12", "74.13", "74.14"),  # specialised design
    "74.90": ("74.91", "74.99"),  # other professional, scientific and technical n.e.c.
    "85.41": ("85.33",),  # post-secondary non-tertiary education
    "85.42": ("85.40",),  # tertiary education
}


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


def rev21_of_rev2(code: str) -> tuple[str, ...]:
    """The Rev. 2.1 code(s) of a canonical Rev. 2 code that is not itself Rev. 2.1, or ()."""
    return () if is_valid_nace(code) else REV2_TO_REV21.get(code, ())


def nace_title(code: str) -> str | None:
    """The English title of a canonical code (sections included, e.g. "J"), for display."""
    entry = _table().get(code)
    return entry[1] if entry else None


def nace_divisions() -> list[tuple[str, str]]:
    """Every NACE division (code, English title), for choosing a sector by its name."""
    return sorted((code, title) for code, (level, title) in _table().items() if level == 2)
