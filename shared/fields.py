"""Field types every service's input models share: text without NUL, tags, http(s) URLs,
country codes and NACE codes.

One definition each, so that the same kind of field is refused with the same reason
whichever service's form or API receives it (a NUL would end a C string in the store,
a ``javascript:`` URL would run in a reader's browser).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
)

from shared.countries import check_country
from shared.errors import shorten
from shared.nace import is_valid_nace, normalise_nace


def refuse_nul(value: Any) -> Any:
    """No text field takes a NUL character (strings, and strings in lists; nested models
    check their own fields)."""
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(text, str) and "\x00" in text for text in texts):
        raise ValueError("must not contain NUL characters")
    return value


def same_email(a: str, b: str) -> bool:
    """E-mail addresses as people write them: case and surrounding spaces do not count
    (a contact and a GDPR erasure name the same person whichever way they were typed)."""
    return a.strip().casefold() == b.strip().casefold()


def lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def http_url(value: str) -> str:
    """An http(s) URL, kept as written (pydantic checks its shape)."""
    scheme = value.split(":", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise ValueError(
            f"{shorten(value, 80)!r} is not an http(s) URL such as https://example.com"
        )
    AnyHttpUrl(value)
    return value


Url = Annotated[
    str,
    BeforeValidator(refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, max_length=2000),
    AfterValidator(http_url),
]
Tag = Annotated[
    str,
    BeforeValidator(lower),
    BeforeValidator(refuse_nul),
    StringConstraints(strict=True, min_length=1, max_length=80),
]


def nace_code(code: str) -> str:
    """A NACE Rev. 2.1 division, group or class, written canonically ("6201" → "62.01")."""
    canonical = normalise_nace(code)
    if not is_valid_nace(canonical):
        raise ValueError(f"unknown NACE Rev. 2.1 division, group or class {shorten(code, 20)!r}")
    return canonical


CountryCode = Annotated[
    str,
    BeforeValidator(upper),
    StringConstraints(strict=True, max_length=2),
    AfterValidator(check_country),
]
NaceCode = Annotated[str, StringConstraints(strict=True, max_length=8), AfterValidator(nace_code)]


class Input(BaseModel):
    """Unknown fields are refused, so a typo is a clear 422, not silently dropped data."""

    model_config = ConfigDict(extra="forbid")
