"""The hub portal's alliance news against real processes: a hub and two nodes.

Items published on the nodes reach the portal's replicas over ALLIANCE; the hub's
``/news`` pages show the public ones in the reader's language, and its feeds
(``/news/feed.atom|json``, ``/news/funding.atom|json``, each checked against its schema
and read back with feedparser) carry them with the same ids a node's feeds give them,
the networks as authors with their sites; a withdrawn item leaves the hub. One
federation for the whole module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.auth import Role, TokenStore
from shared.feeds import item_tag
from tests.federation import Federation, metric_value, poll
from tests.feed_checks import parsed_atom, parsed_json_feed

pytestmark = pytest.mark.e2e
DEADLINE = (date.today() + timedelta(days=60)).isoformat()


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    running = Federation(Path(tmp_path_factory.mktemp("news")), nodes=("ro", "fr")).start()
    yield running
    running.close()


def publish(federation: Federation, node: str, **fields: Any) -> str:
    member = federation.members[node]
    body: dict[str, Any] = {
        "category": "network_news",
        "language": "ro",
        "title": "Clusterele românești la Hanovra",
        "summary": "Zece clustere au expus la Hannover Messe.",
        "body": "<p>Zece clustere <strong>românești</strong> au expus.</p>",
        "images": [{"url": "https://clustero.example.ro/hanovra.jpg", "alt": "Standul"}],
        "tags": ["industry"],
        "visibility": "public",
        **fields,
    }
    created = httpx.post(f"{member.url}/api/news/items", json=body, headers=member.headers)
    assert created.status_code == 201, created.text
    item_id = str(created.json()["id"])
    done = httpx.post(f"{member.url}/api/news/items/{item_id}/publish", headers=member.headers)
    assert done.status_code == 200, done.text
    return item_id


def hub_get(federation: Federation, path: str, **headers: str) -> httpx.Response:
    assert federation.hub is not None
    return httpx.get(federation.hub.url + path, headers=headers, timeout=10)


def hub_feed(federation: Federation, path: str) -> Any:
    answer = hub_get(federation, path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/atom+xml")
    return parsed_atom(answer.content)


def hub_json(federation: Federation, path: str) -> dict[str, Any]:
    answer = hub_get(federation, path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/feed+json")
    return parsed_json_feed(answer.content)


def titles(federation: Federation, query: str = "", **headers: str) -> list[str]:
    answer = hub_get(federation, f"/news{query}", **headers)
    assert answer.status_code == 200, answer.text
    return re.findall(r'<h2><a href="/news/[^"]+">([^<]+)<', answer.text)


@pytest.fixture(scope="module")
def published(federation: Federation) -> dict[str, str]:
    """ro: a public item and a funding call, an alliance-only item; fr: a public one."""
    ids = {
        "ro": publish(federation, "ro"),
        "secret": publish(federation, "ro", title="Consiliu intern", visibility="alliance"),
        "call": publish(
            federation,
            "ro",
            category="funding_opportunity",
            language="en",
            title="Interreg call for cluster projects",
            images=[],
            funding={"deadline": DEADLINE, "programme": "Interreg", "url": "https://x.eu/a"},
        ),
        "fr": publish(
            federation,
            "fr",
            category="policy_update",
            language="fr",
            title="La politique des pôles de compétitivité",
            images=[],
            tags=["policy"],
        ),
    }
    poll(lambda: len(titles(federation)) == 3, 60, "the three public items on the hub")
    return ids


def test_the_hub_feed_holds_every_networks_public_items(
    federation: Federation, published: dict[str, str]
) -> None:
    feed = hub_feed(federation, "/news/feed.atom")
    ids = {e.id for e in feed.entries}
    expected = {item_tag("ro", published["ro"]), item_tag("ro", published["call"])}
    assert ids == expected | {item_tag("fr", published["fr"])}  # never the alliance-only one
    ro = next(e for e in feed.entries if e.id == item_tag("ro", published["ro"]))
    site = federation.members["ro"].url
    assert ro.author_detail == {"name": "Net ro", "href": site}
    assert ro.title_detail.language == "ro"
    assert {link.rel: link.href for link in ro.links}["alternate"] == (
        f"{federation.hub.url}/news/ro/{published['ro']}?lang=ro"  # type: ignore[union-attr]
    )
    items = hub_json(federation, "/news/feed.json")["items"]
    assert {i["id"] for i in items} == ids


def test_a_node_and_the_hub_give_an_item_the_same_id(
    federation: Federation, published: dict[str, str]
) -> None:
    fr = federation.members["fr"]
    tag = item_tag("ro", published["ro"])

    def on_fr() -> bool:
        answer = httpx.get(f"{fr.url}/news/alliance.atom", timeout=10)
        return tag in {e.id for e in parsed_atom(answer.content).entries}

    poll(on_fr, 60, "ro's item in fr's alliance feed")
    own = httpx.get(f"{federation.members['ro'].url}/news/feed.json", timeout=10)
    assert tag in {i["id"] for i in parsed_json_feed(own.content)["items"]}


def test_the_hub_feeds_filter_by_category_and_language(
    federation: Federation, published: dict[str, str]
) -> None:
    policy = hub_feed(federation, "/news/feed.atom?category=policy_update")
    assert [e.id for e in policy.entries] == [item_tag("fr", published["fr"])]
    french = hub_json(federation, "/news/feed.json?language=fr")
    assert [i["id"] for i in french["items"]] == [item_tag("fr", published["fr"])]
    assert french["language"] == "fr"
    refused = hub_get(federation, "/news/feed.atom?category=gossip")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "category"
    assert hub_get(federation, "/news/feed.json?language=qq-zz-1").status_code == 422


def test_the_hub_funding_feed_lists_the_open_calls(
    federation: Federation, published: dict[str, str]
) -> None:
    feed = hub_json(federation, "/news/funding.json")
    assert [i["id"] for i in feed["items"]] == [item_tag("ro", published["call"])]
    assert feed["items"][0]["_alliance"]["funding"]["deadline"] == DEADLINE
    atom = hub_feed(federation, "/news/funding.atom")
    assert atom.entries[0].title.startswith("Interreg")
    home = {link.rel: link.href for link in atom.feed.links}["alternate"]
    assert hub_get(federation, home.removeprefix(federation.hub.url)).status_code == 200  # type: ignore[union-attr]


def test_the_news_pages_show_public_items_in_the_readers_language(
    federation: Federation, published: dict[str, str]
) -> None:
    assert set(titles(federation)) == {
        "Clusterele românești la Hanovra",
        "Interreg call for cluster projects",
        "La politique des pôles de compétitivité",
    }
    assert titles(federation, "?network=fr") == ["La politique des pôles de compétitivité"]
    assert titles(federation, "?category=funding_opportunity") == [
        "Interreg call for cluster projects"
    ]
    mistyped = hub_get(federation, "/news?category=gossip")
    assert mistyped.status_code == 422 and 'aria-invalid="true"' in mistyped.text
    page = hub_get(federation, f"/news/ro/{published['ro']}", **{"Accept-Language": "fr"})
    assert page.status_code == 200
    assert '<article lang="ro">' in page.text and "Clusterele românești la Hanovra" in page.text
    assert "Actualité du réseau" in page.text  # the category, in the reader's language
    assert f'href="{federation.members["ro"].url}">Net ro</a>' in page.text
    assert 'alt="Standul"' in page.text and "<strong>românești</strong>" in page.text
    assert 'rel="alternate" type="application/atom+xml" href="/news/feed.atom"' in page.text
    assert hub_get(federation, f"/news/ro/{published['secret']}").status_code == 404
    call = hub_get(federation, f"/news/ro/{published['call']}").text
    assert "Interreg" in call and 'href="https://x.eu/a"' in call  # open: apply


def test_a_withdrawn_item_leaves_the_hub_and_feeds_are_counted(
    federation: Federation, published: dict[str, str]
) -> None:
    ro = federation.members["ro"]
    admin = {"Authorization": f"Bearer {TokenStore(ro.data_dir).create(Role.ADMIN, 'e2e')}"}
    gone = httpx.delete(f"{ro.url}/api/news/items/{published['ro']}", headers=admin)
    assert gone.status_code == 200, gone.text
    tag = item_tag("ro", published["ro"])
    poll(
        lambda: tag not in {e.id for e in hub_feed(federation, "/news/feed.atom").entries},
        60,
        "the withdrawn item gone from the hub's feed",
    )
    assert hub_get(federation, f"/news/ro/{published['ro']}").status_code == 404
    metrics = hub_get(federation, "/metrics").text
    served = metric_value(metrics, "alliance_news_feed_requests_total", format="atom")
    assert served is not None and served > 0
