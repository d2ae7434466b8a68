"""The alliance calendar as people use it, in Chromium, across a hub and two real nodes.

A public event of one network reaches the partner network's calendar, month view and
event page; its .ics there carries the owner's SEQUENCE, raised by a revision; staff fix
a mistake beside its field in the console and publish.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import httpx
import icalendar
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import admin_token, check_page
from tests.browser.test_node_site import sign_in
from tests.federation import Federation

pytestmark = pytest.mark.browser


def event_body(day: date, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "brokerage",
        "language": "ro",
        "title": {"ro": "Întâlniri B2B auto", "en": "Automotive B2B meetings"},
        "description": {"ro": "Întâlniri de 30 de minute cu furnizori auto."},
        "timezone": "Europe/Bucharest",
        "start": f"{day}T09:30:00",
        "end": f"{day}T17:00:00",
        "venue": {"address": "Bd. Expoziției 1", "city": "București", "country": "RO"},
        "capacity": 120,
        "visibility": "public",
        "nace_sections": ["C"],
        "tags": ["automotive"],
    }
    body.update(overrides)
    return body


def publish_on_ro(federation: Federation, body: dict[str, Any]) -> str:
    ro = federation.members["ro"]
    created = httpx.post(f"{ro.url}/api/events/events", json=body, headers=ro.headers)
    assert created.status_code == 201, created.text
    event_id = str(created.json()["id"])
    published = httpx.post(f"{ro.url}/api/events/events/{event_id}/publish", headers=ro.headers)
    assert published.status_code == 200, published.text
    return event_id


def wait_for_link(page: Page, url: str, name: str) -> None:
    page.goto(url)
    for _ in range(60):  # replication takes a moment
        if page.get_by_role("link", name=name).count():
            return
        page.wait_for_timeout(500)
        page.reload()


def sequence_on(url: str) -> int:
    answer = httpx.get(url)
    assert answer.status_code == 200, answer.text
    (event,) = icalendar.Calendar.from_ical(answer.content).walk("VEVENT")
    return int(event["SEQUENCE"])


def test_a_partner_networks_event_on_the_calendar_its_month_and_its_feed(
    federation: Federation, page: Page
) -> None:
    day = date.today() + timedelta(days=20)
    event_id = publish_on_ro(federation, event_body(day))
    fr = federation.members["fr"]
    wait_for_link(page, fr.url + "/events", "Automotive B2B meetings")  # the reader's language
    check_page(page, "calendar-list")
    page.get_by_label("Kind").select_option("webinar")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Automotive B2B meetings")).to_have_count(0)

    page.goto(f"{fr.url}/events/month?month={day:%Y-%m}")
    link = page.get_by_role("link", name="Automotive B2B meetings")
    expect(link).to_be_visible()
    check_page(page, "calendar-month")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Automotive B2B meetings")
    expect(page.get_by_text("Bd. Expoziției 1, București, RO")).to_be_visible()
    check_page(page, "calendar-event")

    feed = f"{fr.url}/events/ro/{event_id}.ics"
    assert sequence_on(feed) == 0
    ro = federation.members["ro"]
    revised = httpx.put(
        f"{ro.url}/api/events/events/{event_id}",
        json=event_body(day, end=f"{day}T18:00:00"),
        headers=ro.headers,
    )
    assert revised.status_code == 200, revised.text
    for _ in range(60):  # the partner's feed follows the owner's revision
        if sequence_on(feed) == 1:
            break
        page.wait_for_timeout(500)
    assert sequence_on(feed) == 1


def test_staff_create_an_event_fixing_a_mistake_beside_the_field(
    federation: Federation, page: Page
) -> None:
    ro = federation.members["ro"]
    sign_in(page, ro.url, admin_token(federation, "ro"), "/console/events/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("New event")
    page.get_by_label("Kind").select_option("training")
    page.get_by_label("Language of the texts").fill("ro")
    page.get_by_label("Title").fill("Curs lunar de management al clusterelor")
    page.get_by_label("Time zone").fill("Europe/Bucharest")
    page.get_by_label("Start").fill("2027-02-09T09:00")
    page.locator("#f-end").fill("2027-02-09T08:00")
    page.get_by_label("Repeats").fill("FREQ=MONTHLY;COUNT=6")
    page.get_by_label("City").fill("Cluj-Napoca")
    page.get_by_label("Country").fill("RO")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#e-end")).to_contain_text("must be after the start")
    expect(page.get_by_label("Title")).to_have_value("Curs lunar de management al clusterelor")
    check_page(page, "console-event-error")
    page.locator("#f-end").fill("2027-02-09T13:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: Curs lunar")
    page.get_by_role("link", name="Curs lunar de management al clusterelor").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text(re.compile(r"^Published · Sequence 0$"))).to_be_visible()
    check_page(page, "console-event-form")
