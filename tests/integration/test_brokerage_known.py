"""Joining a brokerage session as an organisation the node knows (real NATS, nx-27017 and
the model, one in-process node with membership, events and matching).

Registered organisations reach the matching service's projection; a person joining picks
one (the public: public ones only; staff: any the node holds) and the participant takes
its name, country, NACE codes and network, with its event profile prefilled, embedded and
published; a hidden or unknown organisation is a 404 naming ``known``; typing by hand
still works. The same through the join form.
"""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import NodeUnderTest
from tests.integration.test_brokerage_api import BROKERAGE, PEOPLE, call, join, session_for
from tests.integration.test_events_pages import HTML, csrf_of, signed_in
from tests.integration.test_membership_api import assert_problem, create_org
from tests.integration.test_service_kit import eventually

NODE_SERVICES = ("membership", "events", "matching")  # what the `node` fixture starts

OFFER = "Printed circuit board assembly and soldering."
NEED = "We look for a partner for CE marking."
KEY_IN = re.compile(r"/brokerage/participants/([^?]+)\?key=([^&]+)")


async def projected(node: NodeUnderTest, *orgs: dict[str, Any]) -> list[str]:
    """Wait until the matching service holds the organisations; their keys."""
    keys = [f"{node.identity.node}/{org['id']}" for org in orgs]
    profiles = node.kit("matching").database.collection("profiles")

    async def held() -> bool:
        return await profiles.count_documents({"_id": {"$in": keys}}) == len(keys)

    await eventually(held, 30.0)
    return keys


async def joined(
    node: NodeUnderTest, session: dict[str, Any], body: dict[str, Any], **headers: str
) -> Any:
    person = {"name": "Ana Pop", "email": "ana@example.org", **body}
    url = f"{BROKERAGE}/sessions/{session['id']}/participants"
    return await node.client.post(url, json=person, headers=headers)


async def test_a_person_joins_as_a_known_organisation_with_its_profile_prefilled(
    node: NodeUnderTest,
) -> None:
    public = await create_org(
        node,
        legal_name="Electronica Sud SRL",
        visibility="public",
        nace_codes=["26.12"],
        offers=OFFER,
        needs=NEED,
        cooperation_types=["subcontracting"],
        technologies=["SMT"],
    )
    hidden = await create_org(node, legal_name="Ascuns Tehnic SRL", visibility="node")
    public_key, hidden_key = await projected(node, public, hidden)
    session = await session_for(node)

    # the list to pick from: the public sees public organisations, staff every one
    listed = f"{BROKERAGE}/organisations"
    seen = (await node.client.get(listed, params={"name": "srl"})).json()["items"]
    assert [o["key"] for o in seen] == [public_key]
    staff_seen = (await node.client.get(listed, headers=node.editor)).json()["items"]
    assert {public_key, hidden_key} <= {o["key"] for o in staff_seen}
    names = [o["legal_name"] for o in staff_seen]
    assert names == sorted(names, key=str.casefold)  # by name
    assert (await node.client.get(listed, params={"name": "nothing like it"})).json() == {
        "items": []
    }

    # joined as the public organisation: its fields, and its profile published at once
    answer = await joined(node, session, {"known": public_key})
    assert answer.status_code == 201, answer.text
    ana = answer.json()
    assert ana["organisation"] == "Electronica Sud SRL" and ana["country"] == "RO"
    assert ana["nace_codes"] == ["26.12"] and ana["network"] == node.identity.node
    assert ana["known"] == public_key
    assert ana["profile"]["offers"] == OFFER and ana["profile"]["needs"] == NEED
    assert ana["profile"]["cooperation_types"] == ["subcontracting"]
    assert ana["profile"]["technologies"] == ["smt"]  # as membership keeps it
    assert "contacts" not in ana and "vectors" not in ana
    changed = {**ana["profile"], "technologies": ["reflow"]}
    assert (await call(node, ana, "PUT", "profile", changed)).json()["profile"]["technologies"] == [
        "reflow"
    ]

    # the others see the prefilled profile; recommendations use it without another step
    luc = await join(node, session, PEOPLE[1])  # typed by hand, as before
    others = (await call(node, luc, "GET", "others")).json()["items"]
    assert [o["profile"]["offers"] for o in others] == [OFFER]
    recommended = (await call(node, ana, "GET", "recommendations")).json()["items"]
    assert [r["participant"]["id"] for r in recommended] == [luc["id"]]
    # a cooperation type is the partnering vocabulary, shown in the reader's language
    french = f"/brokerage/participants/{luc['id']}?key={luc['key']}&lang=fr"
    assert "Types de coopération: Sous-traitance</p>" in (await node.client.get(french)).text
    own = f"/brokerage/participants/{ana['id']}?key={ana['key']}&lang=en"
    mine = (await node.client.get(own)).text
    assert 'value="subcontracting" checked' in mine and ">Subcontracting</label>" in mine
    odd = {"offers": OFFER, "cooperation_types": ["friendship"]}
    assert_problem(await call(node, ana, "PUT", "profile", odd), 422, "cooperation_types")

    # a node-only organisation: unknown to the public, known to staff
    assert_problem(await joined(node, session, {"known": hidden_key}), 404, "known")
    assert_problem(await joined(node, session, {"known": f"{public_key}x"}), 404, "known")
    by_staff = await joined(node, session, {"known": hidden_key}, **node.editor)
    assert by_staff.status_code == 201, by_staff.text
    assert by_staff.json()["organisation"] == "Ascuns Tehnic SRL"
    assert by_staff.json()["profile"]["offers"] == "custom software"

    # neither picked nor typed, or a malformed key: 422 naming the field
    assert_problem(await joined(node, session, {}), 422, "organisation")
    assert_problem(await joined(node, session, {"organisation": "X SRL"}), 422, "country")
    assert_problem(await joined(node, session, {"known": "no key"}), 422, "known")

    # the join form: the public list, a name filter, and a pick that fills the profile
    page = f"/brokerage/{session['id']}"
    shown = await node.client.get(page, headers=HTML)
    assert f'value="{public_key}"' in shown.text and hidden_key not in shown.text
    filtered = await node.client.get(page, params={"find": "nothing like it"}, headers=HTML)
    assert public_key not in filtered.text and 'name="organisation"' in filtered.text
    csrf = await csrf_of(node.client, page)
    form = {"name": "Ion", "email": "ion@example.org", "known": public_key, "csrf": csrf}
    posted = await node.client.post(f"{page}/join", data=form, headers=HTML)
    assert posted.status_code == 303, posted.text
    home = await node.client.get(posted.headers["location"], headers=HTML)
    assert "Electronica Sud SRL" in home.text and OFFER in home.text
    hidden_form = {**form, "known": hidden_key}
    refused = await node.client.post(f"{page}/join", data=hidden_form, headers=HTML)
    assert refused.status_code == 422 and 'id="e-known"' in refused.text

    staff = await signed_in(node)
    assert hidden_key in (await staff.get(page, headers=HTML)).text
