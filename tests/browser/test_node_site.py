"""A node's public site and staff console, as people use them, in Chromium."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from shared.auth import TokenStore, token_digest
from tests.browser.conftest import admin_token, check_page
from tests.federation import Federation

pytestmark = pytest.mark.browser


def test_a_visitor_searches_the_directory_and_opens_an_organisation(
    federation: Federation, page: Page
) -> None:
    ro = federation.members["ro"]
    for name, visibility in (("Cluj Robotics SRL", "public"), ("Hidden Robotics SRL", "node")):
        federation.create_org(
            "ro", legal_name=name, visibility=visibility, offers="Industrial robot arms"
        )
    page.goto(ro.url + "/")
    check_page(page, "node-home")
    page.get_by_label("Find a member organisation").fill("robotics")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/organizations\?q=robotics"))
    results = page.get_by_role("list", name="Results")
    expect(results.get_by_role("link", name="Cluj Robotics SRL")).to_be_visible()
    expect(page.get_by_text("Hidden Robotics SRL")).to_have_count(0)  # node-only stays inside
    check_page(page, "node-directory")
    results.get_by_role("link", name="Cluj Robotics SRL").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cluj Robotics SRL")
    expect(page.get_by_text("Industrial robot arms")).to_be_visible()
    check_page(page, "node-organisation")


def sign_in(page: Page, url: str, token: str, then: str = "/console") -> None:
    page.goto(url + then)
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def test_staff_fix_a_mistake_beside_the_field_and_import_a_csv(
    federation: Federation, page: Page
) -> None:
    ro = federation.members["ro"]
    sign_in(page, ro.url, admin_token(federation, "ro"), "/console/organizations/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("New organisation")
    check_page(page, "console-organisation-form")
    page.get_by_label("Legal name").fill("Timisoara Sensors SRL")
    page.get_by_label("Country").select_option("RO")
    page.get_by_label("Website").fill("not a website")
    page.get_by_label("NACE sectors").fill("26.11")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#e-website")
    expect(error).to_contain_text("is not an http(s) URL")
    expect(page.get_by_label("Legal name")).to_have_value("Timisoara Sensors SRL")  # kept
    expect(page.get_by_label("Website")).to_have_attribute("aria-invalid", "true")
    check_page(page, "console-organisation-error")
    page.get_by_label("Website").fill("https://sensors.example.ro")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: Timisoara Sensors SRL")
    expect(page.get_by_role("link", name="Timisoara Sensors SRL")).to_be_visible()

    csv_text = (
        "legal_name,country,nace_codes,visibility\n"
        "Brasov Aero SRL,RO,26.11,public\n"
        "Broken Country SRL,XX,,public\n"
        "Iasi Software SRL,RO,62.10,alliance\n"
        "Bad Sector SRL,RO,99.99,public\n"
    )
    page.goto(ro.url + "/console/import")
    check_page(page, "console-import")
    page.get_by_label(re.compile("CSV file")).set_input_files(
        files=[{"name": "members.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Done: 2 organisations imported, 2 rows refused.", timeout=30_000
    )
    rows = page.get_by_role("row")
    expect(rows.filter(has_text="country")).to_contain_text("3")
    expect(rows.filter(has_text="nace_codes")).to_contain_text("5")
    check_page(page, "console-import-report")


def test_signing_out_and_a_revoked_token_end_the_session(
    federation: Federation, page: Page
) -> None:
    ro = federation.members["ro"]
    store = TokenStore(ro.data_dir)
    token = admin_token(federation, "ro")
    sign_in(page, ro.url, token)
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff console")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["alliance_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and session["expires"] > 0
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    page.goto(ro.url + "/console/organizations")
    expect(page).to_have_url(re.compile(r"/console/sign-in"))  # signed out for good

    sign_in(page, ro.url, token)
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff console")
    entry = next(r for r in store.records() if r.sha256 == token_digest(token))
    store.revoke(entry.id)
    page.goto(ro.url + "/console/organizations")
    expect(page).to_have_url(re.compile(r"/console/sign-in\?.*expired=1"))
    expect(page.get_by_role("status")).to_contain_text("Your session has ended")


def test_an_admin_makes_and_revokes_a_token_in_the_console(
    federation: Federation, page: Page
) -> None:
    ro = federation.members["ro"]
    sign_in(page, ro.url, admin_token(federation, "ro"), "/console/tokens")
    page.get_by_label("Role").select_option("editor")
    page.get_by_label("Label").fill("Maria (events desk)")
    page.get_by_label("Expires in").fill("soon")
    page.get_by_role("button", name="Make the token").click()
    expect(page.locator("#e-expires_in")).to_contain_text("invalid lifetime")
    page.get_by_label("Expires in").fill("30d")
    page.get_by_role("button", name="Make the token").click()
    made = page.locator("code").inner_text()
    assert made.startswith("alt_")
    assert TokenStore(ro.data_dir).role_of(made) is not None
    check_page(page, "console-tokens")
    page.get_by_role("button", name="Revoke Maria (events desk)").click()
    expect(page.get_by_role("status")).to_contain_text("Revoked: Maria (events desk)")
    assert TokenStore(ro.data_dir).role_of(made) is None


def test_a_form_without_its_csrf_token_is_refused(federation: Federation) -> None:
    ro = federation.members["ro"]
    token = admin_token(federation, "ro")
    with httpx.Client(base_url=ro.url) as browser_like:
        page = browser_like.get("/console/sign-in")
        assert page.status_code == 200
        answer = browser_like.post("/console/sign-in", data={"token": token, "csrf": "forged"})
        assert answer.status_code == 403
        assert "alliance_session" not in answer.cookies


def test_unknown_pages_are_friendly_for_browsers_and_json_for_api_clients(
    federation: Federation, page: Page
) -> None:
    ro = federation.members["ro"]
    response = page.goto(ro.url + "/no/such/page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    check_page(page)
    api = httpx.get(ro.url + "/no/such/page", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json()["message"] == "Not Found"


def test_a_public_organisation_appears_on_a_partner_networks_directory(
    federation: Federation, page: Page
) -> None:
    answer = federation.create_org(
        "ro", legal_name="Sibiu Composites SRL", visibility="public", technologies=["composites"]
    )
    assert answer.status_code == 201, answer.text
    fr = federation.members["fr"]
    page.goto(fr.url + "/organizations?network=alliance&q=composites")
    for _ in range(60):  # replication takes a moment
        if page.get_by_role("link", name="Sibiu Composites SRL").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    page.get_by_role("link", name="Sibiu Composites SRL").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sibiu Composites SRL")
    expect(page.get_by_text(re.compile(r"^Member of (Net ro|ro)$"))).to_be_visible()
    check_page(page, "node-partner-organisation")


def test_a_french_browser_gets_french_and_the_switcher_changes_it(
    federation: Federation, browser: Browser
) -> None:
    ro = federation.members["ro"]
    context = browser.new_context(locale="fr-FR")  # sends Accept-Language: fr-FR
    try:
        page = context.new_page()
        page.goto(ro.url + "/")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.get_by_role("link", name="Membres", exact=True)).to_be_visible()
        expect(page.get_by_label("Trouver une organisation membre")).to_be_visible()
        check_page(page, "node-home-fr")
        page.get_by_label("Langue").select_option("es")
        page.get_by_role("button", name="Changer").click()
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_role("link", name="Miembros", exact=True)).to_be_visible()
        page.goto(ro.url + "/organizations")  # the choice is remembered
        expect(page.locator("html")).to_have_attribute("lang", "es")
    finally:
        context.close()
