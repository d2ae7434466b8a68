"""Inquiries on a whole in-process node (real NATS and nx-27017): ask, list, answer, read.

A question about the node's own event takes no message: it is open in the console at
once and the answer is on the asker's record. A question from another node is handed to
the handler the kit calls for an inbox message (on the real store): a known event opens
it, an unknown one is refused by a message back. Bad input is a 4xx naming the field.
"""

from __future__ import annotations

import re
from typing import Any

from services.events import inquiries
from services.events.store import EventsUnitOfWork
from shared.contracts.events_requests import (
    InquiryAnswered,
    InquiryAsked,
    InquiryOutcome,
    Person,
)
from shared.direct import DirectDelivery
from shared.service import ServiceKit
from tests.conftest import NodeUnderTest
from tests.integration.test_events_api import EVENTS, create, shown
from tests.integration.test_events_pages import HTML, csrf_of, signed_in
from tests.integration.test_membership_api import assert_problem

NODE_SERVICES = ("membership", "events")  # what the `node` fixture starts (tests/conftest.py)

INQUIRIES = "/api/events/inquiries"
QUESTION = {
    "name": "Ana Popescu",
    "email": "ana@example.ro",
    "organisation": "Cluster Auto Sud",
    "question": "Is there parking at the venue?",
}


async def published(node: NodeUnderTest) -> dict[str, Any]:
    """A public event of this node, once its calendar shows it."""
    event = await create(node)
    await shown(node, lambda items: event["id"] in {i["id"] for i in items})
    return event


async def ask(node: NodeUnderTest, event: dict[str, Any], **changes: Any) -> Any:
    path = f"{EVENTS}/{node.identity.node}/{event['id']}/inquiries"
    return await node.client.post(path, json={**QUESTION, **changes})


async def test_an_own_event_question_is_answered_and_read_with_its_key(
    node: NodeUnderTest,
) -> None:
    event = await published(node)
    asked = await ask(node, event)
    assert asked.status_code == 201, asked.text
    inquiry = asked.json()
    assert inquiry["status"] == "waiting" and inquiry["key"]
    mine = f"{INQUIRIES}/{inquiry['id']}"

    listed = await node.client.get(INQUIRIES, params={"status": "open"}, headers=node.editor)
    (opened,) = [i for i in listed.json()["items"] if i["id"] == inquiry["id"]]
    assert opened["asker"]["email"] == "ana@example.ro" and opened["sender"] == node.identity.node

    answered = await node.client.post(
        f"{mine}/answer", json={"answer": "Yes, free."}, headers=node.editor
    )
    assert answered.status_code == 200, answered.text
    read = await node.client.get(mine, params={"key": inquiry["key"]})
    assert read.status_code == 200, read.text
    assert read.json()["status"] == "answered" and read.json()["answer"] == "Yes, free."
    assert "key" not in read.json()

    again = await node.client.post(f"{mine}/answer", json={"answer": "x"}, headers=node.editor)
    assert_problem(again, 409, "answer")
    assert_problem(await node.client.get(mine), 404, "key")  # no key, no staff token
    assert_problem(await node.client.get(mine, params={"key": "guess"}), 404, "id")
    staff = await node.client.get(mine, headers=node.editor)
    assert staff.status_code == 200
    metrics = (await node.client.get("/metrics")).text
    assert 'alliance_event_inquiries_total{direction="in",outcome="answered"} 1.0' in metrics
    assert 'alliance_event_inquiries_total{direction="out",outcome="asked"} 1.0' in metrics


async def test_bad_questions_name_their_field(node: NodeUnderTest) -> None:
    event = await published(node)
    assert_problem(await ask(node, event, email="not-an-address"), 422, "email")
    assert_problem(await ask(node, event, question="   "), 422, "question")
    assert_problem(await ask(node, event, name="A\x00"), 422, "name")
    assert_problem(await ask(node, event, phone="+40"), 422, "phone")
    assert_problem(await ask(node, {"id": "ro-nothing"}), 404, "event")
    unknown = await node.client.post(
        f"{INQUIRIES}/ro-nothing/answer", json={"answer": "x"}, headers=node.editor
    )
    assert_problem(unknown, 404, "id")
    blank = await node.client.post(
        f"{INQUIRIES}/ro-nothing/answer", json={"answer": ""}, headers=node.editor
    )
    assert_problem(blank, 422, "answer")
    refused = await node.client.post(f"{INQUIRIES}/ro-nothing/answer", json={"answer": "x"})
    assert refused.status_code == 401


