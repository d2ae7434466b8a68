"""Registration for this node's own events, over HTTP, on a whole in-process node on real
NATS and store: the owner decides at once through the same path a partner's request takes
(``services/events/registrations.py``). Capacity and the waiting list, an offer after a
cancellation, the member discount from the membership service's records, the owner's
console and its CSV, the owner cancelling the event, and bad input as a 4xx naming the
field.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.events import registrations, registrations_bus
from shared.contracts.events_register import (
    Change,
    RegistrationChanged,
    RegistrationDecided,
    RegistrationRequested,
)
from shared.direct import DirectDelivery
from tests.conftest import NodeUnderTest
from tests.integration.test_bus import eventually
from tests.integration.test_events_api import EVENTS, change, create, event_payload
from tests.integration.test_events_pages import HTML, csrf_of, signed_in
from tests.integration.test_membership_api import assert_problem

NODE_SERVICES = ("membership", "events")  # what the `node` fixture starts (tests/conftest.py)

REGISTRATIONS = "/api/events/registrations"
FEES = {
    "currency": "EUR",
    "tickets": [{"code": "standard", "name": "Standard", "fee": 10000}],
    "partner_discount": "percent",
    "discount_percent": 25,
}


def person(event: dict[str, Any], origin: str, **overrides: Any) -> dict[str, Any]:
    who = uuid.uuid4().hex[:8]
    return {
        "origin": origin,
        "event_id": event["id"],
        "contact_name": f"Ana {who}",
        "contact_email": f"ana.{who}@example.org",
        **overrides,
    }


async def register(node: NodeUnderTest, body: dict[str, Any]) -> dict[str, Any]:
    answer = await node.client.post(REGISTRATIONS, json=body, headers=node.editor)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def mine(node: NodeUnderTest, request_id: str) -> dict[str, Any]:
    answer = await node.client.get(f"{REGISTRATIONS}/{request_id}", headers=node.editor)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_seats_then_the_waiting_list_and_a_cancellation_offers_the_seat(
    node: NodeUnderTest,
) -> None:
    event = await create(node, capacity=2)
    origin = node.identity.node
    first, second, third = [await register(node, person(event, origin)) for _ in range(3)]
    assert [first["status"], second["status"], third["status"]] == [
        "confirmed",
        "confirmed",
        "waitlisted",
    ]
    assert third["reason"] == "waitlisted: position 1"

    cancelled = await node.client.post(f"{REGISTRATIONS}/{first['id']}/cancel", headers=node.editor)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    offered = await mine(node, third["id"])
    assert offered["status"] == "offered" and offered["offer_expires"]
    accepted = await node.client.post(f"{REGISTRATIONS}/{third['id']}/accept", headers=node.editor)
    assert accepted.json()["status"] == "confirmed", accepted.text

    listed = await node.client.get(f"/api/events/attendees/{event['id']}", headers=node.editor)
    statuses = {row["request_id"]: row["status"] for row in listed.json()}
    expected = {first["id"]: "cancelled", second["id"]: "confirmed", third["id"]: "confirmed"}
    assert statuses == expected

    again = await node.client.post(f"{REGISTRATIONS}/{third['id']}/accept", headers=node.editor)
    assert_problem(again, 422, "request_id")  # it is confirmed, not offered


async def test_the_member_discount_is_applied_for_a_member_only(node: NodeUnderTest) -> None:
    org = await node.client.post(
        "/api/membership/organizations",
        json={"legal_name": f"Auto {uuid.uuid4().hex[:6]} SRL", "country": "RO"},
        headers=node.editor,
    )
    assert org.status_code == 201, org.text
    event = await create(node, fees=FEES)
    origin = node.identity.node
    member = await register(node, person(event, origin, organization_id=org.json()["id"]))
    stranger = await register(node, person(event, origin, organization_id="ro-unknown"))
    assert (member["total"], member["membership_network"]) == (7500, origin)
    assert "25% member discount" in member["fee_reason"]
    assert (stranger["total"], stranger["membership_network"]) == (10000, None)
    assert "no member organisation found" in stranger["fee_reason"]


async def test_the_console_exports_the_registrations_as_csv(node: NodeUnderTest) -> None:
    event = await create(node, capacity=1)
    origin = node.identity.node
    await register(node, person(event, origin, contact_name="=HYPERLINK(1)"))
    await register(node, person(event, origin))
    answer = await node.client.get(f"/api/events/attendees/{event['id']}.csv", headers=node.editor)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["status"], r["position"]) for r in rows] == [("confirmed", ""), ("waitlisted", "1")]
    assert rows[0]["contact_name"] == "'=HYPERLINK(1)"  # never run as a formula
    anonymous = await node.client.get(f"/api/events/attendees/{event['id']}.csv")
    assert anonymous.status_code == 401


async def test_the_owner_cancelling_the_event_cancels_every_registration(
    node: NodeUnderTest,
) -> None:
    event = await create(node, capacity=1)
    origin = node.identity.node
    held = [await register(node, person(event, origin)) for _ in range(2)]
    await change(node, event["id"], "cancel")

    async def all_cancelled() -> bool:
        shown = [(await mine(node, r["id"]))["status"] for r in held]
        return shown == ["cancelled", "cancelled"]

    await eventually(all_cancelled)
    shown = await mine(node, held[1]["id"])
    assert shown["reason"] == "cancelled: the organiser cancelled the event"


async def test_bad_registrations_are_a_4xx_naming_the_field(node: NodeUnderTest) -> None:
    event = await create(node, capacity=5, fees=FEES)
    origin = node.identity.node
    body = person(event, origin)
    await register(node, body)
    post = node.client.post
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({**body}, 409, "contact_email"),  # the same person again
        (person(event, origin, event_id="ro-nothing"), 404, "event_id"),
        (person(event, "zz"), 404, "event_id"),
        (person(event, origin, occurrence="2030-01-01"), 422, "occurrence"),
        (person(event, origin, ticket="vip"), 422, "ticket"),
        (person(event, origin, contact_email="not-an-email"), 422, "contact_email"),
        (person(event, origin, party=0), 422, "party"),
        (person(event, origin, surprise=True), 422, "surprise"),
        (person(event, origin, contact_name="Ana\x00"), 422, "contact_name"),
        (person(event, origin, contact_email="a\x00b@example.org"), 422, "contact_email"),
        (person(event, origin, event_id="ro-x\x00"), 422, "event_id"),
        (person(event, origin, organization_id="a.b"), 422, "organization_id"),
        (person(event, "RO"), 422, "origin"),
    ]
    for sent, status, field in cases:
        assert_problem(await post(REGISTRATIONS, json=sent, headers=node.editor), status, field)
    draft = await create(node, publish=False)
    assert_problem(
        await post(REGISTRATIONS, json=person(draft, origin), headers=node.editor), 422, "event_id"
    )
    assert_problem(await post(REGISTRATIONS, json=person(event, origin)), 401)


async def test_a_lapsed_offer_moves_to_the_next_in_line_and_is_counted(
    node: NodeUnderTest,
) -> None:
    kit = node.kit("events")
    desk = registrations.desk_of(kit)
    assert await kit.transaction(lambda uow: registrations.expire_all(uow, desk)) == 0
    event = await create(node, capacity=1)
    origin = node.identity.node
    first, second, third = [await register(node, person(event, origin)) for _ in range(3)]
    await node.client.post(f"{REGISTRATIONS}/{first['id']}/cancel", headers=node.editor)
    assert (await mine(node, second["id"]))["status"] == "offered"

    later = datetime.now(UTC) + timedelta(days=3)  # past the 48 hours an offer is held
    lapsed = await kit.transaction(lambda uow: registrations.expire_all(uow, desk, later))
    assert lapsed == 1
    assert (await mine(node, second["id"]))["status"] == "expired"
    assert (await mine(node, third["id"]))["status"] == "offered"
    registry = kit.metrics.registry
    assert registry.get_sample_value("alliance_event_offers_expired_total") == 1
    waiting = registry.get_sample_value(
        "alliance_event_waiting_list", {"event": event["id"], "occurrence": "2027-03-18"}
    )
    assert waiting == 0


async def test_the_owner_answers_a_request_it_cannot_accept_refused_with_the_reason(
    node: NodeUnderTest,
) -> None:
    """A partner's request the owner can read but not accept is answered, never dropped."""
    kit = node.kit("events")
    desk = registrations.desk_of(kit)
    event = await create(node, capacity=3)
    asks = {
        "unknown": RegistrationRequested(
            id="fr-1",
            event_id="ro-none",
            occurrence="2027-03-18",
            registrant="x",
            contact_name="A",
            contact_email="a@example.org",
        ),
        "party": RegistrationRequested(
            id="fr-2",
            event_id=event["id"],
            occurrence="2027-03-18",
            registrant="y",
            party=0,
            contact_name="B",
            contact_email="b@example.org",
        ),
    }
    for ask in asks.values():
        await kit.transaction(lambda uow, a=ask: registrations.decide(uow, desk, a, "fr"))
    letters = [doc async for doc in kit.database.direct_outbox.find({"target": "fr"})]
    answers = {
        payload["id"]: payload for doc in letters if (payload := json.loads(doc["body"])["data"])
    }
    assert answers["fr-1"]["outcome"] == "refused"
    assert answers["fr-1"]["reason"] == "refused: no event 'ro-none'"
    assert answers["fr-2"]["reason"].startswith("refused: party:")
    assert all("a@example.org" not in json.dumps(doc["body"].decode()) for doc in letters)
    # a date the event does not have leaves no seat book and no waiting-list label
    odd = RegistrationRequested(
        id="fr-3",
        event_id=event["id"],
        occurrence="1999-01-01",
        registrant="z",
        contact_name="C",
        contact_email="c@example.org",
    )
    await kit.transaction(lambda uow: registrations.decide(uow, desk, odd, "fr"))
    books = kit.database.collection("seat_books")
    assert await books.count_documents({"event_id": event["id"]}) == 0
    labels = {"event": event["id"], "occurrence": "1999-01-01"}
    assert kit.metrics.registry.get_sample_value("alliance_event_waiting_list", labels) is None


