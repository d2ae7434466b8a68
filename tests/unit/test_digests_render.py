"""A digest as e-mail: inline styles, nothing a mail program drops or runs, a text part."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from services.news.digest_render import (
    Rendering,
    eml,
    interface_language,
    languages,
    render_html,
    render_text,
)
from services.news.digests import Candidate, Digest, Period, choose
from shared.contracts.news import Translation
from shared.contracts.news_digests import PeriodKind
from tests.unit.test_digests import item, request

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
NETWORKS = {"ro": "CLUSTERO", "fr": "France Clusters", "es": "FENAEIC"}


def digest(language: str = "fr", **items: Any) -> Digest:
    translated = item(
        "a",
        title="Clusterele din Cluj <b>cresc</b>",
        translations=[
            Translation(
                language="fr",
                translator="fr",
                title="Les clusters de Cluj grandissent",
                summary="Un résumé & plus",
                body="<p>Texte</p>",
                published_at="2026-11-25T08:00:00Z",
            )
        ],
    )
    held = [Candidate("ro", translated), Candidate("es", item("e1", language="es", title="Hola"))]
    ticked = request(language=language, partners=[{"origin": "es", "item": "e1"}])
    period = Period.of(PeriodKind.WEEK, date(2026, 11, 25))
    return Digest.issue("d1", "ro", period, language, choose("ro", period, held, ticked), NOW)


def view(language: str = "fr") -> Rendering:
    return Rendering(
        digest(language),
        NETWORKS,
        "http://127.0.0.1:9001/",
        interface_language(languages(), language),
    )


class Elements(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


def test_the_html_has_inline_styles_and_nothing_a_mail_program_drops() -> None:
    html = render_html(view())
    tags = elements(html)
    names = {tag for tag, _ in tags}
    assert not names & {"style", "script", "link", "iframe", "form"}
    assert not any(key.startswith("on") for _, attrs in tags for key in attrs)
    styled = {"h1", "h2", "p", "a", "td", "table", "body"}
    for tag, attrs in tags:
        if tag in styled:
            assert attrs.get("style"), f"<{tag}> without an inline style"


def test_the_html_escapes_texts_and_links_each_item_on_the_node() -> None:
    html = render_html(view("es"))
    assert "<b>cresc</b>" not in html and "&lt;b&gt;cresc&lt;/b&gt;" in html
    links = [attrs["href"] for tag, attrs in elements(html) if tag == "a"]
    assert "http://127.0.0.1:9001/news/ro/a" in links
    assert "http://127.0.0.1:9001/news/es/e1" in links


def test_a_translated_item_is_shown_translated_and_credited() -> None:
    text = render_text(view("fr"))
    assert "Les clusters de Cluj grandissent" in text
    assert "Traduit par France Clusters." in text  # the interface words in French too
    assert "Clusterele" not in text


def test_an_untranslated_item_is_marked_with_its_language_in_the_digests() -> None:
    text = render_text(view("fr"))
    assert "Hola" in text
    assert "espagnol" in text  # the language's name as a French reader says it
    html = render_html(view("fr"))
    hola = next(attrs for tag, attrs in elements(html) if tag == "td" and attrs.get("lang") == "es")
    assert hola is not None


def test_the_text_part_is_plain_and_wrapped() -> None:
    text = render_text(view("en"))
    assert "<p>" not in text and "Texte" not in text  # no bodies: title, summary, link
    assert all(len(line) <= 72 or "http" in line for line in text.splitlines())
    assert "Read more: http://127.0.0.1:9001/news/ro/a" in text
    assert text.splitlines()[0] == "CLUSTERO news from November 23, 2026 to November 29, 2026"


def test_the_eml_is_multipart_alternative_text_then_html() -> None:
    message = email.message_from_bytes(eml(view("fr")), policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Content-Language"] == "fr"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert str(message["Subject"]) == (
        "Les actualités de CLUSTERO du 23 novembre 2026 au 29 novembre 2026"
    )


@pytest.mark.parametrize("language", ["ro", "pt-BR"])
def test_a_language_without_interface_catalogue_gets_english_words_local_dates(
    language: str,
) -> None:
    rendering = view(language)
    assert rendering.language.code == "en"
    assert "Read more" in render_html(rendering)
