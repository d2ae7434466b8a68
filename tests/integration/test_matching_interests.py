"""Expressions of interest on a whole in-process node (real NATS, nx-27017, the model).

Between two organisations of this node nothing travels: the member's record and the
staff's are written at once, the staff answer, the member reads the answer with the key.
An expression from another node is handed to the handler the kit calls for an inbox
message: a known organisation opens it (without the person's name or e-mail, which never
travel), an unknown one is refused by a message back. Who may read what, and bad input.
"""

from __future__ import annotations

from typing import Any

from services.matching import interest
from services.matching.handlers import on_organisation
from services.matching.store import MatchingUnitOfWork
from shared.contracts.base import Visibility
from shared.contracts.direct import MessageRefused
from shared.contracts.matching import InterestAnswered, InterestExpressed, Organisation
from shared.contracts.membership import OrganizationRegistered
from shared.direct import DirectDelivery
from shared.service import Delivery, ServiceKit
from tests.conftest import NodeUnderTest
from tests.integration.test_bus import eventually
from tests.integration.test_events_pages import CSRF, HTML, csrf_of, signed_in
from tests.integration.test_matching_search import DEADLINE, PCB_NEED, PCB_OFFER, found
from tests.integration.test_membership_api import assert_problem, create_org

NODE_SERVICES = ("membership", "matching")  # what the `node` fixture starts

INTERESTS = "/api/matching/interests"
PERSON = {"name": "Ana Popescu", "email": "ana@example.ro"}


async def indexed(node: NodeUnderTest, *orgs: dict[str, Any]) -> str:
    """Wait until the organisations are searchable; returns this node's network id."""
    query = {"need": PCB_NEED, "offer": PCB_OFFER, "exclude_own_country": "false"}

    async def all_there() -> bool:
        ids = {r["organisation_id"] for r in await found(node, query, node.editor)}
        return all(org["id"] in ids for org in orgs)

    await eventually(all_there, DEADLINE)
    return node.identity.node


def csrf_of_page(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def delivery(sender: str) -> DirectDelivery:
    return DirectDelivery(sender=sender, message_id=f"env-{sender}", time="2027-01-01T00:00:00Z")


async def test_an_interest_between_own_members_is_answered_and_read_with_its_key(
    node: NodeUnderTest,
) -> None:
    seeker = await create_org(node, needs=PCB_NEED, visibility="public")
    partner = await create_org(node, offers=PCB_OFFER, visibility="public")
    network = await indexed(node, seeker, partner)
    draft = {
        **PERSON,
        "partner": f"{network}/{partner['id']}",
        "organisation_id": seeker["id"],
        "message": "We would like to meet you at the next brokerage event.",
    }
    sent = await node.client.post(INTERESTS, json=draft)
    assert sent.status_code == 201, sent.text
    record = sent.json()
    assert record["status"] == "waiting" and record["key"]
    assert record["person"] == PERSON
    assert any(r["kind"] == "need_offer" for r in record["reasons"])
    mine = f"{INTERESTS}/{record['id']}"

    # the staff's console: received (no person) and sent
    received = (await node.client.get(INTERESTS, headers=node.editor)).json()["items"]
    [opened] = [item for item in received if item["id"] == record["id"]]
    assert opened["status"] == "open" and "person" not in opened
    assert opened["sender"]["legal_name"] == seeker["legal_name"]
    assert_problem(await node.client.get(INTERESTS), 401)

    # the member reads it with the key only; a wrong key looks like an unknown record
    assert_problem(await node.client.get(mine), 404, "key")
    assert_problem(await node.client.get(mine, params={"key": "wrong"}), 404, "id")
    answer = {"outcome": "introduce", "note": "We will write to both of you this week."}
    assert_problem(await node.client.post(f"{mine}/answer", json=answer), 401)
    answered = await node.client.post(f"{mine}/answer", json=answer, headers=node.editor)
    assert answered.status_code == 200, answered.text
    again = await node.client.post(f"{mine}/answer", json=answer, headers=node.editor)
    assert_problem(again, 409, "outcome")
    read = await node.client.get(mine, params={"key": record["key"]})
    assert read.status_code == 200, read.text
    assert read.json()["status"] == "introduce"
    assert read.json()["note"] == answer["note"]
    assert "key" not in read.json()


async def test_bad_interests_are_refused_naming_the_field(node: NodeUnderTest) -> None:
    seeker = await create_org(node, needs=PCB_NEED, visibility="public")
    hidden = await create_org(node, offers=PCB_OFFER, visibility="node")
    network = await indexed(node, seeker, hidden)
    good = {
        **PERSON,
        "partner": f"{network}/{hidden['id']}",
        "organisation_id": seeker["id"],
        "message": "Hello",
    }
    # a node-only partner is unknown to the public, known to staff
    assert_problem(await node.client.post(INTERESTS, json=good), 404, "partner")
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "email": "not-an-address"}, "email"),
        ({**good, "message": "  "}, "message"),
        ({**good, "organisation_id": "nobody"}, "organisation_id"),
        ({**good, "partner": f"{network}/{seeker['id']}"}, "partner"),
        ({**good, "phone": "+40 000"}, "phone"),
    ]
    for body, field in cases:
        response = await node.client.post(INTERESTS, json=body, headers=node.editor)
        assert_problem(response, 422, field)
    response = await node.client.post(INTERESTS, json={**good, "email": "ana.example.org"})
    assert "not an e-mail address" in response.json()["message"]
    bad_answer = {"outcome": "maybe"}
    response = await node.client.post(f"{INTERESTS}/x/answer", json=bad_answer, headers=node.editor)
    assert_problem(response, 422, "outcome")
    response = await node.client.post(
        f"{INTERESTS}/x/answer", json={"outcome": "decline"}, headers=node.editor
    )
    assert_problem(response, 404, "id")