async def test_the_console_registers_a_member_and_shows_the_decision_and_the_list(
    node: NodeUnderTest,
) -> None:
    event = await create(node, capacity=1)
    origin = node.identity.node
    client = await signed_in(node)

    async def on_its_page() -> bool:  # the public page reads the calendar the bus fills
        return (await client.get(f"/events/{origin}/{event['id']}")).status_code == 200

    await eventually(on_its_page)
    page = await client.get(f"/events/{origin}/{event['id']}", headers=HTML)
    link = f"/console/registrations/new?origin={origin}&amp;event_id={event['id']}"
    assert link in page.text

    path = f"/console/registrations/new?origin={origin}&event_id={event['id']}"
    csrf = await csrf_of(client, path)
    fields = {"csrf": csrf, "origin": origin, "event_id": event["id"], "party": "1"}
    wrong = await client.post(
        "/console/registrations/new",
        data={**fields, "contact_name": "Ion Popa", "contact_email": "nope"},
        headers=HTML,
    )
    assert wrong.status_code == 422
    assert 'id="e-contact_email"' in wrong.text and "Ion Popa" in wrong.text  # kept as typed
    sent = await client.post(
        "/console/registrations/new",
        data={**fields, "contact_name": "Ion Popa", "contact_email": "ion@example.org"},
        headers=HTML,
    )
    assert sent.status_code in (302, 303), sent.text
    await client.post(
        "/console/registrations/new",
        data={**fields, "contact_name": "Eva Lungu", "contact_email": "eva@example.org"},
        headers=HTML,
    )
    mine_page = await client.get("/console/registrations", headers=HTML)
    assert "confirmed: 1 place" in mine_page.text and "waitlisted: position 1" in mine_page.text

    owner = await client.get(f"/console/attendees/{event['id']}", headers=HTML)
    assert owner.status_code == 200
    assert "ion@example.org" in owner.text and "eva@example.org" in owner.text
    exported = await client.get(f"/console/attendees/{event['id']}.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert "ion@example.org" in exported.text

    rows = await node.client.get(f"/api/events/attendees/{event['id']}", headers=node.editor)
    ion = next(r for r in rows.json() if r["contact_email"] == "ion@example.org")
    csrf = await csrf_of(client, f"/console/attendees/{event['id']}")
    cancelled = await client.post(
        f"/console/attendees/{event['id']}/{ion['request_id']}/cancel",
        data={"csrf": csrf},
        headers=HTML,
    )
    assert cancelled.status_code in (302, 303), cancelled.text
    after = await client.get("/console/registrations", headers=HTML)
    assert "cancelled by the organiser" in after.text
    assert "Accept the offer" in after.text  # Eva's seat is offered, with its buttons


async def test_an_own_event_whose_registration_closed_is_a_422_before_any_request(
    node: NodeUnderTest,
) -> None:
    event = await create(
        node,
        start="2027-03-18T09:30:00",
        registration_opens="2026-01-01T00:00:00",
        registration_closes="2026-02-01T00:00:00",
    )
    answer = await node.client.post(
        REGISTRATIONS, json=person(event, node.identity.node), headers=node.editor
    )
    problem = assert_problem(answer, 422, "event_id")
    assert "registration closed" in problem["message"] or "closed" in str(problem["errors"])
    listed = await node.client.get(REGISTRATIONS, headers=node.editor)
    assert event["id"] not in {r["event_id"] for r in listed.json()}


async def test_an_offer_is_held_for_the_owners_configured_time(node: NodeUnderTest) -> None:
    kit = node.kit("events")
    assert registrations.desk_of(kit).hold == timedelta(hours=48)  # the default setting
    event = await create(node, capacity=1)
    origin = node.identity.node
    first, second = [await register(node, person(event, origin)) for _ in range(2)]
    desk = registrations.Desk.of(origin, kit.metrics.registry, timedelta(hours=2))
    message = RegistrationChanged(
        id=first["id"], event_id=event["id"], occurrence="2027-03-18", change=Change.CANCEL
    )
    before = datetime.now(UTC)
    await kit.transaction(lambda uow: registrations.change(uow, desk, message, origin))
    offered = await mine(node, second["id"])
    expires = datetime.fromisoformat(offered["offer_expires"])
    assert before + timedelta(hours=2) <= expires <= datetime.now(UTC) + timedelta(hours=2)


async def test_only_the_owner_decides_and_only_the_registrants_node_changes(
    node: NodeUnderTest,
) -> None:
    """A third node can neither decide a registration it does not own nor change one of
    another node's people; the owner answers such a change instead of dropping it."""
    kit = node.kit("events")
    desk = registrations.desk_of(kit)
    event = await create(node, capacity=5)
    origin = node.identity.node
    held = await register(node, person(event, origin))
    forged = RegistrationDecided(
        id=held["id"],
        event_id=event["id"],
        occurrence="2027-03-18",
        outcome="cancelled",
        reason="cancelled: by someone else",
    )
    await kit.transaction(lambda uow: registrations.apply_decision(uow, desk, forged, "es"))
    assert (await mine(node, held["id"]))["status"] == "confirmed"

    theirs = RegistrationChanged(
        id=held["id"], event_id=event["id"], occurrence="2027-03-18", change=Change.CANCEL
    )
    delivery = DirectDelivery(sender="es", message_id="es-x", time="2026-12-03T00:00:00Z")
    await kit.transaction(
        lambda uow: registrations_bus.on_registration_changed(kit, theirs, delivery, uow)
    )
    assert (await mine(node, held["id"]))["status"] == "confirmed"
    letters = [doc async for doc in kit.database.direct_outbox.find({"target": "es"})]
    answer = json.loads(letters[-1]["body"])["data"]
    assert (answer["outcome"], answer["id"]) == ("unchanged", held["id"])
    assert answer["reason"].startswith("cancel refused: no registration")


async def test_raising_the_capacity_offers_the_seats_and_lowering_it_below_them_is_a_422(
    node: NodeUnderTest,
) -> None:
    event = await create(node, capacity=1)
    origin = node.identity.node
    held, waiting = [await register(node, person(event, origin)) for _ in range(2)]
    assert waiting["status"] == "waitlisted"
    path = f"{EVENTS}/{event['id']}"
    raised = await node.client.put(path, json=event_payload(capacity=2), headers=node.editor)
    assert raised.status_code == 200, raised.text

    async def offered() -> bool:  # the owner's subscription to its own revision
        return (await mine(node, waiting["id"]))["status"] == "offered"

    await eventually(offered)
    lowered = await node.client.put(path, json=event_payload(capacity=1), headers=node.editor)
    assert_problem(lowered, 422, "capacity")
    assert (await mine(node, held["id"]))["status"] == "confirmed"
