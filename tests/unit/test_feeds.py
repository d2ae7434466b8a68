"""The news feeds as documents (``shared/feeds.py``): valid Atom (RFC 4287's RELAX NG
schema and its two Schematron rules) and valid JSON Feed 1.1 (its JSON schema), read
back with feedparser, with every entry's language, categories with their schemes, the
networks as authors, stable ids, paging links, and translations marked as such."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from lxml import etree

from shared.contracts.news import NewsItemState, Translation
from shared.feeds import (
    CATEGORY_SCHEME,
    EXTENSION_NAMESPACE,
    TAG_SCHEME,
    FeedItem,
    FeedPage,
    Network,
    atom,
    feed_tag,
    item_tag,
    json_feed,
)
from tests.feed_checks import ATOM, atom_errors, parsed_atom, parsed_json_feed

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SITE = "http://127.0.0.1:8080"
CLUSTERO = Network("CLUSTERO", "https://clustero.eu")
FRANCE = Network("France Clusters", "https://franceclusters.fr")


def state(**overrides: Any) -> NewsItemState:
    fields: dict[str, Any] = {
        "id": "01JRO",
        "category": "network_news",
        "language": "ro",
        "title": "Clusterele românești la Hanovra",
        "summary": "Zece clustere au expus.",
        "body": "<p>Zece clustere <strong>românești</strong> au expus.</p>",
        "images": [{"url": "https://clustero.eu/hanovra.jpg", "alt": "Standul"}],
        "tags": ["industry", "fairs"],
        "country": "RO",
        "visibility": "public",
        "status": "published",
        "published_at": "2026-11-20T09:00:00Z",
        "updated_at": "2026-11-21T10:30:00Z",
        "translations": [
            Translation(
                language="fr",
                translator="fr",
                title="Les clusters roumains à Hanovre",
                summary="Dix clusters ont exposé.",
                body="<p>Dix clusters <strong>roumains</strong> ont exposé.</p>",
                published_at="2026-11-21T10:30:00Z",
            )
        ],
    }
    fields.update(overrides)
    return NewsItemState.model_validate(fields)


def funding_call() -> NewsItemState:
    return state(
        id="01JFUND",
        category="funding_opportunity",
        language="en",
        title="Digital Europe: call for cluster projects",
        images=[],
        translations=[],
        funding={
            "deadline": "2027-03-31",
            "programme": "Digital Europe",
            "url": "https://ec.europa.eu/apply",
        },
    )


def entry(item: NewsItemState, origin: str = "ro") -> FeedItem:
    return FeedItem(origin, item, f"{SITE}/news/{origin}/{item.id}", CLUSTERO, {"fr": FRANCE})


def page(*items: FeedItem, **overrides: Any) -> FeedPage:
    fields: dict[str, Any] = {
        "id": feed_tag("ro/alliance", {}),
        "title": "News",
        "self_url": f"{SITE}/news/alliance.atom",
        "home_url": f"{SITE}/news",
        "publisher": Network("European Clusters Alliance"),
        "items": list(items),
    }
    fields.update(overrides)
    return FeedPage(**fields)


def test_the_atom_feed_is_valid_and_reads_back_with_each_entrys_details() -> None:
    document = atom(page(entry(state()), entry(funding_call())), NOW)
    feed = parsed_atom(document)
    assert [e.id for e in feed.entries] == [item_tag("ro", "01JRO"), item_tag("ro", "01JFUND")]
    first = feed.entries[0]
    assert first.title == "Clusterele românești la Hanovra"
    assert first.title_detail.language == "ro" and first.content[0].language == "ro"
    assert (
        first.content[0].type == "text/html"
        and "<strong>românești</strong>" in first.content[0].value
    )
    assert first.summary == "Zece clustere au expus."
    assert first.author_detail == {"name": "CLUSTERO", "href": "https://clustero.eu"}
    assert [(t.term, t.scheme) for t in first.tags] == [
        ("network_news", CATEGORY_SCHEME),
        ("industry", TAG_SCHEME),
        ("fairs", TAG_SCHEME),
    ]
    assert first.tags[0].label == "Network news"
    assert first.updated == "2026-11-21T10:30:00+00:00"
    assert first.published == "2026-11-20T09:00:00+00:00"
    links = {link.rel: link for link in first.links}
    assert links["alternate"].href == f"{SITE}/news/ro/01JRO?lang=ro"
    assert links["enclosure"].href == "https://clustero.eu/hanovra.jpg"
    assert links["enclosure"].type == "image/jpeg"  # feedgen 1.0 alone drops rel and type
    assert "contributors" not in first  # the original: no translator
    assert feed.feed.updated == "2026-11-21T10:30:00+00:00"  # the newest item's change


def test_a_funding_call_carries_its_deadline_programme_and_link() -> None:
    document = atom(page(entry(funding_call())), NOW)
    feed = parsed_atom(document)
    assert {link.rel: link.href for link in feed.entries[0].links}["related"] == (
        "https://ec.europa.eu/apply"
    )
    assert f'xmlns:alliance="{EXTENSION_NAMESPACE}"'.encode() in document
    assert b'<alliance:funding deadline="2027-03-31" programme="Digital Europe"' in document
    item = parsed_json_feed(json_feed(page(entry(funding_call())), NOW))["items"][0]
    assert item["_alliance"]["funding"] == {
        "deadline": "2027-03-31",
        "programme": "Digital Europe",
        "url": "https://ec.europa.eu/apply",
    }


def test_asked_in_french_an_entry_is_the_translation_marked_as_one() -> None:
    french = page(entry(state()), language="fr")
    feed = parsed_atom(atom(french, NOW))
    assert feed.feed.language == "fr"
    first = feed.entries[0]
    assert first.title == "Les clusters roumains à Hanovre"
    assert first.title_detail.language == "fr"
    assert first.contributors == [{"name": "France Clusters", "href": "https://franceclusters.fr"}]
    alternates = {link.hreflang: link.href for link in first.links if link.rel == "alternate"}
    assert alternates == {
        "fr": f"{SITE}/news/ro/01JRO?lang=fr",
        "ro": f"{SITE}/news/ro/01JRO?lang=ro",
    }
    assert b'<alliance:translation original="ro" translator="fr"/>' in atom(french, NOW)
    item = parsed_json_feed(json_feed(french, NOW))["items"][0]
    assert item["language"] == "fr" and item["title"] == "Les clusters roumains à Hanovre"
    assert item["_alliance"]["translation"] == {"translator": "fr", "name": "France Clusters"}
    assert item["_alliance"]["original_language"] == "ro"


def test_asked_in_a_language_without_translation_an_entry_stays_the_original() -> None:
    feed = parsed_atom(atom(page(entry(state()), language="es"), NOW))
    assert feed.entries[0].title_detail.language == "ro"
    assert "contributors" not in feed.entries[0]
    item = parsed_json_feed(json_feed(page(entry(state()), language="es"), NOW))["items"][0]
    assert item["language"] == "ro" and "translation" not in item["_alliance"]


def test_the_json_feed_is_valid_with_each_items_details() -> None:
    feed = parsed_json_feed(json_feed(page(entry(state()), entry(funding_call())), NOW))
    assert feed["title"] == "News" and feed["home_page_url"] == f"{SITE}/news"
    assert feed["authors"] == [{"name": "European Clusters Alliance"}]
    first = feed["items"][0]
    assert first["id"] == item_tag("ro", "01JRO") and first["language"] == "ro"
    assert first["content_html"].startswith("<p>Zece clustere")
    assert first["summary"] == "Zece clustere au expus."
    assert first["image"] == "https://clustero.eu/hanovra.jpg"
    assert first["authors"] == [{"name": "CLUSTERO", "url": "https://clustero.eu"}]
    assert first["tags"] == ["industry", "fairs"]
    assert first["date_published"] == "2026-11-20T09:00:00Z"
    assert first["date_modified"] == "2026-11-21T10:30:00Z"
    assert first["_alliance"]["category"] == "network_news"
    assert first["_alliance"]["category_scheme"] == CATEGORY_SCHEME
    assert "next_url" not in feed


def test_paging_links_the_next_page() -> None:
    next_url = f"{SITE}/news/alliance.atom?after=0000|x"
    paged = page(entry(state()), next_url=next_url)
    feed = parsed_atom(atom(paged, NOW))
    assert {link.rel: link.href for link in feed.feed.links}["next"] == next_url
    assert parsed_json_feed(json_feed(paged, NOW))["next_url"] == next_url


def test_an_empty_feed_is_valid_and_updated_now() -> None:
    feed = parsed_atom(atom(page(), NOW))
    assert feed.entries == [] and feed.feed.updated == "2026-12-03T12:00:00+00:00"
    assert parsed_json_feed(json_feed(page(), NOW))["items"] == []


def test_ids_are_the_same_whatever_feed_or_site_carries_the_item() -> None:
    on_node = parsed_atom(atom(page(entry(state())), NOW)).entries[0].id
    elsewhere = FeedItem("ro", state(), "http://hub.example/x", FRANCE, {})
    assert parsed_atom(atom(page(elsewhere), NOW)).entries[0].id == on_node
    assert feed_tag("ro/node", {"language": "fr", "category": ""}) == feed_tag(
        "ro/node", {"language": "fr"}
    )


@pytest.mark.parametrize(
    "document",
    [
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>',  # no id, updated
        b'<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>t</title>'
        b"<updated>2026-01-01T00:00:00Z</updated><entry><id>y</id><title>e</title>"
        b"<updated>2026-01-01T00:00:00Z</updated><content>c</content></entry></feed>",
    ],
)
def test_the_checks_refuse_invalid_atom(document: bytes) -> None:
    """The schema checks can fail: a feed without its id, an entry without an author."""
    assert atom_errors(document) != []


def test_another_nodes_html_is_sanitised_again_before_it_is_passed_on() -> None:
    unsafe = state(
        translations=[],
        body='<p onclick="steal()">Hi<script>alert(1)</script> <a href="javascript:x()">l</a></p>',
    )
    document = atom(page(entry(unsafe)), NOW)
    content = etree.fromstring(document).find(f"{ATOM}entry/{ATOM}content")
    assert content is not None and content.text  # as written, not as feedparser cleans it
    html = parsed_json_feed(json_feed(page(entry(unsafe)), NOW))["items"][0]["content_html"]
    for shown in (content.text, html):
        assert "Hi" in shown and "<p>" in shown
        assert "script" not in shown and "onclick" not in shown and "javascript" not in shown


def test_a_category_from_a_newer_version_is_fed_by_its_term() -> None:
    """Contracts grow additively: a node may send a category this one does not know."""
    newer = state(category="cluster_award", translations=[])
    (entry_read,) = parsed_atom(atom(page(entry(newer)), NOW)).entries
    assert entry_read.tags[0].term == "cluster_award"
    assert entry_read.tags[0].label == "cluster_award"
