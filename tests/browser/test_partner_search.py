"""Partner search in Chromium, across a hub and two real nodes: on fr's site, in French, a
French need finds ro's Spanish offer, with the reasons shown (the need beside the offer
that matched, the shared NACE code, the score as the sum of its points); a member
expresses interest (a mistake shown beside its field first); ro's staff answer in their
console; the member reads the answer on fr. Every page passes axe-core; screenshots for
the docs.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import admin_token, check_page
from tests.browser.test_news_translations import reload_until
from tests.browser.test_node_site import sign_in
from tests.federation import Federation, poll

pytestmark = pytest.mark.browser
OFFER = "Montaje de placas de circuito impreso y soldadura de componentes electrónicos."
NEED = "Nous cherchons un sous-traitant pour l'assemblage de cartes électroniques."
PARTNER = "Placas Levante SL"


def registered(federation: Federation, node: str, **fields: Any) -> dict[str, Any]:
    answer = federation.create_org(node, **fields)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_a_french_need_finds_a_spanish_offer_and_an_interest_is_answered(
    federation: Federation, browser: Browser, page: Page
) -> None:
    ro, fr = federation.members["ro"], federation.members["fr"]
    registered(
        federation,
        "ro",
        legal_name=PARTNER,
        offers=OFFER,
        visibility="public",
        nace_codes=["26.12"],
        cooperation_types=["subcontracting"],
    )
    seeker = registered(
        federation, "fr", needs=NEED, nace_codes=["26.12"], cooperation_types=["subcontracting"]
    )

    def searchable() -> bool:
        answer = httpx.get(f"{fr.url}/api/matching/search", params={"need": NEED}, timeout=30)
        return PARTNER in answer.text

    poll(searchable, 60, "ro's organisation in fr's partner search")

    page.goto(f"{fr.url}/partners?lang=fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Recherche de partenaires")
    page.get_by_label("Ce dont vous avez besoin").fill(NEED)
    page.get_by_label("Secteur (code NACE)").fill("26.12")
    page.get_by_role("button", name="Rechercher").click()
    result = page.locator("li.match", has_text=PARTNER)
    expect(result).to_be_visible()
    expect(result.locator(".reasons")).to_contain_text("Votre besoin")
    expect(result.locator(".reasons")).to_contain_text(OFFER)
    expect(result.locator(".reasons")).to_contain_text("26.12")
    expect(result).to_contain_text("sur 100")
    check_page(page, "partner-search")

    result.get_by_role("link", name="Manifester son intérêt").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(PARTNER)
    page.get_by_label("Identifiant de votre organisation dans ce réseau").fill(seeker["id"])
    page.get_by_label("Votre nom").fill("Camille Martin")
    page.get_by_label("Message").fill("Nous aimerions vous rencontrer à Bucarest.")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("#e-email")).to_be_visible()
    check_page(page, "partner-interest-error")
    page.get_by_label("Courriel").fill("camille@lumiere.example.fr")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_role("status")).to_contain_text("manifestation d'intérêt est envoyée")
    member_page = page.url
    check_page(page, "partner-interest-mine")

    staff = browser.new_context(locale="en-GB")  # ro's staff, in a browser of their own
    ro_page = staff.new_page()
    sign_in(ro_page, ro.url, admin_token(federation, "ro"), "/console/interests")
    reload_until(ro_page, f"{ro.url}/console/interests", "Nous aimerions vous rencontrer")
    expect(ro_page.get_by_text("camille@lumiere.example.fr")).to_have_count(0)
    check_page(ro_page, "console-interests")
    ro_page.get_by_label("Note").fill("We write to both networks this week.")
    ro_page.get_by_role("button", name="Send the answer").click()
    expect(ro_page.get_by_role("status")).to_contain_text("Answer sent.")
    staff.close()

    reload_until(page, member_page, "Ils vont vous mettre en relation")
    expect(page.get_by_text("We write to both networks this week.")).to_be_visible()