async def test_a_partners_interest_opens_here_and_one_for_an_unknown_organisation_is_refused(
    node: NodeUnderTest,
) -> None:
    partner = await create_org(node, offers=PCB_OFFER, visibility="alliance")
    network = await indexed(node, partner)
    kit: ServiceKit[MatchingUnitOfWork] = node.kit("matching")

    def expressed(organisation_id: str, message_id: str) -> InterestExpressed:
        return InterestExpressed(
            id=message_id,
            sender=Organisation(id="fr-1", network="fr", legal_name="Lumière SAS", country="FR"),
            partner=Organisation(id=organisation_id, network=network, legal_name="?", country="RO"),
            message="Nous cherchons un assembleur de cartes.",
            expressed_at="2027-01-01T00:00:00Z",
        )

    for message in (expressed(partner["id"], "fr-i1"), expressed("unknown", "fr-i2")):
        await kit.transaction(
            lambda uow, m=message: interest.on_interest_expressed(kit, m, delivery("fr"), uow)
        )
    received = (await node.client.get(INTERESTS, headers=node.editor)).json()["items"]
    assert [item["id"] for item in received] == ["fr-i1"]
    outbox = await kit.database.direct_outbox.find({"target": "fr"}).to_list()
    assert len(outbox) == 1 and b"refused" in outbox[0]["body"]

    answer = {"outcome": "decline", "note": "They are fully booked."}
    answered = await node.client.post(f"{INTERESTS}/fr-i1/answer", json=answer, headers=node.editor)
    assert answered.status_code == 200, answered.text
    assert len(await kit.database.direct_outbox.find({"target": "fr"}).to_list()) == 2

    # an answer from a node the expression was not sent to is an error (dead-lettered)
    forged = InterestAnswered(id="fr-i1", outcome="introduce", answered_at="2027-01-01T00:00:00Z")
    try:
        await kit.transaction(
            lambda uow: interest.on_interest_answered(kit, forged, delivery("es"), uow)
        )
    except LookupError as exc:
        assert "fr-i1" in str(exc)
    else:
        raise AssertionError("an answer nobody waits for was accepted")


