"""The calendar's pages over HTTP, on a whole in-process node: what a browser gets.

The public list, month view and event page show public events only; the console's form
refuses bad input beside the field (422, values kept) and its buttons change the status.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from httpx import AsyncClient

from tests.conftest import NodeUnderTest
from tests.integration.test_bus import eventually
from tests.integration.test_events_api import EVENTS, create, shown

NODE_SERVICES = ("membership", "events")  # what the `node` fixture starts (tests/conftest.py)

HTML = {"Accept": "text/html"}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def csrf_of(client: AsyncClient, path: str) -> str:
    page = await client.get(path, headers=HTML)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


async def signed_in(node: NodeUnderTest) -> AsyncClient:
    """The node's client with a console session (an editor's token exchanged for it)."""
    client = node.client
    token = node.editor["Authorization"].removeprefix("Bearer ")
    csrf = await csrf_of(client, "/console/sign-in")
    answer = await client.post(
        "/console/sign-in", data={"token": token, "csrf": csrf, "next": "/console"}, headers=HTML
    )
    assert answer.status_code in (302, 303), answer.text
    return client


def soon(days: int, hour: int) -> str:
    return f"{date.today() + timedelta(days=days)}T{hour:02d}:00:00"


async def test_public_pages_show_public_events_only(node: NodeUnderTest) -> None:
    shown_event = await create(node, start=soon(10, 9), end=soon(10, 17))
    hidden = await create(node, visibility="alliance", title={"ro": "Ascuns"}, description={})
    await shown(node, lambda items: hidden["id"] in {i["id"] for i in items})

    listing = await node.client.get("/events", headers=HTML)
    assert listing.status_code == 200
    assert "B2B meetings" in listing.text and "Ascuns" not in listing.text  # the reader's
    french = await node.client.get("/events?lang=fr", headers=HTML)
    assert "Întâlniri B2B" in french.text  # no French title: the original language
    day = date.today() + timedelta(days=10)
    month = await node.client.get(f"/events/month?month={day:%Y-%m}", headers=HTML)
    assert month.status_code == 200 and "<table" in month.text
    assert f"/events/{node.identity.node}/{shown_event['id']}" in month.text
    page = await node.client.get(f"/events/{node.identity.node}/{shown_event['id']}", headers=HTML)
    assert page.status_code == 200
    assert f"/events/{node.identity.node}/{shown_event['id']}.ics" in page.text
    missing = await node.client.get(f"/events/{node.identity.node}/{hidden['id']}", headers=HTML)
    assert missing.status_code == 404
    assert "Agenda de l&#39;alliance" in french.text or "Agenda de l'alliance" in french.text


async def test_a_bad_filter_is_a_page_naming_it(node: NodeUnderTest) -> None:
    answer = await node.client.get("/events?from=tomorrow", headers=HTML)
    assert answer.status_code == 422
    assert 'id="e-from"' in answer.text


def form(**overrides: Any) -> dict[str, str]:
    fields = {
        "kind": "training",
        "language": "es",
        "title": "Formación mensual",
        "description": "",
        "timezone": "Europe/Madrid",
        "start": "2027-01-12T09:00",
        "end": "2027-01-12T13:00",
        "recurrence": "FREQ=MONTHLY;COUNT=6",
        "online_url": "",
        "venue.address": "",
        "venue.city": "Madrid",
        "venue.country": "ES",
        "capacity": "20",
        "registration_opens": "",
        "registration_closes": "",
        "nace_sections": "M, P",
        "tags": "lean",
        "visibility": "public",
    }
    fields.update(overrides)
    return fields


async def test_staff_fix_a_mistake_beside_the_field_then_publish(node: NodeUnderTest) -> None:
    client = await signed_in(node)
    csrf = await csrf_of(client, "/console/events/new")
    wrong = await client.post(
        "/console/events/new",
        data={**form(end="2027-01-12T08:00", timezone="Europe/Nowhere"), "csrf": csrf},
        headers=HTML,
    )
    assert wrong.status_code == 422
    assert 'id="e-timezone"' in wrong.text and 'id="e-end"' in wrong.text
    assert 'value="Formación mensual"' in wrong.text  # what was typed is kept

    saved = await client.post("/console/events/new", data={**form(), "csrf": csrf}, headers=HTML)
    assert saved.status_code in (302, 303), saved.text
    listing = await client.get("/console/events", headers=HTML)
    found = re.search(r'href="/console/events/([^"]+)">Formación mensual<', listing.text)
    assert found, listing.text
    event_id = found.group(1)

    cancel_too_soon = await client.post(
        f"/console/events/{event_id}/cancel", data={"csrf": csrf}, headers=HTML
    )
    assert cancel_too_soon.status_code == 422 and 'id="e-status"' in cancel_too_soon.text
    published = await client.post(
        f"/console/events/{event_id}/publish", data={"csrf": csrf}, headers=HTML
    )
    assert published.status_code in (302, 303)
    one = await node.client.get(f"{EVENTS}/{node.identity.node}/{event_id}")
    assert one.json()["status"] == "published" and len(one.json()["dates"]) == 6

    async def public() -> bool:
        page = await node.client.get("/events", headers=HTML)
        return "Formación mensual" in page.text

    await eventually(public)
