"""Interface languages: gettext message catalogues (Babel), chosen for each request.

English is the source language; each catalogue directory (the web layer's own, and one
per service that has pages) holds ``<lang>/LC_MESSAGES/messages.po``. They are compiled
in memory at start and merged, so a service adds its strings without the web layer
knowing them. A request's language comes from, in order: ``?lang=``, the ``lang`` cookie
(set by the switcher), ``Accept-Language``, English.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import negotiate_locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "fr", "es")  # complete catalogues; the switcher offers these
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}
CATALOGUE_FILE = Path("LC_MESSAGES") / "messages.po"


@dataclass(frozen=True)
class Language:
    """One interface language: its locale (for dates and numbers) and its messages."""

    code: str
    locale: Locale
    translations: NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)

    def date(self, value: date | datetime | str | None, style: str = "medium") -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):  # ISO 8601, as events carry times
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return str(value)
        if isinstance(value, datetime):
            return format_datetime(value, style, locale=self.locale)
        return format_date(value, style, locale=self.locale)

    def number(self, value: float | int) -> str:
        return format_decimal(value, locale=self.locale)


def load_languages(directories: Sequence[Path]) -> dict[str, Language]:
    """Every interface language, its catalogues merged from each directory that has one."""
    languages: dict[str, Language] = {}
    for code in LANGUAGES:
        translations: NullTranslations = NullTranslations()
        if code != SOURCE_LANGUAGE:
            merged: Translations | None = None
            for directory in directories:
                path = directory / code / CATALOGUE_FILE
                if path.exists():
                    compiled = _compile(path)
                    merged = compiled if merged is None else merged.merge(compiled)
            translations = merged or NullTranslations()
        languages[code] = Language(code, Locale.parse(code), translations)
    return languages


def _compile(po_file: Path) -> Translations:
    """A .po catalogue as gettext translations, compiled in memory (no .mo files kept)."""
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=po_file.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def choose_language(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The language of one request (see the module docstring)."""
    for explicit in (query, cookie):
        if explicit in LANGUAGES:
            return explicit
    wanted = accepted_languages(accept_language or "")
    return negotiate_locale(wanted, list(LANGUAGES), sep="-") or SOURCE_LANGUAGE


def accepted_languages(header: str) -> list[str]:
    """Accept-Language's tags, best first (``fr-CH, fr;q=0.9, en;q=0.8`` → fr-CH, fr, en)."""
    tags: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            with contextlib.suppress(ValueError):
                quality = float(params.strip()[2:])
        if tag and tag != "*" and quality > 0:
            tags.append((-quality, index, tag.strip()))
    ordered = [tag for _, _, tag in sorted(tags)]
    # "fr-CH" alone should still find "fr": add each tag's language after the tags
    return ordered + [tag.split("-")[0] for tag in ordered if "-" in tag]


def is_language(code: str) -> bool:
    try:
        Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return False
    return True


_current: ContextVar[Language | None] = ContextVar("interface_language", default=None)


@contextlib.contextmanager
def speaking(language: Language) -> Iterator[None]:
    """Render in ``language``: templates' ``_()`` and formatting read it from here."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Language | None:
    return _current.get()


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it here (at import time)."""
    return message


def gettext(message: str) -> str:
    language = _current.get()
    return language.gettext(message) if language else message


def ngettext(singular: str, plural: str, count: int) -> str:
    language = _current.get()
    if language:
        return language.ngettext(singular, plural, count)
    return singular if count == 1 else plural