async def test_the_pages_search_explain_take_an_interest_and_show_it_in_the_console(
    node: NodeUnderTest,
) -> None:
    seeker = await create_org(node, needs=PCB_NEED, visibility="public")
    partner = await create_org(
        node,
        offers=PCB_OFFER,
        needs="Buscamos un software de gestión de la producción para nuestra fábrica.",
        visibility="public",
        nace_codes=["26.12"],
        legal_name="Placas SL",
        cooperation_types=["subcontracting"],
    )
    ours = await create_org(node, offers=PCB_OFFER, visibility="node", legal_name="Interne SRL")
    network = await indexed(node, seeker, partner, ours)
    client = node.client
    page = await client.get(
        "/partners", params={"need": PCB_NEED, "include_own": "on", "lang": "fr"}, headers=HTML
    )
    assert page.status_code == 200, page.text
    assert "Interne SRL" not in page.text  # node-only: for this node's staff
    assert "Placas SL" in page.text and PCB_OFFER in page.text and "Votre besoin" in page.text
    both = await client.get(
        "/partners",
        params={
            "need": PCB_NEED,
            "offer": "Production management software for factories.",
            "include_own": "on",
            "lang": "fr",
        },
        headers=HTML,
    )  # a complement both ways: its bonus is a reason of its own, in the reader's language
    assert "Complémentaires dans les deux sens" in both.text, both.text
    # cooperation types in the reader's language, in the result and in the filter
    assert ": Sous-traitance</p>" in page.text
    assert '<option value="technical_cooperation">Coopération technique</option>' in page.text
    bad = await client.get("/partners", params={"need": PCB_NEED, "country": "XX"}, headers=HTML)
    assert bad.status_code == 422 and 'id="e-country"' in bad.text

    theirs = await client.get(f"/partners/{network}/{seeker['id']}?include_own=on", headers=HTML)
    assert theirs.status_code == 200, theirs.text
    assert "Placas SL" in theirs.text and seeker["legal_name"] in theirs.text
    hidden = await client.get(f"/partners/{network}/nobody", headers=HTML)
    assert hidden.status_code == 404

    form = f"/partners/interest?partner={network}/{partner['id']}"
    csrf = await csrf_of(client, form)
    values = {"csrf": csrf, "partner": f"{network}/{partner['id']}", "message": "Hola"}
    wrong = await client.post(
        "/partners/interest", data={**values, "organisation_id": seeker["id"]}, headers=HTML
    )
    assert wrong.status_code == 422 and 'id="e-name"' in wrong.text and 'id="e-email"' in wrong.text
    sent = await client.post(
        "/partners/interest",
        data={**values, **PERSON, "organisation_id": seeker["id"]},
        headers=HTML,
    )
    assert sent.status_code == 303, sent.text
    mine = await client.get(sent.headers["location"], headers=HTML)
    assert mine.status_code == 200 and "Placas SL" in mine.text

    assert (await client.get("/console/interests", headers=HTML)).status_code in (302, 303)
    await signed_in(node)
    console = await client.get("/console/interests", headers=HTML)
    assert console.status_code == 200, console.text
    staff_search = await client.get(
        "/partners", params={"need": PCB_NEED, "include_own": "on"}, headers=HTML
    )
    assert "Interne SRL" in staff_search.text
    assert "Hola" in console.text and PERSON["email"] in console.text
    answer = await client.post(
        f"/console/interests/{sent.headers['location'].split('/')[2].split('?')[0]}/answer",
        data={"csrf": csrf_of_page(console.text), "outcome": "decline", "note": "Not now"},
        headers=HTML,
    )
    assert answer.status_code == 303, answer.text
    console = await client.get("/console/interests", headers=HTML)
    assert "Refusée" in console.text and "Not now" in console.text  # French: the lang cookie


async def test_an_interest_in_a_partners_organisation_leaves_without_the_person_and_a_refusal_shows(
    node: NodeUnderTest,
) -> None:
    """To another network the message carries no name or e-mail; if that node refuses it
    unread, the member's record says so instead of waiting for ever."""
    seeker = await create_org(node, needs=PCB_NEED, visibility="alliance")
    kit: ServiceKit[MatchingUnitOfWork] = node.kit("matching")
    theirs = OrganizationRegistered(
        id="fr-org-9",
        legal_name="Lumière Électronique SAS",
        country="FR",
        offers=PCB_OFFER,
        visibility=Visibility.PUBLIC,
        updated_at="2027-01-01T00:00:00Z",
    )
    arrived = Delivery("fr", "fr-event-9", 1, "2027-01-01T00:00:00Z")
    await kit.transaction(lambda uow: on_organisation(kit, theirs, arrived, uow))
    network = await indexed(node, seeker)
    await eventually(lambda: _indexed(kit, "fr/fr-org-9"), DEADLINE)
    draft = {
        **PERSON,
        "partner": "fr/fr-org-9",
        "organisation_id": seeker["id"],
        "message": "Hello from " + network,
    }
    sent = await node.client.post(INTERESTS, json=draft)
    assert sent.status_code == 201, sent.text
    record = sent.json()
    [letter] = await kit.database.direct_outbox.find({"target": "fr"}).to_list()
    assert PERSON["email"].encode() not in letter["body"]
    assert PERSON["name"].encode() not in letter["body"]
    assert b"Hello from" in letter["body"]

    refusal = MessageRefused(
        id="env-x",
        about=record["id"],
        kind="interest-expressed",
        reason="invalid_payload",
        detail="a newer schema",
    )
    await kit.transaction(
        lambda uow: interest.on_message_refused(kit, refusal, delivery("fr"), uow)
    )
    mine = await node.client.get(f"{INTERESTS}/{record['id']}", params={"key": record["key"]})
    assert mine.json()["status"] == "refused" and "invalid_payload" in mine.json()["reason"]


async def _indexed(kit: ServiceKit[MatchingUnitOfWork], key: str) -> bool:
    stored = await kit.database.collection("profiles").find_one({"_id": key}, {"state": 1})
    return stored is not None and stored["state"] == "ready"
