"""The news pages over HTTP, on a whole in-process node: what a browser gets.

The public list shows published ``public`` items only and filters them; the item page
is in the reader's language when a translation exists (the original on ``?lang=``), and
never shows a script, not even one a replica carries; funding calls come by deadline,
open ones first; the console's form refuses what the API refuses, beside the field, and
says what sanitising removed; the console is for staff only, withdrawing for admins.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from httpx import ASGITransport, AsyncClient

from services.news import handlers
from services.news.app import declare
from services.news.console_pages import news_console
from services.news.domain import TranslationDraft
from services.news.pages import PAGE_SIZE, news_pages
from services.news.store import NEWS
from shared.replicas import replica_key
from tests.conftest import NodeUnderTest
from tests.integration.test_bus import eventually
from tests.integration.test_events_pages import HTML, csrf_of
from tests.integration.test_news_api import ITEMS, _published, item_payload, shown, write

NODE_SERVICES = ("membership", "news")  # what the `node` fixture starts (tests/conftest.py)

FUNDING = {"programme": "Horizon Europe", "url": "https://calls.example.eu/cl"}


def page_of(node: NodeUnderTest, item: dict[str, Any]) -> str:
    return f"/news/{node.identity.node}/{item['id']}"


async def public_news(node: NodeUnderTest, *titles: str) -> None:
    """Wait until the public list (filled from the bus) shows every one of ``titles``."""

    async def ok() -> bool:
        text = (await node.client.get("/news", headers=HTML)).text
        return all(title in text for title in titles)

    await eventually(ok)


async def signed_in(node: NodeUnderTest, headers: dict[str, str]) -> AsyncClient:
    """A client of its own with a console session for the token in ``headers``."""
    client = AsyncClient(transport=ASGITransport(app=node.app), base_url="http://node")
    csrf = await csrf_of(client, "/console/sign-in")
    token = headers["Authorization"].removeprefix("Bearer ")
    answer = await client.post(
        "/console/sign-in", data={"token": token, "csrf": csrf, "next": "/console"}, headers=HTML
    )
    assert answer.status_code in (302, 303), answer.text
    return client


async def test_the_list_shows_public_news_only_and_filters_it(node: NodeUnderTest) -> None:
    await write(node, title="Clusterele la Hanovra", tags=["industry"])
    deadline = (date.today() + timedelta(days=30)).isoformat()
    await write(
        node,
        category="funding_opportunity",
        language="fr",
        title="Appel : vouchers d'innovation",
        tags=["funding"],
        funding={**FUNDING, "deadline": deadline},
    )
    hidden = await write(node, title="Doar pentru alianță", visibility="alliance")
    draft = await write(node, publish=False, title="Ciornă")
    await shown(node, lambda ids: {hidden["id"], draft["id"]} <= ids)
    await public_news(node, "Clusterele la Hanovra", "Appel : vouchers")

    listing = (await node.client.get("/news", headers=HTML)).text
    assert "Doar pentru alianță" not in listing and "Ciornă" not in listing

    async def titles(**query: str) -> str:
        answer = await node.client.get("/news", params=query, headers=HTML)
        assert answer.status_code == 200, answer.text
        return answer.text

    funding = await titles(category="funding_opportunity")
    assert "Appel : vouchers" in funding and "Clusterele la Hanovra" not in funding
    french = await titles(language="fr")
    assert "Appel : vouchers" in french and "Clusterele la Hanovra" not in french
    tagged = await titles(tag="Industry")
    assert "Clusterele la Hanovra" in tagged and "Appel : vouchers" not in tagged
    assert "Clusterele la Hanovra" in await titles(network=node.identity.node, country="RO")
    assert "Clusterele la Hanovra" not in await titles(network="fr-franceclusters")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert "Clusterele la Hanovra" not in await titles(**{"from": tomorrow})
    assert "Clusterele la Hanovra" in await titles(to=tomorrow)

    bad = ({"from": "soon"}, {"category": "gossip"}, {"language": "qq-zz-1"})
    for query in bad:
        (field,) = query
        wrong = await node.client.get("/news", params=query, headers=HTML)
        assert wrong.status_code == 422 and f'id="e-{field}"' in wrong.text


async def test_the_item_page_is_in_the_readers_language_with_the_original_a_click_away(
    node: NodeUnderTest,
) -> None:
    item = await write(
        node,
        title="Clusterele românești la Hanovra",
        body="<p>Zece clustere au expus.</p><script>alert('owner')</script>",
        images=[{"url": "https://img.example.ro/stand.jpg", "alt": "Standul comun"}],
    )
    french = TranslationDraft(
        language="fr",
        title="Les clusters roumains à Hanovre",
        body="<p>Dix clusters ont exposé.</p>",
    )
    await node.kit("news").transaction(
        lambda uow: handlers.publish_translation(item["id"], french, "fr-franceclusters", uow)
    )

    async def translated() -> bool:
        answer = await node.client.get(page_of(node, item), headers=HTML)
        return 'href="?lang=fr"' in answer.text

    await eventually(translated)
    in_french = await node.client.get(
        page_of(node, item), headers={**HTML, "Accept-Language": "fr"}
    )
    text = in_french.text
    assert in_french.status_code == 200
    assert '<article lang="fr">' in text and "<h1>Les clusters roumains à Hanovre</h1>" in text
    assert "Dix clusters ont exposé." in text and "Zece clustere" not in text
    assert "fr-franceclusters" in text and "roumain" in text  # translated from, by
    assert node.identity.name in text  # the network that wrote it, by its name
    assert 'href="?lang=ro"' in text and 'hreflang="ro"' in text  # the original, a click away
    assert 'lang="ro">română</a>' in text and 'lang="fr">français</strong>' in text  # the switch
    assert 'alt="Standul comun"' in text and "<script" not in text.split("<main", 1)[1]

    original = await node.client.get(
        page_of(node, item), params={"lang": "ro"}, headers={**HTML, "Accept-Language": "fr"}
    )
    assert '<article lang="ro">' in original.text
    assert "<h1>Clusterele românești la Hanovra</h1>" in original.text
    assert "Zece clustere au expus." in original.text
    wrong = await node.client.get(page_of(node, item), params={"lang": "zz-9"}, headers=HTML)
    assert wrong.status_code == 422


async def test_a_script_a_replica_carries_is_not_shown(node: NodeUnderTest) -> None:
    """The reader sanitises again: HTML that arrives from another node is never trusted."""
    item = await write(node, title="Un articol")
    await public_news(node, "Un articol")
    news = node.kit("news").reads().collection(NEWS)
    await news.update_one(
        {"_id": replica_key(node.identity.node, item["id"])},
        {"$set": {"data.body": '<p>Text</p><script>alert(1)</script><img src=x onerror="a()">'}},
    )
    page = await node.client.get(page_of(node, item), headers=HTML)
    main = page.text.split("<main", 1)[1]
    assert "<p>Text</p>" in main and "<script" not in main and "onerror" not in main


async def test_a_funding_deadline_written_wrong_elsewhere_does_not_break_the_pages(
    node: NodeUnderTest,
) -> None:
    deadline = (date.today() + timedelta(days=9)).isoformat()
    item = await write(
        node,
        title="Apel",
        category="funding_opportunity",
        funding={**FUNDING, "deadline": deadline},
    )
    await public_news(node, "Apel")
    news = node.kit("news").reads().collection(NEWS)
    await news.update_one(
        {"_id": replica_key(node.identity.node, item["id"])},
        {"$set": {"data.funding.deadline": "soon"}},
    )
    for path in ("/news", "/news/funding", page_of(node, item)):
        answer = await node.client.get(path, headers=HTML)
        assert answer.status_code == 200 and "Apel" in answer.text, path


async def test_funding_calls_come_by_deadline_open_ones_first(node: NodeUnderTest) -> None:
    today = date.today()
    calls = [("Apel închis", -10), ("Apel târziu", 90), ("Apel curând", 5)]
    for title, days in calls:
        deadline = (today + timedelta(days=days)).isoformat()
        await write(
            node,
            title=title,
            category="funding_opportunity",
            funding={**FUNDING, "deadline": deadline},
        )
    await public_news(node, *(title for title, _ in calls))
    page = (await node.client.get("/news/funding", headers=HTML)).text
    order = [page.index(title) for title in ("Apel curând", "Apel târziu", "Apel închis")]
    assert order == sorted(order), page
    closed = page[page.index("Apel închis") :]
    mark = "<strong>Closed</strong>"
    assert mark in closed and mark not in page[: page.index("Apel închis")]
    item = re.search(r'href="(/news/[^"]+)">Apel închis<', page)
    assert item, page
    one = (await node.client.get(item.group(1), headers=HTML)).text
    assert "Horizon Europe" in one and mark in one


def form(**overrides: str) -> dict[str, str]:
    fields = {
        "category": "funding_opportunity",
        "language": "ro",
        "title": "Apel: vouchere de inovare",
        "summary": "Până la 50.000 de euro.",
        "body": "<p>Depunere online.</p>",
        "image.url": "",
        "image.alt": "",
        "cluster": "",
        "about_networks": "",
        "tags": "innovation",
        "visibility": "public",
        "funding.deadline": "",
        "funding.programme": "Programul Regional Centru",
        "funding.url": "https://fonduri.example.ro/vouchere",
    }
    fields.update(overrides)
    return fields


async def test_the_form_refuses_what_the_api_refuses_beside_the_field(
    node: NodeUnderTest,
) -> None:
    client = await signed_in(node, node.editor)
    csrf = await csrf_of(client, "/console/news/new")
    no_deadline = await client.post("/console/news/new", data={**form(), "csrf": csrf})
    assert no_deadline.status_code == 422
    assert 'id="e-funding.deadline"' in no_deadline.text
    assert 'value="Apel: vouchere de inovare"' in no_deadline.text  # what was typed is kept

    lists = {"image.url": "javascript:alert(1)", "about_networks": "fr-franceclusters, Nu!"}
    bad_lists = await client.post("/console/news/new", data={**form(**lists), "csrf": csrf})
    assert bad_lists.status_code == 422
    assert 'id="e-image.url"' in bad_lists.text and 'id="e-about_networks"' in bad_lists.text

    empty = {"funding.programme": "", "funding.url": ""}
    no_funding = await client.post("/console/news/new", data={**form(**empty), "csrf": csrf})
    api = await node.client.post(
        ITEMS, json=item_payload(category="funding_opportunity"), headers=node.editor
    )
    reason = api.json()["errors"][0]["reason"]
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "funding"
    assert no_funding.status_code == 422
    assert re.search(r'<p class="error" id="e-funding">([^<]*)</p>', no_funding.text)
    assert reason in no_funding.text

    deadline = (date.today() + timedelta(days=60)).isoformat()
    body = "<p>Depunere online.</p><script>steal()</script>"
    saved = await client.post(
        "/console/news/new",
        data={**form(**{"funding.deadline": deadline, "body": body}), "csrf": csrf},
    )
    assert saved.status_code == 303, saved.text
    listing = await client.get(saved.headers["location"], headers=HTML)
    assert "stored without" in listing.text and "&lt;script&gt;" in listing.text
    found = re.search(r'href="/console/news/([^"]+)">Apel: vouchere de inovare<', listing.text)
    assert found, listing.text
    edit = f"/console/news/{found.group(1)}"
    assert (await client.get(edit, headers=HTML)).text.count('value="' + deadline + '"') == 1

    counted = await _published(node, "funding_opportunity")
    published = await client.post(f"{edit}/publish", data={"csrf": csrf})
    assert published.status_code == 303
    assert await _published(node, "funding_opportunity") == counted + 1  # as the API counts
    after = (await client.get(published.headers["location"], headers=HTML)).text
    assert "Published: Apel" in after and "/publish" not in after
    stored = await node.client.get(
        f"{ITEMS}/{node.identity.node}/{found.group(1)}", headers=node.editor
    )
    assert stored.json()["status"] == "published" and "steal" not in stored.json()["body"]


async def test_the_console_is_for_staff_and_withdrawing_for_admins(node: NodeUnderTest) -> None:
    item = await write(node, title="De retras")
    anonymous = AsyncClient(transport=ASGITransport(app=node.app), base_url="http://node")
    for path in ("/console/news", "/console/news/new", f"/console/news/{item['id']}"):
        answer = await anonymous.get(path, headers=HTML)
        assert answer.status_code == 303 and "/console/sign-in" in answer.headers["location"]
    csrf = await csrf_of(anonymous, "/console/sign-in")
    posted = await anonymous.post("/console/news/new", data={**form(), "csrf": csrf}, headers=HTML)
    assert posted.status_code == 303 and "/console/sign-in" in posted.headers["location"]

    editor = await signed_in(node, node.editor)
    page = (await editor.get(f"/console/news/{item['id']}", headers=HTML)).text
    assert "/withdraw" not in page  # no button an editor cannot use
    csrf = await csrf_of(editor, "/console/news")
    refused = await editor.post(f"/console/news/{item['id']}/withdraw", data={"csrf": csrf})
    assert refused.status_code == 403
    forged = await editor.post(f"/console/news/{item['id']}/publish", data={"csrf": "forged"})
    assert forged.status_code == 403

    admin = await signed_in(node, node.admin)
    csrf = await csrf_of(admin, f"/console/news/{item['id']}")
    withdrawn = await admin.post(f"/console/news/{item['id']}/withdraw", data={"csrf": csrf})
    assert withdrawn.status_code == 303 and withdrawn.headers["location"].startswith(
        "/console/news?"
    )

    async def gone() -> bool:
        return (await anonymous.get(page_of(node, item), headers=HTML)).status_code == 404

    await eventually(gone)


async def test_the_list_is_paged(node: NodeUnderTest) -> None:
    titles = [f"Știrea {number:02d}" for number in range(PAGE_SIZE + 1)]
    for title in titles:
        await write(node, title=title)

    async def all_public() -> bool:  # published, not only replicated as drafts
        answer = await node.client.get(ITEMS, params={"limit": 500})
        return len(answer.json()["items"]) == len(titles)

    await eventually(all_public)

    first = (await node.client.get("/news", headers=HTML)).text
    following = re.search(r'href="([^"]+)" rel="next"', first)
    assert following, first
    second = (await node.client.get(following.group(1).replace("&amp;", "&"), headers=HTML)).text
    on_first = {title for title in titles if f">{title}</a>" in first}
    on_second = {title for title in titles if f">{title}</a>" in second}
    assert len(on_first) == PAGE_SIZE and on_first | on_second == set(titles)
    assert not on_first & on_second
    assert 'rel="next"' not in second and "First page" in second


def test_the_items_pages_come_after_every_other_news_page() -> None:
    """/news/{origin}/{id} and /console/news/{id} match any segment: another slice's page
    (/console/news/promise, /news/papers) declared after them would never be reached."""
    assert declare().pages[-2:] == (news_pages, news_console)


async def test_the_pages_announce_and_link_the_feeds_of_what_they_show(
    node: NodeUnderTest,
) -> None:
    for path in ("/news", "/news/funding"):
        head, body = (await node.client.get(path, headers=HTML)).text.split("</head>", 1)
        feeds = re.findall(r'<link rel="alternate" type="([^"]+)" href="([^"]+)"', head)
        assert len(feeds) == 2, head
        for kind, href in feeds:
            feed = await node.client.get(href)
            assert feed.status_code == 200 and feed.headers["content-type"].startswith(kind)
            assert f'href="{href}"' in body  # a link a reader sees too


async def test_the_console_marks_only_the_page_it_is_on(node: NodeUnderTest) -> None:
    """/console/papers-to-sign is under no other entry's path, /console/news/new is News."""
    client = await signed_in(node, node.editor)
    for path, entry in (
        ("/console/papers-to-sign", "/console/papers-to-sign"),
        ("/console/papers", "/console/papers"),
        ("/console/news/new", "/console/news"),
    ):
        page = (await client.get(path, headers=HTML)).text
        console_bar = page.split('class="bar console-bar"', 1)[1]
        current = re.findall(r'<a href="([^"]+)" aria-current="page"', console_bar)
        assert current == [entry], (path, current)
    await client.aclose()


async def test_a_published_items_console_page_leads_to_asking_for_a_translation(
    node: NodeUnderTest,
) -> None:
    shared, draft = await write(node), await write(node, publish=False)
    private = await write(node, visibility="node")
    editor = await signed_in(node, node.editor)
    link = f'href="/console/translations?item={shared["id"]}#request"'
    assert link in (await editor.get(f"/console/news/{shared['id']}", headers=HTML)).text
    for other in (draft, private):  # nothing to ask partners for: unseen by them
        page = (await editor.get(f"/console/news/{other['id']}", headers=HTML)).text
        assert "/console/translations?item=" not in page
    form = (await editor.get(f"/console/translations?item={shared['id']}", headers=HTML)).text
    assert re.search(rf'<option value="{shared["id"]}"[^>]*selected', form), form
    await editor.aclose()
