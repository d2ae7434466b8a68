"""Registration decided by the owner node, across a real hub and three real nodes.

``ro``, ``fr`` and ``es`` are real ``alliance`` processes (the events service runs in
each, as an installed entry point), each with its own nats-server and nx-27017, linked to
a real hub. ``ro`` owns the events; members of ``fr`` and ``es`` register through their
own nodes. What must hold: the owner decides and the decision shows on the registrant's
node; 150 requests for 20 seats from three nodes at once give exactly 20 confirmed and
130 waitlisted, in the owner's arrival order; a cancellation offers the seat to the next,
who accepts through their node; the partner discount goes to a member of a partner
network and not to a non-member; nothing personal reaches the hub or the third node; and
requests made while the owner is down wait, pending, and are decided when it is back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from shared import subjects
from shared.contracts.base import Event
from shared.envelope import seal
from shared.federation import Peers
from shared.identity import load_identity
from shared.store import database_name
from tests.e2e.test_direct_messages import dead_letter_reasons, js_publish, traces
from tests.federation import Federation, Member, federation_of, metric_value, poll

pytestmark = pytest.mark.e2e
EVENTS = "/api/events/events"
REGISTRATIONS = "/api/events/registrations"
FEES = {
    "currency": "EUR",
    "tickets": [{"code": "standard", "name": "Standard", "fee": 20000}],
    "partner_discount": "percent",
    "discount_percent": 50,
}


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("registrations"), nodes=("ro", "fr", "es")) as fed:
        for member in fed.members.values():  # direct messages need every peer's key
            others = set(fed.members) - {member.node}
            poll(lambda m=member, o=others: o <= set(Peers(m.data_dir).load()), 60, "peers known")
        yield fed


def call(member: Member, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(method, member.url + path, json=body, headers=member.headers, timeout=60)


def shared_event(federation: Federation, **overrides: Any) -> dict[str, Any]:
    """A published public event of ro, once fr and es both show it."""
    ro = federation.members["ro"]
    body = {
        "kind": "brokerage",
        "language": "en",
        "title": {"en": f"B2B {uuid.uuid4().hex[:8]}"},
        "timezone": "Europe/Bucharest",
        "start": "2027-06-10T09:00:00",
        "end": "2027-06-10T17:00:00",
        "venue": {"city": "București", "country": "RO"},
        "visibility": "public",
        **overrides,
    }
    created = call(ro, "POST", EVENTS, body)
    assert created.status_code == 201, created.text
    event: dict[str, Any] = created.json()
    assert call(ro, "POST", f"{EVENTS}/{event['id']}/publish").status_code == 200
    for name in ("fr", "es"):
        member = federation.members[name]
        poll(
            lambda m=member: call(m, "GET", f"{EVENTS}/ro/{event['id']}").status_code == 200,
            60,
            f"ro's event on {name}",
        )
    return event


def person(event: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    who = uuid.uuid4().hex[:10]
    return {
        "origin": "ro",
        "event_id": event["id"],
        "contact_name": f"Person {who}",
        "contact_email": f"p.{who}@example.org",
        **overrides,
    }


def register(member: Member, body: dict[str, Any]) -> dict[str, Any]:
    answer = call(member, "POST", REGISTRATIONS, body)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def decided(member: Member, request_id: str, timeout: float = 60) -> dict[str, Any]:
    """The registration on the registrant's node, once the owner's decision shows."""

    def shown() -> dict[str, Any] | None:
        mine = call(member, "GET", f"{REGISTRATIONS}/{request_id}").json()
        return mine if mine["status"] != "pending" else None

    return poll(shown, timeout, f"the decision on {request_id} on {member.node}")


def attendees(federation: Federation, event_id: str) -> list[dict[str, Any]]:
    answer = call(federation.members["ro"], "GET", f"/api/events/attendees/{event_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_registrations_from_two_nodes_are_decided_by_the_owner_and_stay_on_the_two_ends(
    federation: Federation,
) -> None:
    event = shared_event(federation, capacity=1)
    fr, es = federation.members["fr"], federation.members["es"]
    first = register(fr, person(event))
    assert first["status"] == "pending"
    assert decided(fr, first["id"])["status"] == "confirmed"
    second_body = person(event)
    second = register(es, second_body)
    shown = decided(es, second["id"])
    assert (shown["status"], shown["reason"]) == ("waitlisted", "waitlisted: position 1")

    rows = attendees(federation, event["id"])
    assert [(r["node"], r["status"]) for r in rows] == [("fr", "confirmed"), ("es", "waitlisted")]
    assert rows[1]["contact_email"] == second_body["contact_email"]

    # the email is on the owner (its inbox) and on es (its database), in no stream elsewhere
    email = second_body["contact_email"]
    assert federation.hub is not None
    assert traces(federation.hub.nats_url, email) == []
    assert traces(fr.nats_url, email) == []
    assert traces(es.nats_url, email) == []  # es sent it: it left through the hub, unkept
    on_ro = traces(federation.members["ro"].nats_url, email)
    assert on_ro and all(t.startswith(f"{subjects.inbox_stream('ro')}#") for t in on_ro)

    # decisions counted on the owner, the round trip timed on the registrant's node
    decided_on_ro = metric_value(
        federation.metrics("ro"), "alliance_event_registrations_total", outcome="waitlisted"
    )
    assert decided_on_ro is not None and decided_on_ro >= 1
    timed = metric_value(
        federation.metrics("es"), "alliance_event_registration_latency_seconds_count"
    )
    assert timed is not None and timed >= 1


def test_a_cancellation_offers_the_seat_to_the_next_who_accepts_through_their_node(
    federation: Federation,
) -> None:
    event = shared_event(federation, capacity=1)
    fr, es = federation.members["fr"], federation.members["es"]
    holder = register(fr, person(event))
    assert decided(fr, holder["id"])["status"] == "confirmed"
    waiting = register(es, person(event))
    assert decided(es, waiting["id"])["status"] == "waitlisted"

    assert call(fr, "POST", f"{REGISTRATIONS}/{holder['id']}/cancel").status_code == 200
    poll(
        lambda: call(fr, "GET", f"{REGISTRATIONS}/{holder['id']}").json()["status"] == "cancelled",
        60,
        "the cancellation on fr",
    )
    poll(
        lambda: call(es, "GET", f"{REGISTRATIONS}/{waiting['id']}").json()["status"] == "offered",
        60,
        "the offer on es",
    )
    assert call(es, "POST", f"{REGISTRATIONS}/{waiting['id']}/accept").status_code == 200
    poll(
        lambda: call(es, "GET", f"{REGISTRATIONS}/{waiting['id']}").json()["status"] == "confirmed",
        60,
        "the accepted offer confirmed on es",
    )
    rows = attendees(federation, event["id"])
    assert [(r["node"], r["status"]) for r in rows] == [("fr", "cancelled"), ("es", "confirmed")]


def test_the_partner_discount_goes_to_a_member_of_a_partner_network_only(
    federation: Federation,
) -> None:
    fr, ro = federation.members["fr"], federation.members["ro"]
    org = federation.create_org("fr", prefix="Discounted")
    assert org.status_code == 201, org.text
    org_id = org.json()["id"]
    name = org.json()["legal_name"]

    def known_on_ro() -> bool:
        found = call(ro, "GET", f"/api/membership/cross-membership?org={name}").json()
        return any(n["organization_id"] == org_id for n in found["networks"])

    poll(known_on_ro, 60, "fr's member replicated to ro")
    event = shared_event(federation, fees=FEES)
    member = decided(fr, register(fr, person(event, organization_id=org_id))["id"])
    stranger = decided(fr, register(fr, person(event, organization_id="fr-nobody"))["id"])
    assert (member["status"], member["total"], member["membership_network"]) == (
        "confirmed",
        10000,
        "fr",
    )
    assert name in member["fee_reason"]
    assert (stranger["total"], stranger["membership_network"]) == (20000, None)
    assert "no member organisation found" in stranger["fee_reason"]


def test_150_requests_for_20_seats_from_three_nodes_at_once(federation: Federation) -> None:
    event = shared_event(federation, capacity=20)
    nodes = [federation.members[name] for name in ("ro", "fr", "es")]
    bodies = [(nodes[i % 3], person(event)) for i in range(150)]
    with ThreadPoolExecutor(12) as pool:
        sent = list(pool.map(lambda item: (item[0], register(*item)), bodies))
    for member, registration in sent:
        decided(member, registration["id"], timeout=180)

    rows = attendees(federation, event["id"])
    assert len(rows) == 150
    assert Counter(r["status"] for r in rows) == {"confirmed": 20, "waitlisted": 130}
    # arrival order at the owner: the first 20 hold the seats, the rest wait in order
    assert [r["status"] for r in rows] == ["confirmed"] * 20 + ["waitlisted"] * 130
    assert [r["position"] for r in rows[20:]] == list(range(1, 131))
    assert {r["node"] for r in rows} == {"ro", "fr", "es"}
    # every registrant's node shows what the owner decided
    by_id = {r["request_id"]: r["status"] for r in rows}
    for member, registration in sent:
        mine = call(member, "GET", f"{REGISTRATIONS}/{registration['id']}").json()
        assert mine["status"] == by_id[registration["id"]]


def test_the_owner_cancelling_its_event_tells_every_registrants_node(
    federation: Federation,
) -> None:
    event = shared_event(federation, capacity=1)
    fr, es = federation.members["fr"], federation.members["es"]
    held = decided(fr, register(fr, person(event))["id"])
    waiting = decided(es, register(es, person(event))["id"])
    ro = federation.members["ro"]
    assert call(ro, "POST", f"{EVENTS}/{event['id']}/cancel").status_code == 200
    for member, registration in ((fr, held), (es, waiting)):
        shown = poll(
            lambda m=member, r=registration: (
                mine
                if (mine := call(m, "GET", f"{REGISTRATIONS}/{r['id']}").json())["status"]
                == "cancelled"
                else None
            ),
            60,
            f"the cancellation on {member.node}",
        )
        assert shown["reason"] == "cancelled: the organiser cancelled the event"


def test_a_malformed_request_is_dead_lettered_by_the_owner_with_the_reason(
    federation: Federation,
) -> None:
    """A request the owner cannot read (a party that is no number) is refused by the
    transport, kept in the owner's dead letters with why; it is never handled, and the
    registrant's node, answered with the reason, shows it refused, not pending forever."""
    fr = federation.members["fr"]
    identity = load_identity(fr.data_dir)
    bad = f"fr-bad{uuid.uuid4().hex[:8]}"
    pending_on(fr, bad)  # what a faulty fr would have kept of the request it sent
    envelope = seal(
        identity,
        subject=subjects.direct_subject("ro", "fr", "events", "registration-requested", bad),
        type="eu.clustersalliance.events.direct.registration-requested",
        payload=Unchecked(id=bad, party="many"),
        aggregate_id=bad,
        aggregate_version=0,
    )
    asyncio.run(js_publish(fr.nats_url, envelope.subject, envelope.to_bytes(), bad))

    def reason() -> str | None:
        return asyncio.run(dead_letter_reasons(federation.members["ro"].nats_url, "ro")).get(
            envelope.subject
        )

    assert poll(reason, 60, "the malformed request dead-lettered on ro") == "invalid_payload"
    shown = decided(fr, bad)
    assert shown["status"] == "refused"
    assert shown["reason"].startswith("refused: invalid_payload (")


