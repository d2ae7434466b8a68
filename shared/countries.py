"""Country codes, checked the same way wherever one is given (the API, the CLI)."""

from __future__ import annotations

import iso3166

__all__ = ["check_country"]


def check_country(code: str) -> str:
    """The ISO 3166-1 alpha-2 code as given, or a ValueError saying it is not one."""
    if code not in iso3166.countries_by_alpha2:
        raise ValueError(f"unknown ISO 3166-1 alpha-2 country code {code!r}")
    return code
