"""A person registers themselves, without signing in, on a whole in-process node on real
NATS and store: from the event page (a mistake shown beside its field, then fixed) and
through the anonymous API, read and changed with the key given once; a wrong key is a
404; the owner decides through the staff's path (services/events/registrations_public.py).
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.conftest import NodeUnderTest
from tests.integration.test_event_registrations import FEES, REGISTRATIONS, person, register
from tests.integration.test_events_api import create, shown
from tests.integration.test_events_pages import HTML, csrf_of
from tests.integration.test_membership_api import assert_problem

NODE_SERVICES = ("membership", "events")  # what the `node` fixture starts (tests/conftest.py)

PUBLIC = f"{REGISTRATIONS}/public"


async def public_event(node: NodeUnderTest, **overrides: Any) -> dict[str, Any]:
    """A public event of this node, once its calendar shows it."""
    event = await create(node, **overrides)
    await shown(node, lambda items: event["id"] in {i["id"] for i in items})
    return event


async def register_on_the_page(node: NodeUnderTest, page: str, name: str) -> str:
    """Register ``name`` from the event page; the address of their registration."""
    csrf = await csrf_of(node.client, f"{page}/register")
    who = {"contact_name": name, "contact_email": f"{name.lower()}@example.org", "party": "1"}
    sent = await node.client.post(f"{page}/register", data={**who, "csrf": csrf}, headers=HTML)
    assert sent.status_code == 303, sent.text
    return str(sent.headers["location"])


async def test_a_person_registers_from_the_event_page_and_reads_it_with_the_key(
    node: NodeUnderTest,
) -> None:
    event = await public_event(node, capacity=1, fees=FEES)
    me = node.identity.node
    page = f"/events/{me}/{event['id']}"
    assert f"{page}/register" in (await node.client.get(page, headers=HTML)).text
    csrf = await csrf_of(node.client, f"{page}/register")
    typed = {"contact_name": "Ioana Pop", "contact_email": "ioana@", "party": "1", "csrf": csrf}
    bad = await node.client.post(f"{page}/register", data=typed, headers=HTML)
    assert bad.status_code == 422 and 'id="e-contact_email"' in bad.text, bad.text
    assert 'value="Ioana Pop"' in bad.text and 'value="ioana@"' in bad.text
    fixed = {**typed, "contact_email": "ioana@example.ro"}
    sent = await node.client.post(f"{page}/register", data=fixed, headers=HTML)
    assert sent.status_code == 303, sent.text
    mine = sent.headers["location"]
    assert re.match(rf"^/registrations/{me}-\w+\?key=", mine), mine
    assert "confirmed" in (await node.client.get(mine, headers=HTML)).text

    second = await register_on_the_page(node, page, "Maria")
    assert "waitlisted" in (await node.client.get(second, headers=HTML)).text
    path = mine.split("?")[0]
    assert (await node.client.get(path, params={"key": "guess"}, headers=HTML)).status_code == 404
    assert (await node.client.get(path, headers=HTML)).status_code == 404

    token = await csrf_of(node.client, mine)
    key = parse_qs(urlsplit(mine).query)["key"][0]
    cancelled = await node.client.post(
        f"{path}/cancel", data={"csrf": token, "key": key}, headers=HTML
    )
    assert cancelled.status_code == 303, cancelled.text
    assert "cancelled" in (await node.client.get(mine, headers=HTML)).text
    assert "offered" in (await node.client.get(second, headers=HTML)).text
    wrong = await node.client.post(
        f"{second.split('?')[0]}/accept", data={"csrf": token, "key": key}, headers=HTML
    )
    assert wrong.status_code == 404  # one person's key opens no other registration
    theirs = parse_qs(urlsplit(second).query)["key"][0]
    accepted = await node.client.post(
        f"{second.split('?')[0]}/accept", data={"csrf": token, "key": theirs}, headers=HTML
    )
    assert accepted.status_code == 303, accepted.text
    assert "confirmed" in (await node.client.get(second, headers=HTML)).text


async def test_the_anonymous_api_registers_and_only_the_key_holder_reads_it(
    node: NodeUnderTest,
) -> None:
    event = await public_event(node, fees=FEES)
    me = node.identity.node
    made = await node.client.post(PUBLIC, json=person(event, me))
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["status"] == "confirmed" and record["key"]
    read = await node.client.get(f"{PUBLIC}/{record['id']}", params={"key": record["key"]})
    assert read.status_code == 200 and "key" not in read.json()
    assert_problem(
        await node.client.get(f"{PUBLIC}/{record['id']}", params={"key": "x"}), 404, "id"
    )
    staff = await node.client.get(f"{REGISTRATIONS}/{record['id']}", headers=node.editor)
    assert staff.status_code == 200 and "key" not in staff.json()  # never the digest

    left = await node.client.post(f"{PUBLIC}/{record['id']}/cancel", params={"key": record["key"]})
    assert left.status_code == 200 and left.json()["status"] == "cancelled", left.text

    by_staff = await register(node, person(event, me))  # made without a key
    assert_problem(
        await node.client.get(f"{PUBLIC}/{by_staff['id']}", params={"key": "x"}), 404, "id"
    )
    assert_problem(await node.client.post(PUBLIC, json=person(event, me, party=0)), 422, "party")


async def test_an_event_the_public_calendar_does_not_show_takes_no_anonymous_registration(
    node: NodeUnderTest,
) -> None:
    event = await create(node, visibility="alliance")
    me = node.identity.node
    assert_problem(await node.client.post(PUBLIC, json=person(event, me)), 404, "event")
    page = await node.client.get(f"/events/{me}/{event['id']}/register", headers=HTML)
    assert page.status_code == 404


async def test_the_organisation_is_one_of_this_networks_public_members(
    node: NodeUnderTest,
) -> None:
    async def member(visibility: str) -> str:
        name = f"Auto {uuid.uuid4().hex[:6]} SRL"
        body = {"legal_name": name, "country": "RO", "visibility": visibility}
        made = await node.client.post(
            "/api/membership/organizations", json=body, headers=node.editor
        )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    public, hidden = await member("public"), await member("node")
    event = await public_event(node, fees=FEES)
    me = node.identity.node
    form = await node.client.get(f"/events/{me}/{event['id']}/register", headers=HTML)
    assert f'value="{public}"' in form.text and hidden not in form.text
    claimed = await node.client.post(PUBLIC, json=person(event, me, organization_id=hidden))
    assert_problem(claimed, 422, "organization_id")
    made = await node.client.post(PUBLIC, json=person(event, me, organization_id=public))
    assert made.status_code == 201, made.text
    assert (made.json()["total"], made.json()["membership_network"]) == (7500, me)
