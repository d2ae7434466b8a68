"""A brokerage session as people use it, in Chromium, on a real node (and its hub).

A person joins by the public form and lands on their pages (with their key), publishes
a profile, sees recommendations and asks for a meeting; the organiser's staff schedule
all from the board, lock a meeting and print a table's sheet; the participant reads
their agenda. Every page passes axe-core; screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import admin_token, check_page
from tests.browser.test_calendar import event_body, publish_on_ro
from tests.browser.test_node_site import sign_in
from tests.federation import Federation, Member

pytestmark = pytest.mark.browser

BROKERAGE = "/api/matching/brokerage"
PEOPLE = (
    (
        "Luc Martin",
        "Certif Lyon",
        "FR",
        "CE marking and conformity testing.",
        "Electronics makers.",
    ),
    ("Marta Ruiz", "Moldes Valencia", "ES", "Injection moulds.", "PCB assembly and soldering."),
)


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """One node is enough: the session, its people and pages live on the organiser's."""
    running = Federation(tmp_path_factory.mktemp("brokerage"), nodes=("ro",)).start()
    yield running
    running.close()


def session_on(ro: Member, event_id: str, day: date) -> dict[str, Any]:
    """The event's session, once the matching service heard of the event."""
    body = {
        "event_id": event_id,
        "days": [day.isoformat()],
        "start": "09:30",
        "slot_minutes": 30,
        "slots_per_day": 4,
        "tables": 2,
        "request_deadline": f"{day - timedelta(days=1)}T18:00",
    }
    for _ in range(300):  # up to 30 s on a busy machine
        made = httpx.post(f"{ro.url}{BROKERAGE}/sessions", json=body, headers=ro.headers)
        if made.status_code != 404:
            break
        time.sleep(0.1)
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def joined(ro: Member, session_id: str, person: tuple[str, ...]) -> dict[str, Any]:
    name, organisation, country, offers, needs = person
    body = {
        "name": name,
        "email": "x@example.org",
        "organisation": organisation,
        "country": country,
    }
    for _ in range(300):  # the session may know its event before it is published there
        answer = httpx.post(f"{ro.url}{BROKERAGE}/sessions/{session_id}/participants", json=body)
        if answer.status_code != 422:
            break
        time.sleep(0.1)
    assert answer.status_code == 201, answer.text
    who = answer.json()
    profile = {"offers": offers, "needs": needs}
    path = f"{ro.url}{BROKERAGE}/participants/{who['id']}/profile"
    assert httpx.put(path, params={"key": who["key"]}, json=profile, timeout=30).status_code == 200
    return who  # type: ignore[no-any-return]


def test_a_participant_and_the_organiser_go_through_a_session(
    federation: Federation, page: Page
) -> None:
    ro = federation.members["ro"]
    day = date.today() + timedelta(days=30)
    session = session_on(ro, publish_on_ro(federation, event_body(day)), day)
    luc, marta = (joined(ro, session["id"], person) for person in PEOPLE)

    page.goto(f"{ro.url}/brokerage/{session['id']}")
    page.get_by_label("Your name").fill("Ana Pop")
    page.get_by_label("E-mail").fill("ana@example.ro")
    page.locator("#f-organisation").fill("Electronica Sud")  # not the list of known ones
    page.get_by_label("Country (two letters)").fill("Romania")
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#e-country")).to_be_visible()  # the mistake beside its field
    check_page(page, "brokerage-join-error")
    page.get_by_label("Country (two letters)").fill("RO")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Electronica Sud")

    page.get_by_label("What you offer").fill("Printed circuit board assembly.")
    page.get_by_label("What you look for").fill("CE marking for our boards.")
    page.get_by_role("button", name="Publish the profile").click()
    recommended = page.locator("#recommended + ul > li").first
    expect(recommended).to_contain_text("Certif Lyon")
    recommended.get_by_role("button", name="Ask for a meeting").click()
    expect(page.locator("#requests-out + ul")).to_contain_text("Certif Lyon")
    check_page(page, "brokerage-participant")
    me = page.url

    requests = httpx.get(
        f"{ro.url}{BROKERAGE}/participants/{luc['id']}/requests", params={"key": luc["key"]}
    ).json()
    accept = (
        f"{ro.url}{BROKERAGE}/participants/{luc['id']}/requests/{requests['in'][0]['id']}/accept"
    )
    assert httpx.post(accept, params={"key": luc["key"]}).status_code == 200
    marta_asks = httpx.post(
        f"{ro.url}{BROKERAGE}/participants/{marta['id']}/requests",
        params={"key": marta["key"]},
        json={"to": luc["id"], "message": "Shall we?"},
    ).json()
    accept = f"{ro.url}{BROKERAGE}/participants/{luc['id']}/requests/{marta_asks['id']}/accept"
    assert httpx.post(accept, params={"key": luc["key"]}).status_code == 200

    sign_in(page, ro.url, admin_token(federation, "ro"), f"/console/brokerage/{session['id']}")
    page.get_by_role("button", name="Schedule all").click()
    expect(page.locator(".run")).to_contain_text("2 of 2 accepted requests placed")
    page.locator("#meetings + table").get_by_role("button", name="Lock").first.click()
    expect(page.locator(".board")).to_contain_text("locked")
    check_page(page, "brokerage-board")
    page.get_by_role("link", name="Table 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Table 1")
    check_page(page, "brokerage-table-sheet")

    page.goto(me.replace("?key=", "/agenda?key=").split("&")[0])
    expect(page.locator("table.agenda")).to_contain_text("Certif Lyon (FR)")
    check_page(page, "brokerage-agenda")
