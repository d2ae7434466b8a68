"""A node's news feeds over HTTP, against a whole in-process node on real servers.

Every feed is read back with feedparser (Atom) and validated against its schema
(``tests/feed_checks.py``): public published items only, whoever asks; the language
filter gives translations, marked; paging follows the ``next`` links to the end; the
funding feed lists open calls by deadline; the authors are the networks' profiles;
unknown filters are a 422 naming the field; requests are counted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext

from services.news import handlers
from services.news.domain import TranslationDraft
from shared.contracts import membership
from shared.feeds import CATEGORY_SCHEME, item_tag
from shared.identity import NodeIdentity, create_identity
from shared.runtime import NatsServer
from shared.subjects import Channel
from tests.conftest import NodeUnderTest
from tests.feed_checks import parsed_atom, parsed_json_feed
from tests.integration.test_bus import eventually, federate_fr, publish
from tests.integration.test_membership_api import assert_problem
from tests.integration.test_news_api import write
from tests.integration.test_portal_news import partner_item

NODE_SERVICES = ("membership", "news")  # what the `node` fixture starts (tests/conftest.py)

FEEDS = ("/news/feed", "/news/alliance", "/news/funding")


async def atom_feed(node: NodeUnderTest, path: str, **query: Any) -> Any:
    response = await node.client.get(f"{path}.atom", params=query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    return parsed_atom(response.content)


async def json_feed(node: NodeUnderTest, path: str, **query: Any) -> dict[str, Any]:
    response = await node.client.get(f"{path}.json", params=query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/feed+json")
    return parsed_json_feed(response.content)


async def in_feed(node: NodeUnderTest, item_id: str, path: str = "/news/feed") -> bool:
    """Is the item in the feed yet (the news is filled from the bus)?"""
    tag = item_tag(node.identity.node, item_id)
    return tag in {e.id for e in (await atom_feed(node, path, limit=200)).entries}


async def test_the_feeds_hold_public_published_items_only_whoever_asks(
    node: NodeUnderTest,
) -> None:
    public = await write(node, images=[{"url": "https://x.eu/fair.png", "alt": "The fair"}])
    hidden = [
        (await write(node, visibility="alliance"))["id"],
        (await write(node, publish=False))["id"],
    ]
    await eventually(lambda: in_feed(node, public["id"]))
    tag = item_tag(node.identity.node, public["id"])
    for path in ("/news/feed", "/news/alliance"):
        feed = await atom_feed(node, path)
        ids = [e.id for e in feed.entries]
        assert tag in ids and not {item_tag(node.identity.node, i) for i in hidden} & set(ids)
        entry = next(e for e in feed.entries if e.id == tag)
        assert entry.title == public["title"] and entry.title_detail.language == "ro"
        assert entry.tags[0].term == "network_news" and entry.tags[0].scheme == CATEGORY_SCHEME
        assert entry.author_detail.name  # the network
        assert entry.content[0].value == public["body"]
        assert {link.rel: link.href for link in entry.links}["enclosure"] == "https://x.eu/fair.png"
        items = {i["id"]: i for i in (await json_feed(node, path))["items"]}
        assert tag in items and items[tag]["language"] == "ro"
        assert items[tag]["url"].endswith(f"/news/{node.identity.node}/{public['id']}?lang=ro")
    # a token shows the staff more in the API, never in a feed
    with_token = await node.client.get("/news/alliance.atom", headers=node.editor)
    shown = {e.id for e in parsed_atom(with_token.content).entries}
    assert not {item_tag(node.identity.node, i) for i in hidden} & shown


async def test_a_feed_in_a_language_gives_translations_marked_and_only_items_in_it(
    node: NodeUnderTest,
) -> None:
    translated = await write(node)
    untranslated = await write(node, title="Doar în română")
    french = TranslationDraft(language="fr", title="Les clusters roumains à Hanovre")
    kit = node.kit("news")
    await kit.transaction(
        lambda uow: handlers.publish_translation(translated["id"], french, "fr", uow)
    )
    await eventually(lambda: in_feed(node, untranslated["id"]))
    tag = item_tag(node.identity.node, translated["id"])

    async def translated_in_french() -> bool:
        return tag in {e.id for e in (await atom_feed(node, "/news/feed", language="fr")).entries}

    await eventually(translated_in_french)
    feed = await atom_feed(node, "/news/feed", language="FR")  # any case: canonical
    assert [e.id for e in feed.entries] == [tag]
    entry = feed.entries[0]
    assert entry.title == "Les clusters roumains à Hanovre"
    assert entry.title_detail.language == "fr" and entry.contributors[0].name
    hreflangs = {link.hreflang for link in entry.links if link.rel == "alternate"}
    assert hreflangs == {"fr", "ro"}  # the original one click away
    item = (await json_feed(node, "/news/feed", language="fr"))["items"][0]
    assert item["language"] == "fr" and item["_alliance"]["translation"]["translator"] == "fr"
    assert item["_alliance"]["original_language"] == "ro"


async def test_paging_follows_the_next_links_to_the_end(node: NodeUnderTest) -> None:
    written = [(await write(node, title=f"Știre {n}"))["id"] for n in range(3)]
    await eventually(lambda: in_feed(node, written[-1]))
    await eventually(lambda: _all_in(node, written))
    seen: list[str] = []
    url: str | None = "/news/feed.atom?limit=1"
    while url:
        response = await node.client.get(url)
        feed = parsed_atom(response.content)
        assert len(feed.entries) <= 1
        seen += [e.id for e in feed.entries]
        url = next((link.href for link in feed.feed.links if link.rel == "next"), None)
    assert len(seen) == len(set(seen)) >= 3
    assert {item_tag(node.identity.node, i) for i in written} <= set(seen)
    pages: list[str] = []
    next_url: str | None = "/news/feed.json?limit=2"
    while next_url:
        document = parsed_json_feed((await node.client.get(next_url)).content)
        pages += [i["id"] for i in document["items"]]
        next_url = document.get("next_url")
    assert pages == seen  # the same items, in the same order, newest first


async def _all_in(node: NodeUnderTest, ids: list[str]) -> bool:
    return all([await in_feed(node, i) for i in ids])


async def test_the_funding_feed_lists_open_calls_nearest_deadline_first(
    node: NodeUnderTest,
) -> None:
    def call(deadline: str) -> dict[str, Any]:
        funding = {"deadline": deadline, "programme": "Interreg", "url": "https://x.eu/apply"}
        return {"category": "funding_opportunity", "language": "en", "funding": funding}

    later = (await write(node, title="Later call", **call("2031-06-30")))["id"]
    sooner = (await write(node, title="Sooner call", **call("2030-01-15")))["id"]
    closed = (await write(node, title="Closed call", **call("2021-01-01")))["id"]
    await write(node, title="Not a call")
    await eventually(lambda: in_feed(node, closed))
    feed = await atom_feed(node, "/news/funding")
    mine = [e.id.rsplit("/", 1)[1] for e in feed.entries if node.identity.node in e.id]
    assert mine == [sooner, later]
    deadlines = [
        i["_alliance"]["funding"]["deadline"]
        for i in (await json_feed(node, "/news/funding"))["items"]
    ]
    assert deadlines == sorted(deadlines) and "2021-01-01" not in deadlines


@pytest.mark.parametrize("path", FEEDS)
@pytest.mark.parametrize("kind", ["atom", "json"])
async def test_unknown_filters_are_a_422_naming_the_field(
    node: NodeUnderTest, path: str, kind: str
) -> None:
    url = f"{path}.{kind}"
    assert_problem(await node.client.get(url, params={"category": "gossip"}), 422, "category")
    assert_problem(await node.client.get(url, params={"language": "qq-zz-1"}), 422, "language")
    assert_problem(await node.client.get(url, params={"limit": "0"}), 422, "limit")


async def test_the_author_is_the_networks_profile_and_requests_are_counted(
    node: NodeUnderTest,
) -> None:
    profile = {"name": "CLUSTERO", "country": "RO", "website": "https://clustero.example.ro"}
    answer = await node.client.put("/api/membership/profile", json=profile, headers=node.admin)
    assert answer.status_code == 200, answer.text
    item = await write(node)
    await eventually(lambda: in_feed(node, item["id"]))
    before = await _requests(node, "json", "alliance")

    async def named() -> bool:
        feed = await json_feed(node, "/news/alliance")
        return feed["items"][0]["authors"] == [
            {"name": "CLUSTERO", "url": "https://clustero.example.ro"}
        ]

    await eventually(named)
    assert await _requests(node, "json", "alliance") > before
    assert await _requests(node, "atom", "funding") == 0  # every series exists from the start


async def _requests(node: NodeUnderTest, kind: str, scope: str) -> float:
    text = (await node.client.get("/metrics")).text
    line = f'alliance_news_feed_requests_total{{format="{kind}",scope="{scope}"}}'
    return next(float(row.split()[-1]) for row in text.splitlines() if row.startswith(line))


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    client = await nats.connect(nats_server.url)
    yield client.jetstream()
    await client.close()


async def test_a_partners_item_is_in_the_alliance_feed_under_its_networks_name(
    node: NodeUnderTest, js: JetStreamContext, tmp_path: Path
) -> None:
    fr: NodeIdentity = create_identity(tmp_path / "fr", "fr", "France Clusters", "FR")
    await federate_fr(node, js, fr)
    profile = membership.NetworkProfileRevised(
        id="fr",
        name="France Clusters",
        country="FR",
        website="https://franceclusters.example.fr",
        updated_at="2026-11-01T00:00:00Z",
    )
    await publish(js, membership.CATALOGUE.seal(fr, Channel.ALLIANCE, profile, 1))
    body = '<p onclick="steal()">Bonjour<script>alert(1)</script></p>'
    await publish(js, partner_item(fr, "fr-news-1", body=body))
    tag = item_tag("fr", "fr-news-1")

    async def named() -> bool:
        items = {i["id"]: i for i in (await json_feed(node, "/news/alliance"))["items"]}
        return tag in items and items[tag]["authors"][0]["name"] == "France Clusters"

    await eventually(named)
    items = {i["id"]: i for i in (await json_feed(node, "/news/alliance"))["items"]}
    assert items[tag]["authors"] == [
        {"name": "France Clusters", "url": "https://franceclusters.example.fr"}
    ]
    assert items[tag]["url"] == "http://node/news/fr/fr-news-1?lang=fr"
    html = items[tag]["content_html"]
    assert "Bonjour" in html and "script" not in html and "onclick" not in html
    assert tag not in {e.id for e in (await atom_feed(node, "/news/feed")).entries}  # not ours
    romanian = await atom_feed(node, "/news/alliance", language="ro")
    entry = next(e for e in romanian.entries if e.id == tag)
    assert entry.title == "Polii francezi la Hanovra" and entry.title_detail.language == "ro"


async def test_a_reader_polling_with_its_etag_gets_304_until_the_feed_changes(
    node: NodeUnderTest,
) -> None:
    first = await write(node)
    await eventually(lambda: in_feed(node, first["id"]))
    answer = await node.client.get("/news/feed.atom")
    tag = answer.headers["etag"]
    again = await node.client.get("/news/feed.atom", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    other = await node.client.get("/news/feed.json", headers={"If-None-Match": tag})
    assert other.status_code == 200  # another document, another tag
    second = await write(node, title="Altă știre")
    await eventually(lambda: in_feed(node, second["id"]))
    changed = await node.client.get("/news/feed.atom", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
