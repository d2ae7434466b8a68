"""The interface catalogues: French and Spanish translate every message of every page.

Messages are extracted from the sources the way ``babel.cfg`` says (docs/web.md), so a
new message without its translations fails here, as does a translation that drops or
renames a placeholder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "shared/web",
    "services/membership",
    "services/portal",
    "services/hub",
    "services/events",
    "services/news",
    "services/matching",
)
TRANSLATED = ("fr", "es")
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def messages(package: str) -> set[str | tuple[str, ...]]:
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / package, METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("package", PACKAGES)
def test_every_message_is_translated(package: str, language: str) -> None:
    path = ROOT / package / "locales" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    missing, broken = [], []
    for message in sorted(messages(package), key=str):
        key = message if isinstance(message, str) else message[0]
        entry = catalogue.get(key)
        strings = (
            [entry.string]
            if entry and isinstance(entry.string, str)
            else list(entry.string if entry else [])
        )
        if entry is None or entry.fuzzy or not all(strings) or not strings:
            missing.append(key)
            continue
        wanted = sorted(PLACEHOLDER.findall(key if isinstance(message, str) else message[-1]))
        if any(sorted(set(PLACEHOLDER.findall(s))) != sorted(set(wanted)) for s in strings):
            broken.append(key)
    assert missing == [], f"{len(missing)} messages of {package} lack a {language} translation"
    assert broken == [], f"translations that change placeholders: {broken}"