def delivery(sender: str) -> DirectDelivery:
    return DirectDelivery(sender=sender, message_id=f"env-{sender}", time="2027-01-01T00:00:00Z")


async def outbox_to(kit: ServiceKit[EventsUnitOfWork], target: str) -> list[Any]:
    return await kit.database.direct_outbox.find({"target": target}).to_list()


async def test_a_partners_question_opens_here_and_an_unknown_event_is_refused_back(
    node: NodeUnderTest,
) -> None:
    kit: ServiceKit[EventsUnitOfWork] = node.kit("events")
    event = await published(node)
    asker = Person(name="Jean Dupont", email="jean@example.fr")
    known = InquiryAsked(
        id="fr-Q1", event_id=event["id"], asker=asker, question="Lunch?", asked_at="x"
    )
    unknown = InquiryAsked(id="fr-Q2", event_id="ro-gone", asker=asker, question="?", asked_at="x")
    for message in (known, unknown):
        await kit.transaction(
            lambda uow, m=message: inquiries.on_inquiry_asked(kit, m, delivery("fr"), uow)
        )

    received = await node.client.get(INQUIRIES, headers=node.editor)
    assert [i["id"] for i in received.json()["items"]] == ["fr-Q1"]  # nothing kept of Q2
    letters = await outbox_to(kit, "fr")
    assert [letter["subject"].rsplit(".", 1)[-1] for letter in letters] == ["fr-Q2"]
    assert b"refused" in letters[0]["body"] and b"jean@" not in letters[0]["body"]

    answer = await node.client.post(
        f"{INQUIRIES}/fr-Q1/answer", json={"answer": "Included."}, headers=node.editor
    )
    assert answer.status_code == 200, answer.text
    subjects = [letter["subject"] for letter in await outbox_to(kit, "fr")]
    assert subjects[-1].startswith(f"direct.fr.{node.identity.node}.events.inquiry-answered.fr-Q1")


async def test_an_answer_from_another_node_than_the_owner_is_not_taken(
    node: NodeUnderTest,
) -> None:
    kit: ServiceKit[EventsUnitOfWork] = node.kit("events")
    event = await published(node)
    inquiry = (await ask(node, event)).json()
    forged = InquiryAnswered(
        id=inquiry["id"],
        event_id=event["id"],
        outcome=InquiryOutcome.ANSWERED,
        answer="from es",
        answered_at="x",
    )
    try:
        await kit.transaction(
            lambda uow: inquiries.on_inquiry_answered(kit, forged, delivery("es"), uow)
        )
    except LookupError as exc:
        assert "waits for an answer" in str(exc)
    else:
        raise AssertionError("an answer from es was taken")
    read = await node.client.get(f"{INQUIRIES}/{inquiry['id']}", params={"key": inquiry["key"]})
    assert read.json()["status"] == "waiting"


async def test_pages_ask_then_staff_answer_in_the_console(node: NodeUnderTest) -> None:
    event = await published(node)
    me = node.identity.node
    page = f"/events/{me}/{event['id']}"
    assert f"{page}/ask" in (await node.client.get(page, headers=HTML)).text
    csrf = await csrf_of(node.client, f"{page}/ask")
    bad = await node.client.post(
        f"{page}/ask", data={**QUESTION, "email": "nope", "csrf": csrf}, headers=HTML
    )
    assert bad.status_code == 422 and 'id="e-email"' in bad.text, bad.text
    sent = await node.client.post(f"{page}/ask", data={**QUESTION, "csrf": csrf}, headers=HTML)
    assert sent.status_code == 303, sent.text
    mine = sent.headers["location"]
    assert re.match(rf"^/inquiries/{me}-\w+\?key=", mine)
    assert "Waiting" in (await node.client.get(mine, headers=HTML)).text

    client = await signed_in(node)
    console = await client.get("/console/inquiries", headers=HTML)
    assert "Is there parking at the venue?" in console.text and "ana@example.ro" in console.text
    inquiry_id = mine.split("/")[2].split("?")[0]
    token = await csrf_of(client, "/console/inquiries")
    answered = await client.post(
        f"/console/inquiries/{inquiry_id}/answer",
        data={"answer": "Yes, in the basement.", "csrf": token},
        headers=HTML,
    )
    assert answered.status_code == 303
    assert "Yes, in the basement." in (await client.get(mine, headers=HTML)).text
