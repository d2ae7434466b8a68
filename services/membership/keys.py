"""Keys under which an organisation is recognised: cross-membership and duplicates.

An organisation is the same across networks when its VAT number, its website host, or
its name without legal form match. Pure rules, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
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


def normalise_name(name: str) -> str:
    """Casefolded, accent- and punctuation-free name without its legal form."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = (  # no ASCII character is a combining mark: most names skip the filter
        decomposed
        if decomposed.isascii()
        else "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )
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
