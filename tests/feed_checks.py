"""Checks every feed test makes: the document parses with feedparser and is valid.

Atom against RFC 4287's RELAX NG schema (``tests/schemas/atom.rng``) and the two rules
the RFC states in Schematron (RELAX NG does not check them); JSON Feed against the JSON
Feed 1.1 JSON schema (``tests/schemas/jsonfeed-1.1.schema.json``). Sources:
``tests/schemas/README.md``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
from lxml import etree

SCHEMAS = Path(__file__).parent / "schemas"
ATOM = "{http://www.w3.org/2005/Atom}"


@cache
def _atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))


@cache
def _json_feed_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / "jsonfeed-1.1.schema.json").read_text())
    return schema


def atom_errors(document: bytes) -> list[str]:
    """What makes ``document`` invalid Atom (empty: valid)."""
    root = etree.fromstring(document)
    schema = _atom_schema()
    if not schema.validate(root):
        return [str(error) for error in schema.error_log]
    errors = []
    feed_author = root.find(f"{ATOM}author") is not None
    for entry in root.iter(f"{ATOM}entry"):
        if not feed_author and entry.find(f"{ATOM}author") is None:
            errors.append("an entry without an author in a feed without one")
        alternate = [
            link
            for link in entry.iter(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        if not alternate and entry.find(f"{ATOM}content") is None:
            errors.append("an entry with neither an alternate link nor content")
    return errors


def parsed_atom(document: bytes) -> Any:
    """The Atom document, checked valid, as feedparser reads it."""
    assert atom_errors(document) == []
    parsed = feedparser.parse(document)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def parsed_json_feed(document: bytes) -> dict[str, Any]:
    """The JSON Feed document, checked valid against the JSON Feed 1.1 schema."""
    feed: dict[str, Any] = json.loads(document)
    jsonschema.validate(feed, _json_feed_schema())
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    return feed
