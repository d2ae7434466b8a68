"""The news API over HTTP, against a whole in-process node on real servers.

Covers an item's lifecycle (draft, publish, revise, withdraw) with tokens and roles, what
anonymous callers see, unsafe HTML stored sanitised with the answer saying what was
removed, bad input (a 4xx naming the field), the filters and paging, reading in the
caller's language once a translation is published, and the published-items counter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from services.news import handlers
from services.news.domain import TranslationDraft
from shared.errors import TooLarge
from tests.conftest import NodeUnderTest
from tests.integration.test_bus import eventually
from tests.integration.test_membership_api import assert_problem

NODE_SERVICES = ("membership", "news")  # what the `node` fixture starts (tests/conftest.py)

ITEMS = "/api/news/items"


def item_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "category": "network_news",
        "language": "ro",
        "title": "Clusterele românești la Hanovra",
        "summary": "Zece clustere au expus la Hannover Messe.",
        "body": "<p>Zece clustere <strong>românești</strong> au expus.</p>",
        "visibility": "public",
        "tags": ["industry", "Industry"],
    }
    payload.update(overrides)
    return payload


async def write(node: NodeUnderTest, publish: bool = True, **overrides: Any) -> dict[str, Any]:
    response = await node.client.post(ITEMS, json=item_payload(**overrides), headers=node.editor)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    if publish:
        response = await node.client.post(f"{ITEMS}/{item['id']}/publish", headers=node.editor)
        assert response.status_code == 200, response.text
        item = response.json()
    return item


async def listed(node: NodeUnderTest, headers: dict[str, str] | None = None, **query: Any) -> Any:
    response = await node.client.get(ITEMS, params=query, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


async def shown(node: NodeUnderTest, check: Callable[[set[str]], bool], **query: Any) -> None:
    """Wait until the news (filled from the bus) satisfies ``check``."""

    async def ok() -> bool:
        return check(
            {i["id"] for i in (await listed(node, node.editor, limit=500, **query))["items"]}
        )

    await eventually(ok)


async def test_an_item_goes_from_draft_to_the_public_news_and_off_it(node: NodeUnderTest) -> None:
    draft = await write(node, publish=False)
    assert draft["status"] == "draft" and draft["tags"] == ["industry"] and draft["removed"] == []
    one = f"{ITEMS}/{node.identity.node}/{draft['id']}"
    assert (await node.client.get(one)).status_code == 404  # drafts are the staff's
    assert (await node.client.get(one, headers=node.editor)).json()["status"] == "draft"
    await shown(node, lambda ids: draft["id"] in ids)
    assert draft["id"] not in {i["id"] for i in (await listed(node))["items"]}

    published = await write(node)
    await eventually(
        lambda: _public(node, published["id"]),
    )
    seen = (await node.client.get(f"{ITEMS}/{node.identity.node}/{published['id']}")).json()
    assert seen["published_at"] and seen["reading"]["language"] == "ro"
    assert_problem(
        await node.client.post(f"{ITEMS}/{published['id']}/publish", headers=node.editor),
        422,
        "status",
    )
    response = await node.client.put(
        f"{ITEMS}/{published['id']}", json=item_payload(title="Nou titlu"), headers=node.editor
    )
    assert response.status_code == 200 and response.json()["version"] == 3
    assert (
        await node.client.delete(f"{ITEMS}/{published['id']}", headers=node.editor)
    ).status_code == 403
    assert (
        await node.client.delete(f"{ITEMS}/{published['id']}", headers=node.admin)
    ).status_code == 200
    await shown(node, lambda ids: published["id"] not in ids)
    assert_problem(
        await node.client.put(
            f"{ITEMS}/{published['id']}", json=item_payload(), headers=node.editor
        ),
        410,
    )


async def _public(node: NodeUnderTest, item_id: str) -> bool:
    return item_id in {i["id"] for i in (await listed(node))["items"]}


async def test_writes_need_an_editor_token(node: NodeUnderTest) -> None:
    assert (await node.client.post(ITEMS, json=item_payload())).status_code == 401
    item = await write(node, publish=False)
    assert (await node.client.post(f"{ITEMS}/{item['id']}/publish")).status_code == 401


async def test_unsafe_html_is_stored_sanitised_and_the_answer_says_what_was_removed(
    node: NodeUnderTest,
) -> None:
    body = (
        '<p onclick="steal()">Hello<script>alert(1)</script> '
        '<a href="javascript:alert(2)">link</a> <img src="https://x.eu/a.png" alt="a"></p>'
    )
    item = await write(node, publish=False, body=body)
    assert "<script" not in item["body"] and "onclick" not in item["body"]
    assert "javascript" not in item["body"] and 'src="https://x.eu/a.png"' in item["body"]
    assert "<script>" in item["removed"] and any("onclick" in r for r in item["removed"])
    assert any("javascript" in r for r in item["removed"]) and "<script>" in item["message"]
    stored = await node.client.get(
        f"{ITEMS}/{node.identity.node}/{item['id']}", headers=node.editor
    )
    assert "<script" not in stored.json()["body"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"language": "klingon"}, "language"),
        ({"language": "xx-yy"}, "language"),
        ({"category": "funding_opportunity"}, "funding"),
        (
            {
                "category": "funding_opportunity",
                "funding": {"programme": "Horizon Europe", "url": "https://ec.europa.eu"},
            },
            "funding.deadline",
        ),
        (
            {"funding": {"deadline": "2027-03-31", "programme": "X", "url": "https://x.eu"}},
            "funding",
        ),
        ({"title": ""}, "title"),
        ({"title": "a\u0000b"}, "title"),
        ({"images": [{"url": "javascript:alert(1)"}]}, "images.0.url"),
        ({"about_networks": ["Not A Node"]}, "about_networks.0"),
        ({"visibility": "secret"}, "visibility"),
        ({"colour": "red"}, "colour"),
        ({"body": "x" * 20_001}, "body"),
    ],
)
async def test_bad_input_is_a_4xx_naming_the_field(
    node: NodeUnderTest, overrides: dict[str, Any], field: str
) -> None:
    response = await node.client.post(ITEMS, json=item_payload(**overrides), headers=node.editor)
    assert_problem(response, 422, field)


async def test_an_unknown_language_filter_is_a_422_naming_it(node: NodeUnderTest) -> None:
    assert_problem(await node.client.get(ITEMS, params={"language": "qq-zz-1"}), 422, "language")
    assert_problem(
        await node.client.get(ITEMS, params={"from": "2027-01-02", "to": "2027-01-01"}), 422, "to"
    )


async def test_filters_and_paging(node: NodeUnderTest) -> None:
    funding = await write(
        node,
        category="funding_opportunity",
        language="en",
        tags=["digital"],
        funding={"deadline": "2027-03-31", "programme": "Digital Europe", "url": "https://x.eu"},
    )
    policy = await write(node, category="policy_update", language="fr", title="Politique")
    await eventually(lambda: _public(node, policy["id"]))
    await eventually(lambda: _public(node, funding["id"]))
    by = lambda **q: listed(node, **q)  # noqa: E731
    assert {i["id"] for i in (await by(category="funding_opportunity"))["items"]} == {funding["id"]}
    assert {i["id"] for i in (await by(language="fr"))["items"]} == {policy["id"]}
    assert {i["id"] for i in (await by(tag="DIGITAL"))["items"]} == {funding["id"]}
    assert (await by(country="ZZ"))["items"] == []
    assert len((await by(network=node.identity.node, limit=500))["items"]) >= 2
    assert (await by(**{"from": "2099-01-01"}))["items"] == []
    first = await by(limit=1)
    assert first["next"] and len(first["items"]) == 1
    second = await by(limit=1, after=first["next"])
    assert second["items"][0]["id"] != first["items"][0]["id"]
    # newest first (to the second: the wire's precision)
    assert first["items"][0]["published_at"] >= second["items"][0]["published_at"]


async def test_a_reader_gets_the_translation_in_their_language_and_the_original_on_request(
    node: NodeUnderTest,
) -> None:
    item = await write(node)
    kit = node.kit("news")
    french = TranslationDraft(language="fr", title="Les clusters roumains à Hanovre")
    await kit.transaction(lambda uow: handlers.publish_translation(item["id"], french, "fr", uow))
    one = f"{ITEMS}/{node.identity.node}/{item['id']}"
    seen = (await node.client.get(one, headers={"Accept-Language": "fr-FR,fr;q=0.9"})).json()
    assert seen["reading"]["language"] == "fr" and seen["reading"]["translator"] == "fr"
    assert seen["title"] == item["title"]  # the original never changes
    assert (await node.client.get(one, params={"lang": "ro"})).json()["reading"][
        "translator"
    ] is None
    assert_problem(await node.client.get(one, params={"lang": "zz-9"}), 422, "lang")
    same = TranslationDraft(language="ro-RO", title="x")
    with pytest.raises(Exception, match="another language"):
        await kit.transaction(lambda uow: handlers.publish_translation(item["id"], same, "fr", uow))
    await eventually(lambda: _languages(node, item["id"], "fr"))


async def _languages(node: NodeUnderTest, item_id: str, language: str) -> bool:
    return item_id in {i["id"] for i in (await listed(node, language=language))["items"]}


async def test_publishing_counts_by_category(node: NodeUnderTest) -> None:
    before = await _published(node, "best_practice")
    await write(node, category="best_practice")
    assert await _published(node, "best_practice") == before + 1


async def _published(node: NodeUnderTest, category: str) -> float:
    text = (await node.client.get("/metrics")).text
    line = f'alliance_news_items_published_total{{category="{category}"}}'
    return next(float(row.split()[-1]) for row in text.splitlines() if row.startswith(line))


async def test_an_item_too_large_for_an_event_with_its_translations_is_refused_naming_the_limit(
    node: NodeUnderTest,
) -> None:
    long = "<p>" + "word " * 3990 + "</p>"  # about 20,000 characters
    item = await write(node, body=long)
    kit = node.kit("news")
    for language in ("fr", "es"):
        more = TranslationDraft(language=language, title="x", body=long)
        await kit.transaction(
            lambda uow, more=more: handlers.publish_translation(item["id"], more, "fr", uow)
        )
    third = TranslationDraft(language="de", title="x", body=long)
    with pytest.raises(TooLarge, match="limited to 65,536 bytes"):
        await kit.transaction(
            lambda uow: handlers.publish_translation(item["id"], third, "fr", uow)
        )
    stored = await node.client.get(
        f"{ITEMS}/{node.identity.node}/{item['id']}", headers=node.editor
    )
    assert {t["language"] for t in stored.json()["translations"]} == {"fr", "es"}  # nothing lost