def pending_on(member: Member, request_id: str) -> None:
    """A registration for ro's event that ``member`` keeps as sent and not yet decided."""
    client: MongoClient[dict[str, Any]] = MongoClient(member.mongodb_url)
    try:
        client[database_name(member.node, "events")]["my_registrations"].insert_one(
            {
                "_id": request_id,
                "owner": "ro",
                "event_id": "ro-unreadable",
                "title": "",
                "occurrence": "2030-01-01",
                "party": 1,
                "ticket": "",
                "organization_id": "",
                "contact_name": "Faulty",
                "contact_email": "faulty@example.org",
                "registrant": "faulty",
                "status": "pending",
                "reason": "pending: sent to the organiser",
                "sent": datetime.now(UTC),
            }
        )
    finally:
        client.close()


class Unchecked(Event):
    """A registration request as a faulty node might send it."""

    party: str


def test_requests_wait_pending_while_the_owner_is_down_and_are_decided_when_it_is_back(
    federation: Federation,
) -> None:
    event = shared_event(federation, capacity=1)
    fr, es = federation.members["fr"], federation.members["es"]
    federation.kill_node("ro")
    try:
        first = register(fr, person(event))
        second = register(es, person(event))
        assert call(fr, "GET", f"{REGISTRATIONS}/{first['id']}").json()["status"] == "pending"
    finally:
        federation.start_node("ro")
    statuses = {decided(fr, first["id"], 120)["status"], decided(es, second["id"], 120)["status"]}
    assert statuses == {"confirmed", "waitlisted"}
    assert [r["status"] for r in attendees(federation, event["id"])] == [
        "confirmed",
        "waitlisted",
    ]
