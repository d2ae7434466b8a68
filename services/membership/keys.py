"""Keys under which an organisation is recognised: cross-membership and duplicates.

An organisation is the same across networks when its VAT number, its website host, or
its name without legal form match. Pure rules, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from types import ModuleType
from urllib.parse import urlsplit

from services.membership.domain import (
    VAT_SHAPE,
    Duplicate,
    Organization,
    OrganizationDraft,
    normalise_vat,
)

_LEGAL_FORMS = frozenset(
    {
        "srl",
        "sa",
        "sas",
        "gmbh",
        "ltd",
        "sp z oo",
        "sl",
        "as",
        "sro",
        "kft",
        "ad",
        "eood",
        "ood",
        "uab",
        "sia",
        "bv",
        "spa",
        "zrt",
        "nv",
        "oy",
        "ab",
    }
)
_PREFIX_FORMS = frozenset({"uab", "sia", "as", "ab"})  # written before the name in LT/LV/EE/SE
_LONGEST_FORM = max(len(form.split()) for form in _LEGAL_FORMS)
_SCRIPTLESS = ("COMMON", "INHERITED", "Unknown")  # digits, spaces, punctuation, marks


def normalise_name(name: str) -> str:
    """Casefolded, accent- and punctuation-free name without its legal form.

    Invisible characters (zero-width spaces and joiners, soft hyphens) are dropped, and a
    name mixing scripts is read in its main script, so "Acme" typed with a Cyrillic
    capital A (U+0410) is the Latin "acme" (see ``_one_script``).
    """
    decomposed = unicodedata.normalize("NFKD", name)
    plain = (  # no ASCII character is a combining mark: most names skip the filter
        decomposed if decomposed.isascii() else _one_script(_visible(decomposed))
    ).casefold()
    plain = re.sub(r"[.'\u2019]", "", plain)  # "s.r.l." -> "srl", "o'neil" -> "oneil"
    words = re.sub(r"[\W_]+", " ", plain).split()
    changed = True
    while changed and len(words) > 1:
        changed = False
        for size in range(min(_LONGEST_FORM, len(words) - 1), 0, -1):
            if " ".join(words[-size:]) in _LEGAL_FORMS:
                words, changed = words[:-size], True
                break
        if not changed and len(words) > 1 and words[0] in _PREFIX_FORMS:
            words, changed = words[1:], True
    return " ".join(words)


def _visible(text: str) -> str:
    """Without combining marks (accents, once decomposed) and format characters (Cf: zero-
    width space and joiners, soft hyphen, byte order mark, direction marks)."""
    return "".join(
        ch for ch in text if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"
    )


def _one_script(text: str) -> str:
    """Letters of other scripts that look like letters of the name's main script become
    those (UTS #39 confusables, from confusable-homoglyphs), before case is folded
    (capitals have the closer look-alikes): "Acme" with a Cyrillic capital A reads "Acme".
    A name in one script (Latin, Cyrillic, Greek…) is left as it is.
    """
    from confusable_homoglyphs import categories, confusables  # reads its tables on first use

    scripts = Counter(script for script in map(categories.alias, text) if script not in _SCRIPTLESS)
    if len(scripts) < 2:
        return text
    main = max(scripts, key=lambda script: (scripts[script], script == "LATIN"))
    return "".join(
        ch if categories.alias(ch) in (main, *_SCRIPTLESS) else _lookalike(ch, main, confusables)
        for ch in text
    )


def _lookalike(ch: str, script: str, confusables: ModuleType) -> str:
    """The character of ``script`` that ``ch`` is confusable with, else ``ch`` itself."""
    from confusable_homoglyphs import categories

    for homoglyph in confusables.confusables_data.get(ch, ()):
        glyph = homoglyph["c"]
        if all(categories.alias(g) == script for g in glyph):
            return str(glyph)
    return ch


def _vat_key(vat: str | None) -> str | None:
    normalised = normalise_vat(vat) if vat else ""
    return f"vat:{normalised}" if VAT_SHAPE.fullmatch(normalised) else None


def _web_key(website: str | None) -> str | None:
    text = (website or "").strip()
    if not text or re.search(r"\s", text):
        return None
    try:
        host = urlsplit(text if "://" in text else f"http://{text}").hostname or ""
    except ValueError:  # e.g. "acme[ro": not a web address, so no web key
        return None
    host = host.removeprefix("www.").rstrip(".")
    return f"web:{host}" if "." in host else None


def match_keys(legal_name: str, vat: str | None, website: str | None) -> set[str]:
    """Keys under which an organisation can be found from another network's replica."""
    name = normalise_name(legal_name)
    keys = {_vat_key(vat), _web_key(website), f"name:{name}" if name else None}
    return {key for key in keys if key}


def query_keys(q: str) -> set[str]:
    """Read one free query ("RO 123", "acme.ro", "Acme SRL") as every key it may mean."""
    keys: set[str] = set()
    vat = _vat_key(q)
    if vat and any(ch.isdigit() for ch in vat):  # every EU VAT number has digits
        keys.add(vat)
    web = _web_key(q)
    if web:
        keys.add(web)
    name = "" if "://" in q or q.strip().lower().startswith("www.") else normalise_name(q)
    if name:
        keys.add(f"name:{name}")
    return keys


def duplicate_key(draft: OrganizationDraft) -> str:
    """The key that must be unique among one node's live organisations: VAT, else name+country."""
    return _vat_key(draft.vat) or f"name:{draft.country}:{normalise_name(draft.legal_name)}"


def duplicate_keys(draft: OrganizationDraft) -> set[str]:
    """The duplicate key as a set, for code that checks several at once."""
    return {duplicate_key(draft)}


class DuplicateIndex:
    """Which live organisation holds each duplicate key, for checking many drafts at once."""

    def __init__(self, live: Iterable[Organization] = ()) -> None:
        self._holders: dict[str, str] = {}
        for org in live:
            self.add(org)

    def add(self, org: Organization) -> None:
        if not org.deleted:
            for key in duplicate_keys(org):
                self._holders.setdefault(key, org.id)

    def check(self, draft: OrganizationDraft, own_id: str | None = None) -> None:
        """Raise Duplicate if another live organisation (not ``own_id``) has a key of ``draft``."""
        for key in sorted(duplicate_keys(draft)):
            holder = self._holders.get(key)
            if holder is not None and holder != own_id:
                field = "vat" if draft.vat else "legal_name"
                raise Duplicate(f"organisation {holder!r} is already registered with it", field)


def check_duplicate(
    draft: OrganizationDraft, live: Iterable[Organization], own_id: str | None = None
) -> None:
    """Raise Duplicate if another live organisation (not `own_id`) shares a duplicate key."""
    DuplicateIndex(live).check(draft, own_id)
