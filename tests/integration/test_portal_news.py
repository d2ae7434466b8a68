"""The hub portal's alliance news in this process, on real servers: a partner network's
items (signed envelopes published on a real NATS, as ALLIANCE delivers them) reach the
portal's replicas; its pages and feeds show them in the reader's language, translations
marked with the original one click away, bodies sanitised again, funding calls past
their deadline marked closed.

The e2e module (tests/e2e/test_hub_news.py) runs the same portal in a real hub; this one
reaches what no HTTP route on a node makes yet (a published translation) and bodies a
hostile node could send.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext

from services.portal.app import declare as portal
from shared.contracts import news
from shared.feeds import item_tag
from shared.identity import NodeIdentity, create_identity
from shared.runtime import NatsServer
from shared.subjects import Channel
from tests.conftest import NodeUnderTest, start_node
from tests.feed_checks import parsed_atom, parsed_json_feed
from tests.integration.test_bus import eventually, federate_fr, publish


@pytest.fixture
async def hub(tmp_path: Path, nats_server: NatsServer, store_url: str) -> AsyncIterator[Any]:
    """The portal alone, as the hub runs it (a database of its own for each test)."""
    node = f"hub{uuid.uuid4().hex[:6]}"
    async for running in start_node(tmp_path / "hub", nats_server.url, store_url, node, [portal()]):
        yield running


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    client = await nats.connect(nats_server.url)
    yield client.jetstream()
    await client.close()


@pytest.fixture
def fr(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "fr", "fr", "France Clusters", "FR")


def partner_item(fr: NodeIdentity, item_id: str, version: int = 1, **fields: Any) -> Any:
    state: dict[str, Any] = {
        "id": item_id,
        "category": "network_news",
        "language": "fr",
        "title": "Les pôles français à Hanovre",
        "summary": "Douze pôles ont exposé.",
        "body": "<p>Douze pôles <em>français</em> ont exposé.</p>",
        "images": [{"url": "https://fr.example/stand.png", "alt": "Le stand"}],
        "tags": ["industry"],
        "country": "FR",
        "visibility": "public",
        "status": "published",
        "published_at": "2026-11-20T09:00:00Z",
        "updated_at": "2026-11-22T09:00:00Z",
        "translations": [
            {
                "language": "ro",
                "translator": "ro",
                "title": "Polii francezi la Hanovra",
                "summary": "Doisprezece poli au expus.",
                "body": "<p>Doisprezece poli <em>francezi</em> au expus.</p>",
                "published_at": "2026-11-22T09:00:00Z",
            }
        ],
    }
    state.update(fields)
    event = news.NewsItemPublished.model_validate(state)
    return news.CATALOGUE.seal(fr, Channel.ALLIANCE, event, version)


async def shown(hub: NodeUnderTest, path: str) -> bool:
    return (await hub.client.get(path)).status_code == 200


async def test_an_item_reads_in_the_readers_language_with_the_original_one_click_away(
    hub: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(hub, js, fr)
    await publish(js, partner_item(fr, "fr-news-1"))
    await eventually(lambda: shown(hub, "/news/fr/fr-news-1"))

    romanian = await hub.client.get("/news/fr/fr-news-1", headers={"Accept-Language": "ro"})
    assert '<article lang="ro">' in romanian.text
    assert "Polii francezi la Hanovra" in romanian.text
    assert "Translated from French by ro." in romanian.text
    assert 'href="/news/fr/fr-news-1?lang=fr" hreflang="fr"' in romanian.text

    original = await hub.client.get("/news/fr/fr-news-1?lang=fr")
    assert '<article lang="fr">' in original.text
    assert "Les pôles français à Hanovre" in original.text
    assert "Translated from" not in original.text
    assert 'alt="Le stand"' in original.text
    assert 'href="/news/fr/fr-news-1?lang=ro" hreflang="ro" lang="ro">' in original.text

    # ?lang=fr chose French for the interface too (remembered): French first from now on
    listed = await hub.client.get("/news", headers={"Accept-Language": "ro"})
    assert "Les pôles français à Hanovre" in listed.text
    hub.client.cookies.clear()
    listed = await hub.client.get("/news", headers={"Accept-Language": "ro"})
    assert "Polii francezi la Hanovra" in listed.text and '<li lang="ro">' in listed.text


async def test_a_partners_unsafe_html_is_never_shown_nor_fed(
    hub: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(hub, js, fr)
    body = '<p onclick="steal()">Bonjour<script>alert(1)</script></p>'
    await publish(js, partner_item(fr, "fr-news-2", body=body, translations=[]))
    await eventually(lambda: shown(hub, "/news/fr/fr-news-2"))
    page = (await hub.client.get("/news/fr/fr-news-2")).text
    assert "Bonjour" in page and "alert(1)" not in page and "steal()" not in page
    feed = await hub.client.get("/news/feed.json")
    html = parsed_json_feed(feed.content)["items"][0]["content_html"]
    assert "Bonjour" in html and "script" not in html and "onclick" not in html


async def test_the_hub_feed_gives_the_translation_asked_for_marked(
    hub: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(hub, js, fr)
    await publish(js, partner_item(fr, "fr-news-3"))
    await eventually(lambda: shown(hub, "/news/fr/fr-news-3"))
    feed = parsed_atom((await hub.client.get("/news/feed.atom?language=ro")).content)
    (entry,) = feed.entries
    assert entry.id == item_tag("fr", "fr-news-3") and entry.title == "Polii francezi la Hanovra"
    assert entry.title_detail.language == "ro" and entry.contributors[0].name == "ro"
    assert entry.author_detail.name == "fr"  # no registry entry here: named by its node id
    assert parsed_atom((await hub.client.get("/news/feed.atom?language=es")).content).entries == []


async def test_a_withdrawn_item_leaves_and_a_past_call_is_marked_closed(
    hub: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(hub, js, fr)
    funding = {"deadline": "2021-01-31", "programme": "Horizon 2020", "url": "https://x.eu/a"}
    call = partner_item(
        fr, "fr-call", category="funding_opportunity", funding=funding, translations=[]
    )
    await publish(js, call)
    await eventually(lambda: shown(hub, "/news/fr/fr-call"))
    page = (await hub.client.get("/news/fr/fr-call")).text
    assert "Horizon 2020" in page and "<strong>Closed</strong>" in page
    assert 'href="https://x.eu/a"' not in page  # nothing to apply to
    assert (await hub.client.get("/news/funding.json")).json()["items"] == []  # not open
    gone = news.CATALOGUE.seal(
        fr, Channel.ALLIANCE, news.NewsItemWithdrawn(id="fr-call", reason="withdrawn"), 2
    )
    await publish(js, gone)

    async def withdrawn() -> bool:
        return (await hub.client.get("/news/fr/fr-call")).status_code == 404

    await eventually(withdrawn)
