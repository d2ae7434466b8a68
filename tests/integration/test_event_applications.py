"""The call for speakers on a whole in-process node (real NATS and nx-27017).

The call is part of the event (API and console); applications to an own event are open
for the staff at once and decided; a partner's application is handed to the handler the
kit calls for an inbox message and judged again by the owner (an open call then, a new
e-mail), refused back otherwise. Bad input is a 4xx naming the field.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from services.events import speakers
from services.events.store import EventsUnitOfWork
from shared.contracts.events_requests import Person, SpeakerApplied
from shared.service import ServiceKit
from tests.conftest import NodeUnderTest
from tests.integration.test_event_inquiries import delivery, outbox_to
from tests.integration.test_events_api import EVENTS, create, shown
from tests.integration.test_events_pages import HTML, csrf_of, signed_in
from tests.integration.test_membership_api import assert_problem

NODE_SERVICES = ("membership", "events")  # what the `node` fixture starts (tests/conftest.py)

APPLICATIONS = "/api/events/applications"
CALL = {"deadline": "2027-02-01T12:00:00", "topics": ["ai"], "questions": ["Why you?"]}
PROPOSAL = {
    "name": "Ana Popescu",
    "email": "ana@example.ro",
    "organisation": "Cluster Auto Sud",
    "title": "Batteries made in Romania",
    "abstract": "What a regional supply chain needs.",
    "bio": "Engineer, 15 years in automotive.",
    "language": "en",
    "answers": ["I built one."],
}


async def with_call(node: NodeUnderTest, **call: Any) -> dict[str, Any]:
    """A public event of this node with a call, once its calendar shows it published (the
    staff's calendar shows the draft, with its call, first: asking then is a 404)."""
    event = await create(node, call_for_speakers={**CALL, **call})
    await shown(
        node,
        lambda items: any(
            i["id"] == event["id"] and i.get("call_for_speakers") and i["status"] == "published"
            for i in items
        ),
    )
    return event


async def apply(node: NodeUnderTest, event: dict[str, Any], **changes: Any) -> Any:
    path = f"{EVENTS}/{node.identity.node}/{event['id']}/applications"
    return await node.client.post(path, json={**PROPOSAL, **changes})


async def test_an_application_is_decided_and_the_applicant_reads_it(node: NodeUnderTest) -> None:
    event = await with_call(node)
    assert event["call_for_speakers"]["deadline"] == "2027-02-01T12:00:00"
    applied = await apply(node, event)
    assert applied.status_code == 201, applied.text
    application = applied.json()
    assert application["status"] == "pending" and application["key"]
    mine = f"{APPLICATIONS}/{application['id']}"

    assert_problem(await apply(node, event, email="ANA@example.ro"), 409, "email")
    listed = await node.client.get(APPLICATIONS, params={"event": event["id"]}, headers=node.editor)
    (received,) = listed.json()["items"]
    assert received["title"] == "Batteries made in Romania" and received["status"] == "pending"

    decided = await node.client.post(
        f"{mine}/decide",
        json={"decision": "accepted", "message": "Welcome: 20 minutes, 10:30."},
        headers=node.editor,
    )
    assert decided.status_code == 200, decided.text
    read = (await node.client.get(mine, params={"key": application["key"]})).json()
    assert read["status"] == "accepted" and read["message"] == "Welcome: 20 minutes, 10:30."
    again = await node.client.post(
        f"{mine}/decide", json={"decision": "rejected"}, headers=node.editor
    )
    assert_problem(again, 409, "decision")
    assert_problem(await node.client.get(mine), 404, "key")
    assert_problem(await node.client.get(mine, params={"key": "guess"}), 404, "id")
    metrics = (await node.client.get("/metrics")).text
    assert 'alliance_event_applications_total{direction="in",outcome="accepted"} 1.0' in metrics


async def test_bad_applications_name_their_field(node: NodeUnderTest) -> None:
    no_call = await create(node)
    await shown(node, lambda items: no_call["id"] in {i["id"] for i in items})
    assert_problem(await apply(node, no_call), 422, "call_for_speakers")
    yesterday = f"{date.today() - timedelta(days=1)}T12:00:00"
    closed = await with_call(node, deadline=yesterday)
    assert_problem(await apply(node, closed), 422, "call_for_speakers")
    event = await with_call(node)
    assert_problem(await apply(node, event, answers=[]), 422, "answers")
    assert_problem(await apply(node, event, answers=["a", "b"]), 422, "answers")
    assert_problem(await apply(node, event, email="nope"), 422, "email")
    assert_problem(await apply(node, event, language="english"), 422, "language")
    assert_problem(await apply(node, event, abstract=" "), 422, "abstract")
    assert_problem(await apply(node, {"id": "ro-nothing"}), 404, "event")
    decide = f"{APPLICATIONS}/ro-nothing/decide"
    assert_problem(
        await node.client.post(decide, json={"decision": "maybe"}, headers=node.editor),
        422,
        "decision",
    )
    assert_problem(
        await node.client.post(decide, json={"decision": "accepted"}, headers=node.editor),
        404,
        "id",
    )
    late = await node.client.put(
        f"{EVENTS}/{event['id']}",
        json={
            **{k: event[k] for k in ("kind", "language", "title", "timezone", "start", "end")},
            "online_url": "https://example.eu",
            "call_for_speakers": {**CALL, "deadline": "2027-03-19T00:00:00"},
        },
        headers=node.editor,
    )
    assert_problem(late, 422, "call_for_speakers")


def proposal(id: str, event_id: str, email: str, applied_at: str) -> SpeakerApplied:
    return SpeakerApplied(
        id=id,
        event_id=event_id,
        applicant=Person(name="Jean Dupont", email=email),
        title="Hydrogen valleys",
        abstract="Lessons from Occitanie.",
        bio="Cluster manager.",
        language="fr",
        answers=["Ten years of it."],
        applied_at=applied_at,
    )


async def test_the_owner_judges_a_partners_application_again_and_refuses_it_back(
    node: NodeUnderTest,
) -> None:
    kit: ServiceKit[EventsUnitOfWork] = node.kit("events")
    event = await with_call(node)
    before, after = "2027-01-10T08:00:00Z", "2027-02-01T11:00:01Z"  # deadline 12:00 Bucharest
    messages = [
        proposal("fr-A1", event["id"], "jean@example.fr", before),  # taken
        proposal("fr-A2", event["id"], "JEAN@example.fr", before),  # the same e-mail again
        proposal("fr-A3", event["id"], "marie@example.fr", after),  # after the deadline
        proposal("fr-A4", "ro-gone", "luc@example.fr", before),  # no such event
    ]
    for message in messages:
        await kit.transaction(
            lambda uow, m=message: speakers.on_speaker_applied(kit, m, delivery("fr"), uow)
        )
    received = await node.client.get(APPLICATIONS, headers=node.editor)
    assert [i["id"] for i in received.json()["items"]] == ["fr-A1"]
    letters = await outbox_to(kit, "fr")
    refused = {letter["subject"].rsplit(".", 1)[-1]: letter["body"] for letter in letters}
    assert set(refused) == {"fr-A2", "fr-A3", "fr-A4"}
    assert b"already" in refused["fr-A2"] and b"closed" in refused["fr-A3"]
    assert b"no event" in refused["fr-A4"]
    assert all(b"refused" in body and b"@example" not in body for body in refused.values())

    decided = await node.client.post(
        f"{APPLICATIONS}/fr-A1/decide",
        json={"decision": "rejected", "message": "Full programme, sorry."},
        headers=node.editor,
    )
    assert decided.status_code == 200, decided.text
    last = (await outbox_to(kit, "fr"))[-1]["subject"]
    assert last.startswith(f"direct.fr.{node.identity.node}.events.application-decided.fr-A1")


async def test_pages_call_apply_and_decide(node: NodeUnderTest) -> None:
    event = await create(node)
    me = node.identity.node
    client = await signed_in(node)
    call_page = f"/console/calls/{event['id']}"
    csrf = await csrf_of(client, call_page)
    bad = await client.post(
        call_page,
        data={"deadline": "2027-03-20T10:00", "topics": "", "questions": "", "csrf": csrf},
        headers=HTML,
    )
    assert bad.status_code == 422 and 'id="e-deadline"' in bad.text, bad.text
    saved = await client.post(
        call_page,
        data={
            "deadline": "2027-02-01T12:00",
            "topics": "ai, batteries",
            "csrf": csrf,
            "questions": "Why you?\nWhich sector?",
        },
        headers=HTML,
    )
    assert saved.status_code == 303, saved.text
    await shown(
        node,
        lambda items: any(i["id"] == event["id"] and i.get("call_for_speakers") for i in items),
    )

    page = f"/events/{me}/{event['id']}"
    shown_page = (await node.client.get(page, headers=HTML)).text
    assert f"{page}/apply" in shown_page and "batteries" in shown_page
    token = await csrf_of(node.client, f"{page}/apply")
    form = {k: v for k, v in PROPOSAL.items() if k != "answers"}
    wrong = await node.client.post(
        f"{page}/apply", data={**form, "email": "x", "csrf": token}, headers=HTML
    )
    assert wrong.status_code == 422 and 'id="e-email"' in wrong.text
    sent = await node.client.post(
        f"{page}/apply",
        data={**form, "answer-0": "Because.", "answer-1": "Energy.", "csrf": token},
        headers=HTML,
    )
    assert sent.status_code == 303, sent.text
    mine = sent.headers["location"]
    assert "Waiting" in (await node.client.get(mine, headers=HTML)).text

    console = await client.get("/console/applications", headers=HTML)
    assert "Batteries made in Romania" in console.text and "Energy." in console.text
    application_id = mine.split("/")[2].split("?")[0]
    token = await csrf_of(client, "/console/applications")
    decided = await client.post(
        f"/console/applications/{application_id}/decide",
        data={"decision": "accepted", "message": "See you there.", "csrf": token},
        headers=HTML,
    )
    assert decided.status_code == 303
    assert "See you there." in (await client.get(mine, headers=HTML)).text
    again = await client.post(
        f"/console/applications/{application_id}/decide",
        data={"decision": "rejected", "csrf": token},
        headers=HTML,
    )
    assert again.status_code == 303  # back to the console, saying why, not an error page
    notice = parse_qs(urlsplit(again.headers["location"]).query)["notice"][0]
    assert notice == "Not decided: this application is accepted already", notice
    assert "See you there." in (await client.get(mine, headers=HTML)).text
