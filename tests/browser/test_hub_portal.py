"""The hub's public portal and the console's federation page, in Chromium."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import admin_token, check_page
from tests.browser.test_calendar import event_body, publish_on_ro
from tests.browser.test_node_site import sign_in
from tests.e2e.test_news_papers import OWN, call, drafted_and_invited, sign_on, statuses_on_ro
from tests.federation import Federation, poll

pytestmark = pytest.mark.browser


def wait_for(page: Page, url: str, name: str, attempts: int = 60) -> None:
    """Reload until a link appears: replication takes a moment."""
    page.goto(url)
    for _ in range(attempts):
        if page.get_by_role("link", name=name).count():
            return
        page.wait_for_timeout(500)
        page.reload()


def test_the_portal_lists_the_networks_with_links_to_their_sites(
    federation: Federation, page: Page
) -> None:
    assert federation.hub is not None
    ro = federation.members["ro"]
    federation.create_org("ro", legal_name="Ploiesti Energy SRL", visibility="public")
    wait_for(page, federation.hub.url + "/", "Net ro")
    check_page(page, "hub-portal")
    expect(page.get_by_role("link", name="Net ro")).to_have_attribute("href", ro.url)
    expect(page.get_by_role("link", name="Net fr")).to_be_visible()


def test_a_public_organisation_of_a_node_is_found_on_the_portal(
    federation: Federation, page: Page
) -> None:
    assert federation.hub is not None
    federation.create_org("fr", legal_name="Lyon Photonique SAS", visibility="public", city="Lyon")
    federation.create_org("fr", legal_name="Secret Photonique SAS", visibility="alliance")
    wait_for(page, federation.hub.url + "/organizations?q=photonique", "Lyon Photonique SAS")
    expect(page.get_by_text("Secret Photonique SAS")).to_have_count(0)  # alliance-only
    check_page(page, "hub-directory")
    page.get_by_role("link", name="Lyon Photonique SAS").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lyon Photonique SAS")
    expect(page.get_by_text("Member of Net fr")).to_be_visible()


def test_the_status_page_shows_each_networks_link(federation: Federation, page: Page) -> None:
    assert federation.hub is not None
    page.goto(federation.hub.url + "/status")
    rows = page.get_by_role("row")
    expect(rows.filter(has_text="Net ro")).to_contain_text("up")
    expect(rows.filter(has_text="Net fr")).to_contain_text("up")
    check_page(page, "hub-status")


def test_staff_read_the_federation_state_in_the_console(federation: Federation, page: Page) -> None:
    ro = federation.members["ro"]
    sign_in(page, ro.url, admin_token(federation, "ro"), "/console/federation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Federation")
    expect(page.get_by_role("status")).to_contain_text("The link to the alliance hub is up.")
    fr_row = page.get_by_role("row").filter(has_text=re.compile(r"^\s*fr"))
    for _ in range(60):  # ro sources fr once the hub's registry told it of fr
        if fr_row.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(fr_row).to_have_count(1)
    check_page(page, "console-federation")


def test_the_alliance_calendar_links_each_event_to_its_owners_site(
    federation: Federation, page: Page
) -> None:
    assert federation.hub is not None
    ro = federation.members["ro"]
    day = date.today() + timedelta(days=30)
    title = "Misiune economica la Lyon"
    event_id = publish_on_ro(federation, event_body(day, title={"ro": title}, kind="trade_mission"))
    wait_for(page, federation.hub.url + "/", "Calendar")
    page.get_by_role("link", name="Calendar").click()
    wait_for(page, page.url, title)
    expect(page.get_by_role("heading", level=1)).to_have_text("Alliance calendar")
    owners_page = f"{ro.url}/events/ro/{event_id}"
    expect(page.get_by_role("link", name=title, exact=True)).to_have_attribute("href", owners_page)
    expect(page.get_by_role("link", name=f"Add {title} to a calendar")).to_have_attribute(
        "href", owners_page + ".ics"
    )
    expect(page.get_by_text("Trade mission · Net ro")).to_be_visible()
    check_page(page, "hub-calendar")
    page.get_by_label("Kind").select_option("webinar")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=title, exact=True)).to_have_count(0)
    expect(page.get_by_text("No upcoming public event matches these filters.")).to_be_visible()


def test_the_alliance_news_shows_each_item_on_a_page_announcing_the_feeds(
    federation: Federation, page: Page
) -> None:
    assert federation.hub is not None
    ro = federation.members["ro"]
    item = {
        "category": "best_practice",
        "language": "ro",
        "title": "Cum lucrează clusterele cu universitățile",
        "summary": "Trei exemple din Transilvania.",
        "body": "<p>Trei clustere au <strong>laboratoare comune</strong>.</p>",
        "visibility": "public",
    }
    created = httpx.post(f"{ro.url}/api/news/items", json=item, headers=ro.headers)
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    done = httpx.post(f"{ro.url}/api/news/items/{item_id}/publish", headers=ro.headers)
    assert done.status_code == 200, done.text
    wait_for(page, federation.hub.url + "/", "News")
    page.get_by_role("link", name="News", exact=True).click()
    wait_for(page, page.url, item["title"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Alliance news")
    feeds = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    expect(feeds.first).to_have_attribute("href", "/news/feed.atom")
    check_page(page, "hub-news")
    page.get_by_role("link", name=item["title"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(item["title"])
    expect(page.locator("article")).to_have_attribute("lang", "ro")
    expect(page.get_by_text("Best practice · Net ro")).to_be_visible()
    check_page(page, "hub-news-item")


def test_the_promise_matrix_and_a_nodes_own_row_are_accessible(
    federation: Federation, page: Page
) -> None:
    """The hub's matrix, ro's row, the digest pages: tables with headers, axe-clean."""
    assert federation.hub is not None
    page.goto(federation.hub.url + "/promise")
    expect(page.get_by_role("columnheader", name="Net ro").first).to_be_visible()
    expect(page.get_by_role("rowheader", name="Net fr").first).to_be_visible()
    check_page(page)
    ro = federation.members["ro"]
    sign_in(page, ro.url, admin_token(federation, "ro"), "/console/news/promise")
    expect(page.get_by_role("heading", level=1)).to_have_text("Our twice-a-year promise")
    check_page(page)
    page.goto(ro.url + "/console/news/digests?period=week&start=2026-11-25&language=fr")
    expect(page.get_by_label("Language of the digest (e.g. fr, ro, es)")).to_have_value("fr")
    check_page(page)
    page.goto(ro.url + "/news/digests")
    expect(page.get_by_role("heading", level=1)).to_have_text("Newsletter digests")
    check_page(page)


def test_a_published_paper_on_the_hub_shows_its_verified_signatories(
    federation: Federation, page: Page
) -> None:
    """ro's paper co-signed by fr: listed on the hub, its page verified and axe-clean."""
    assert federation.hub is not None
    title = "Clusters and the single market"
    paper = drafted_and_invited(federation, title, ["fr"])
    sign_on(federation, "fr", paper)
    poll(lambda: statuses_on_ro(federation, paper["id"]) == {"fr": "signed"}, 60, "fr signed")
    call(federation, "ro", "POST", f"{OWN}/{paper['id']}/publish")
    wait_for(page, federation.hub.url + "/", "Position papers")
    page.get_by_role("link", name="Position papers").click()
    wait_for(page, page.url, title)
    expect(page.get_by_role("heading", level=1)).to_have_text("Position papers")
    check_page(page)
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    for network in ("Net ro", "Net fr"):
        row = page.get_by_role("row").filter(has_text=network)
        expect(row).to_contain_text("verified")
        expect(row).not_to_contain_text("not verified")
    expect(page.get_by_text(paper["hash"])).to_be_visible()
    check_page(page)
