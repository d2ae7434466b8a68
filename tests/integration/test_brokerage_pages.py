"""Brokerage pages on a whole in-process node: join by the form, a participant's pages
with their key (a mistake shown beside its field), the organiser's board and a table's
printable sheet, an agenda page and its printable version."""

from __future__ import annotations

import re

from services.events.store import CALENDAR
from shared.replicas import replica_key
from tests.conftest import NodeUnderTest
from tests.integration.test_brokerage_api import (
    PEOPLE,
    SESSION,
    ask,
    call,
    heard,
    join,
    session_for,
)
from tests.integration.test_events_api import create
from tests.integration.test_events_pages import HTML, csrf_of, signed_in
from tests.integration.test_service_kit import eventually

NODE_SERVICES = ("events", "matching")  # what the `node` fixture starts (tests/conftest.py)

KEY_IN = re.compile(r"/brokerage/participants/([^?]+)\?key=([^&]+)")


async def test_a_person_joins_by_the_form_and_the_organiser_schedules_from_the_board(
    node: NodeUnderTest,
) -> None:
    session = await session_for(node)
    public = f"/brokerage/{session['id']}"
    page = await node.client.get(public, headers=HTML)
    assert page.status_code == 200 and "09:30" in page.text

    form = {"name": "Ana", "organisation": "Electronica Sud", "country": "RO", "nace_codes": "26.1"}
    csrf = await csrf_of(node.client, public)
    wrong = await node.client.post(
        f"{public}/join", data={**form, "email": "nope", "csrf": csrf}, headers=HTML
    )
    assert wrong.status_code == 422 and 'id="e-email"' in wrong.text
    assert 'value="Electronica Sud"' in wrong.text  # what was typed is kept
    joined = await node.client.post(
        f"{public}/join", data={**form, "email": "ana@example.org", "csrf": csrf}, headers=HTML
    )
    assert joined.status_code == 303, joined.text
    found = KEY_IN.search(joined.headers["location"])
    assert found
    ana = {"id": found.group(1), "key": found.group(2)}
    home = await node.client.get(joined.headers["location"], headers=HTML)
    assert home.status_code == 200 and "Electronica Sud" in home.text
    assert '<meta name="referrer" content="no-referrer">' in home.text  # the key stays here
    assert (await node.client.get(f"/brokerage/participants/{ana['id']}?key=x")).status_code == 404

    empty = await node.client.post(
        f"/brokerage/participants/{ana['id']}/profile",
        data={"offers": "", "needs": "", "key": ana["key"], "csrf": csrf},
        headers=HTML,
    )
    assert empty.status_code == 422 and 'id="e-needs"' in empty.text

    luc = await join(node, session, PEOPLE[1])
    request = await ask(node, luc, ana)
    home = await node.client.get(f"/brokerage/participants/{ana['id']}?key={ana['key']}")
    assert "Certif Lyon" in home.text and f"requests/{request['id']}/accept" in home.text
    assert "luc@example.org" not in home.text  # another participant's e-mail never shows
    accepted = await node.client.post(
        f"/brokerage/participants/{ana['id']}/requests/{request['id']}/accept",
        data={"key": ana["key"], "csrf": csrf},
        headers=HTML,
    )
    assert accepted.status_code == 303, accepted.text

    client = await signed_in(node)
    board = f"/console/brokerage/{session['id']}"
    csrf = await csrf_of(client, board)
    ran = await client.post(f"{board}/schedule", data={"csrf": csrf}, headers=HTML)
    assert ran.status_code == 303, ran.text
    shown = await client.get(board, headers=HTML)
    assert "Certif Lyon · Electronica Sud" in shown.text and "luc@example.org" in shown.text
    sheet = await client.get(f"{board}/tables/1", headers=HTML)
    assert sheet.status_code == 200 and "Certif Lyon" in sheet.text and "@media print" in sheet.text
    agenda = f"/brokerage/participants/{ana['id']}/agenda?key={ana['key']}"
    assert "Certif Lyon (FR)" in (await client.get(agenda, headers=HTML)).text
    printable = await client.get(f"{agenda}&print=1", headers=HTML)
    assert "@media print" in printable.text and "Certif Lyon (FR)" in printable.text
    assert (await call(node, ana, "GET", "agenda")).json()["items"][0]["table"] == 1

    # staff make a session for another brokerage event from the console form; its event
    # page links to the session, which says why it is not there before it is made
    other = await create(node, visibility="public")  # its page is public
    await heard(node, other["id"])
    event_page = f"/events/{node.identity.node}/{other['id']}"

    async def on_calendar() -> bool:  # the calendar is fed from the bus too
        return (await client.get(event_page, headers=HTML)).status_code == 200

    await eventually(on_calendar)
    shown = await client.get(event_page, headers=HTML)
    assert f'href="/brokerage/{other["id"]}"' in shown.text
    not_yet = await client.get(f"/brokerage/{other['id']}", headers=HTML)
    assert not_yet.status_code == 404 and "have not opened the matchmaking meetings" in not_yet.text
    # a partner's brokerage event: its meetings are on the partner's site, not here
    calendar = node.kit("events").database.collection(CALENDAR)
    own = await calendar.find_one({"_id": replica_key(node.identity.node, other["id"])})
    assert own is not None
    theirs = {**own, "_id": replica_key("fr", "fr-b2b"), "origin": "fr", "aggregateid": "fr-b2b"}
    await calendar.insert_one({**theirs, "data": {**own["data"], "id": "fr-b2b"}})
    shown = await client.get("/events/fr/fr-b2b", headers=HTML)
    assert "runs the matchmaking meetings on its own site" in shown.text
    assert 'href="/brokerage/' not in shown.text
    webinar = await create(node, kind="webinar", visibility="public")
    event_page = f"/events/{node.identity.node}/{webinar['id']}"
    await eventually(on_calendar)
    assert "/brokerage/" not in (await client.get(event_page, headers=HTML)).text
    csrf = await csrf_of(client, "/console/brokerage")
    form = {**SESSION, "days": "2027-03-18", "event_id": other["id"], "csrf": csrf}
    listed = await client.get("/console/brokerage", headers=HTML)
    assert f'value="{other["id"]}"' in listed.text
    assert f'<option value="{session["id"]}"' not in listed.text  # it has its session
    wrong = await client.post("/console/brokerage", data={**form, "tables": "500"}, headers=HTML)
    assert wrong.status_code == 422 and 'id="e-tables"' in wrong.text
    made = await client.post("/console/brokerage", data=form, headers=HTML)
    assert (
        made.status_code == 303 and made.headers["location"] == f"/console/brokerage/{other['id']}"
    )
    opened = await client.get(f"/brokerage/{other['id']}", headers=HTML)
    assert opened.status_code == 200 and 'action="/brokerage/' in opened.text
