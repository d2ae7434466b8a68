"""VAT numbers, checked per country with python-stdnum (lengths, formats, check digits).

A VAT number starts with its country's prefix: the ISO code, but ``EL`` for Greece and
``XI`` for Northern Ireland. EU numbers are checked by ``stdnum.eu.vat``; other
countries' by stdnum's module for that country, where it has one (GB, CH, NO, IS, RS,
TR…). A prefix stdnum knows no VAT number for is refused. Pure rules, no I/O.
"""

from __future__ import annotations

import functools
from types import ModuleType

import iso3166
import stdnum
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from shared.errors import shorten

__all__ = ["VAT_FORMATS", "check_vat"]

# What each country's number looks like after its prefix (the European Commission's VIES
# formats), for an error message a person can act on.
VAT_FORMATS: dict[str, str] = {
    "AT": "U and 8 digits",
    "BE": "10 digits, the first 0 or 1",
    "BG": "9 or 10 digits",
    "CY": "8 digits and a letter",
    "CZ": "8, 9 or 10 digits",
    "DE": "9 digits",
    "DK": "8 digits",
    "EE": "9 digits",
    "EL": "9 digits",
    "ES": "9 characters: a letter or digit, 7 digits, a letter or digit",
    "FI": "8 digits",
    "FR": "2 letters or digits, then 9 digits",
    "HR": "11 digits",
    "HU": "8 digits",
    "IE": "8 or 9 characters: 7 digits and 1 or 2 letters",
    "IT": "11 digits",
    "LT": "9 or 12 digits",
    "LU": "8 digits",
    "LV": "11 digits",
    "MT": "8 digits",
    "NL": "9 digits, B and 2 digits",
    "PL": "10 digits",
    "PT": "9 digits",
    "RO": "2 to 10 digits",
    "SE": "12 digits, ending in 01",
    "SI": "8 digits",
    "SK": "10 digits",
    "XI": "9 or 12 digits",
    "GB": "9 or 12 digits",
    "CH": "E and 9 digits, then MWST, TVA or IVA",
    "NO": "9 digits and MVA",
}
_NOT_ISO = {"EL": "Greece", "XI": "Northern Ireland"}


@functools.cache
def _validator(prefix: str) -> ModuleType | None:
    """stdnum's module checking VAT numbers with this prefix, if it has one."""
    if prefix.lower() in eu_vat.MEMBER_STATES or prefix == "EL":
        return eu_vat
    found = stdnum.get_cc_module(prefix.lower(), "vat")
    return found if isinstance(found, ModuleType) else None


def _country(prefix: str) -> str:
    known = iso3166.countries_by_alpha2.get(prefix)
    return _NOT_ISO.get(prefix) or (known.name if known else prefix)


def _expected(prefix: str) -> str:
    shape = VAT_FORMATS.get(prefix)
    return f"; expected {prefix} and {shape}" if shape else ""


def check_vat(vat: str) -> str:
    """The VAT number (upper case, no separators) if valid for its country, else why not."""
    prefix = vat[:2]
    module = _validator(prefix) if prefix.isalpha() else None
    shown = shorten(vat, 40)
    if module is None:
        raise ValueError(
            f"{shown!r} does not start with the country prefix of a VAT number "
            "(e.g. RO, DE, FR; EL for Greece)"
        )
    try:
        _validate(module, vat)
    except ValidationError as exc:
        why = str(exc).rstrip(".")
        raise ValueError(
            f"{shown!r} is not a valid VAT number of {_country(prefix)}: "
            f"{why[:1].lower()}{why[1:]}{_expected(prefix)}"
        ) from exc
    return vat


def _validate(module: ModuleType, vat: str) -> None:
    """Some countries' modules take the number with its prefix, others without it."""
    try:
        module.validate(vat)
    except ValidationError:
        if module is eu_vat:
            raise
        module.validate(vat[2:])
