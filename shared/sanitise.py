"""Rich text a network writes, made safe to show anywhere: nh3 (the Rust ``ammonia``
sanitiser) keeps an allow-list of tags and attributes and drops everything else.

The owner sanitises a body before storing it and says what it removed (the answer to
the writer names it, so nothing disappears silently); a reader sanitises again before
showing another node's HTML, as it never trusts what arrives from the bus.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3

TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "cite", "code", "em", "figcaption", "figure",
        "h2", "h3", "h4", "hr", "i", "img", "li", "ol", "p", "pre", "q", "s", "small",
        "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "*": {"lang"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# dropped with everything inside them, not just their tags
CLEAN_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript"})


@dataclass(frozen=True)
class Sanitised:
    """The safe HTML, and what was removed from the original (empty if nothing)."""

    html: str
    removed: list[str]


class _Inventory(HTMLParser):
    """Every element and attribute of a fragment, counted (to tell what nh3 dropped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.items[f"<{tag}>"] += 1
        for name, value in attrs:
            self.items[_attribute(tag, name, value or "")] += 1

    handle_startendtag = handle_starttag


def _attribute(tag: str, name: str, value: str) -> str:
    scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
    if name in ("href", "src") and scheme and scheme not in URL_SCHEMES:
        return f'{scheme}: URL in <{tag} {name}="…">'
    return f'the {name}="…" attribute of <{tag}>'


def _inventory(html: str) -> Counter[str]:
    parser = _Inventory()
    parser.feed(html)
    parser.close()
    return parser.items


def sanitise(html: str) -> Sanitised:
    """The allowed part of ``html``; links get ``rel="noopener noreferrer"``."""
    clean = nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(CLEAN_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
    )
    before, after = _inventory(html), _inventory(clean)
    after.pop('the rel="…" attribute of <a>', None)  # added by nh3 itself
    removed = sorted(name for name in before if before[name] > after.get(name, 0))
    return Sanitised(clean, removed)


def safe_html(html: str) -> str:
    """Another node's HTML made safe to put on a page (the reader's own sanitising)."""
    return sanitise(html).html
