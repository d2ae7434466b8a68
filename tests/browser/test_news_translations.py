"""A translation between networks in the staff consoles, in Chromium, across a hub and two
real nodes: ro's staff ask for French from the item's request form; fr's staff open the
request beside the original, claim it, translate it; ro's staff read the translation
beside the original and publish it. Every page passes axe-core; screenshots for the docs.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import admin_token, check_page
from tests.browser.test_node_site import sign_in
from tests.federation import Federation

pytestmark = pytest.mark.browser
TITLE = "Clusterul de mobilitate din Cluj deschide un laborator"


def published_on_ro(federation: Federation) -> str:
    ro = federation.members["ro"]
    body = {
        "category": "member_news",
        "language": "ro",
        "title": TITLE,
        "summary": "Un laborator comun pentru vehicule electrice.",
        "body": "<p>Laboratorul deschide în <strong>martie</strong>.</p>",
        "visibility": "public",
    }
    created = httpx.post(f"{ro.url}/api/news/items", json=body, headers=ro.headers)
    assert created.status_code == 201, created.text
    item_id = str(created.json()["id"])
    published = httpx.post(f"{ro.url}/api/news/items/{item_id}/publish", headers=ro.headers)
    assert published.status_code == 200, published.text
    return item_id


def reload_until(page: Page, url: str, visible: str) -> None:
    """Replication and the owner's answer take a moment."""
    page.goto(url)
    for _ in range(60):
        if page.get_by_text(visible).count() or page.get_by_role("link", name=visible).count():
            return
        page.wait_for_timeout(500)
        page.reload()


def test_ro_asks_fr_translates_and_ro_publishes_from_the_consoles(
    federation: Federation, browser: Browser, page: Page
) -> None:
    ro, fr = federation.members["ro"], federation.members["fr"]
    item_id = published_on_ro(federation)
    sign_in(page, ro.url, admin_token(federation, "ro"), f"/console/translations?item={item_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Translation requests")
    page.get_by_label("Into the language").fill("ro")
    page.get_by_role("button", name="Request the translation").click()
    expect(page.locator("#e-language")).to_contain_text("ask for another language")
    check_page(page, "console-translation-request-error")
    page.get_by_label("Into the language").fill("fr")
    page.get_by_role("button", name="Request the translation").click()
    expect(page.get_by_role("status")).to_contain_text("Translation requested.")
    request_page = page.url.split("?")[0]

    translator = browser.new_context(locale="en-GB")  # fr's staff, in a browser of their own
    fr_page = translator.new_page()
    sign_in(fr_page, fr.url, admin_token(federation, "fr"), "/console/translations")
    reload_until(fr_page, f"{fr.url}/console/translations", TITLE)
    fr_page.get_by_role("link", name=TITLE).click()
    expect(fr_page.get_by_text("Laboratorul deschide în")).to_be_visible()  # the original
    fr_page.get_by_role("button", name="Claim it").click()
    reload_until(fr_page, fr_page.url.split("?")[0], "Submit the translation")
    fr_page.get_by_label("Title").fill("Le cluster de mobilité de Cluj ouvre un laboratoire")
    fr_page.get_by_label("Text").fill("<p>Le laboratoire ouvre en <strong>mars</strong>.</p>")
    check_page(fr_page, "console-translation-claimed")
    fr_page.get_by_role("button", name="Submit the translation").click()
    expect(fr_page.get_by_role("status")).to_contain_text("Translation sent")
    translator.close()

    reload_until(page, request_page, "Translation by fr")
    expect(page.get_by_text("Le laboratoire ouvre en")).to_be_visible()
    check_page(page, "console-translation-beside-original")
    page.get_by_role("button", name="Accept and publish").click()
    expect(page.get_by_role("status")).to_contain_text("published beside the original")
    item = httpx.get(f"{ro.url}/api/news/items/ro/{item_id}", params={"lang": "fr"}).json()
    assert item["reading"]["translator"] == "fr" and item["title"] == TITLE
