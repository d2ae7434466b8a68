"""The alliance's news as people use it, in Chromium, across a hub and two real nodes.

A public item of one network reaches the partner network's news list, its filters and
its item page (the text marked with its language, images with their text alternative),
and once the partner translated it (the translations' API), its French reader gets
French with the original one click away; funding calls come by deadline, the open ones
first; staff write a funding call in the console, fix its missing deadline beside the
field, and publish it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import admin_token, check_page
from tests.browser.test_calendar import wait_for_link
from tests.browser.test_node_site import sign_in
from tests.federation import Federation, poll

pytestmark = pytest.mark.browser
RO_NAME = "Asociația Clusterelor din România"
REQUESTS = "/api/news/translation-requests"


def item_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "network_news",
        "language": "ro",
        "title": "Clusterele românești la Hannover Messe",
        "summary": "Zece clustere au expus pe un stand comun.",
        "body": "<p>Zece clustere <strong>românești</strong> au expus la Hanovra.</p>",
        "images": [{"url": "http://127.0.0.1:9/stand.jpg", "alt": "Standul comun al clusterelor"}],
        "tags": ["industry", "export"],
        "about_networks": ["fr"],
        "visibility": "public",
    }
    body.update(overrides)
    return body


def funding_call(title: str, days: int) -> dict[str, Any]:
    deadline = (date.today() + timedelta(days=days)).isoformat()
    return item_body(
        category="funding_opportunity",
        title=title,
        images=[],
        funding={
            "deadline": deadline,
            "programme": "Interreg Danube",
            "url": "https://calls.example.eu/danube",
        },
    )


def publish_on_ro(federation: Federation, body: dict[str, Any]) -> str:
    ro = federation.members["ro"]
    written = httpx.post(f"{ro.url}/api/news/items", json=body, headers=ro.headers)
    assert written.status_code == 201, written.text
    item_id = str(written.json()["id"])
    published = httpx.post(f"{ro.url}/api/news/items/{item_id}/publish", headers=ro.headers)
    assert published.status_code == 200, published.text
    return item_id


def test_a_partner_networks_news_on_the_list_its_page_and_the_funding_calls(
    federation: Federation, page: Page
) -> None:
    ro = federation.members["ro"]
    profile = {"name": RO_NAME, "country": "RO"}
    named = httpx.put(
        f"{ro.url}/api/membership/profile",
        json=profile,
        headers={"Authorization": f"Bearer {admin_token(federation, 'ro')}"},
    )
    assert named.status_code == 200, named.text
    publish_on_ro(federation, item_body())
    publish_on_ro(federation, funding_call("Apel închis: digitalizare", -5))
    publish_on_ro(federation, funding_call("Apel deschis: clustere verzi", 40))
    fr = federation.members["fr"]
    wait_for_link(page, fr.url + "/news", "Apel deschis: clustere verzi")
    expect(page.get_by_role("link", name="Clusterele românești la Hannover Messe")).to_be_visible()
    check_page(page, "news-list")
    page.get_by_label("Category").select_option("funding_opportunity")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Clusterele românești la Hannover Messe")).to_have_count(0)
    expect(page.get_by_role("link", name="Apel închis: digitalizare")).to_be_visible()

    page.get_by_role("link", name="Funding", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Funding opportunities")
    titles = page.locator("ul.results h3").all_inner_texts()
    assert titles.index("Apel deschis: clustere verzi") < titles.index("Apel închis: digitalizare")
    expect(page.locator("ul.closed")).to_contain_text("Closed")
    check_page(page, "news-funding")

    page.goto(fr.url + "/news")
    page.get_by_role("link", name="Clusterele românești la Hannover Messe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Clusterele românești la Hannover Messe"
    )
    expect(page.locator("article")).to_have_attribute("lang", "ro")
    for _ in range(60):  # the owner's profile reaches the partner's node in a moment
        if page.get_by_text(RO_NAME).count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator("dl.facts").last).to_contain_text(f"Network{RO_NAME}")
    expect(page.get_by_role("img", name="Standul comun al clusterelor")).to_be_attached()
    expect(page.get_by_role("link", name="export")).to_be_visible()
    check_page(page, "news-item")

    page.get_by_label("Language").select_option("fr")  # the site's switcher
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_role("link", name="Actualités de l'alliance")).to_be_visible()
    expect(page.locator("article")).to_have_attribute("lang", "ro")  # no French text: the original
    check_page(page)


def test_staff_write_a_funding_call_fixing_its_deadline_beside_the_field(
    federation: Federation, page: Page
) -> None:
    ro = federation.members["ro"]
    sign_in(page, ro.url, admin_token(federation, "ro"), "/console/news/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("New item")
    page.get_by_label("Category").select_option("funding_opportunity")
    page.get_by_label("Language of the text").fill("ro")
    page.get_by_label("Title").fill("Apel: vouchere de inovare")
    page.get_by_label("Text", exact=True).fill("<p>Depunere online.</p><script>x()</script>")
    page.get_by_label("Programme").fill("Programul Regional Centru")
    page.get_by_label("Where to apply (URL)").fill("https://fonduri.example.ro/vouchere")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#e-funding\\.deadline")).to_contain_text("valid date")
    expect(page.get_by_label("Title")).to_have_value("Apel: vouchere de inovare")
    check_page(page, "console-news-error")

    deadline = date.today() + timedelta(days=60)
    page.get_by_label("Deadline").fill(deadline.isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("stored without: <script>")
    page.get_by_role("link", name="Apel: vouchere de inovare").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published: Apel")
    expect(page.get_by_text(re.compile(r"^Published · Public"))).to_be_visible()
    page.get_by_role("link", name="News", exact=True).last.click()
    expect(page.get_by_role("cell", name="Apel: vouchere de inovare")).to_be_visible()
    check_page(page, "console-news")


def translated_by_fr(federation: Federation, item_id: str, french: dict[str, str]) -> None:
    """ro asks for French, fr claims and submits, ro accepts (the translations' API)."""
    ro, fr = federation.members["ro"], federation.members["fr"]
    asked = httpx.post(
        f"{ro.url}/api/news/items/{item_id}/translation-requests",
        json={"language": "fr"},
        headers=ro.headers,
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    on_fr = f"{fr.url}{REQUESTS}/ro/{request_id}"
    poll(lambda: httpx.get(on_fr, headers=fr.headers).status_code == 200, 60, "the request on fr")
    claimed = httpx.post(f"{on_fr}/claim", headers=fr.headers)
    assert claimed.status_code == 202, claimed.text

    def submitted() -> bool:
        answer = httpx.post(f"{on_fr}/submission", json=french, headers=fr.headers)
        return answer.status_code == 202  # once ro granted the claim

    poll(submitted, 60, "fr's translation submitted")

    def accepted() -> bool:
        answer = httpx.post(f"{ro.url}{REQUESTS}/{request_id}/accept", headers=ro.headers)
        return answer.status_code == 200  # once the submission reached ro

    poll(accepted, 60, "ro accepting fr's translation")


def test_a_partners_translation_is_read_in_french_with_the_original_a_click_away(
    federation: Federation, page: Page
) -> None:
    item_id = publish_on_ro(federation, item_body(title="Clusterul de mobilitate din Cluj"))
    french = {
        "title": "Le cluster de mobilité de Cluj",
        "summary": "Un laboratoire commun pour les véhicules électriques.",
        "body": "<p>Le laboratoire ouvre en <strong>mars</strong>.</p>",
    }
    translated_by_fr(federation, item_id, french)
    fr = federation.members["fr"]
    page.goto(f"{fr.url}/news/ro/{item_id}?lang=fr")  # the French interface and text
    for _ in range(60):  # the accepted translation reaches fr in a moment
        if page.get_by_role("heading", level=1, name=french["title"]).count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator("article")).to_have_attribute("lang", "fr")
    expect(page.locator("p.translated")).to_contain_text("Traduit de l'original (roumain)")
    expect(page.get_by_text("Le laboratoire ouvre en")).to_be_visible()
    expect(page.locator("figure")).to_have_attribute("lang", "ro")  # its alt is the original's
    check_page(page, "news-item-translated")

    page.get_by_role("link", name="Lire l'original").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clusterul de mobilitate din Cluj")
    expect(page.locator("article")).to_have_attribute("lang", "ro")
    page.get_by_role("link", name="français").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(french["title"])
