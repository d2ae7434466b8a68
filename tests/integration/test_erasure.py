"""A person erased from every service of one node (real NATS, nx-27017, the model).

One person is a contact of an organisation, asks about an event, applies to speak,
registers, expresses interest in a partner and joins a brokerage session; each service's
``POST /api/<service>/erasures`` (what ``alliance erase-contact`` calls, shared/erasure.py)
then leaves no trace of their name or e-mail in any collection of any of the node's
databases, while the records stay for the staff and the person's keys stop working. A
request handed to another node's event makes the erasure tell that owner node, which
erases its copy (only when the node that handed it over asks).
Who may erase: editor or admin tokens; anonymous 401; a bad address a 422 naming it.
"""

from __future__ import annotations

import json
import uuid

from services.events import erasure, inquiries
from services.events.store import EventsUnitOfWork
from shared.contracts.events_requests import InquiryAsked, Person, PersonErased
from shared.erasure import ERASED
from shared.service import ServiceKit
from shared.store import Document
from tests.conftest import NodeUnderTest
from tests.integration.test_brokerage_api import BROKERAGE, call, session_for
from tests.integration.test_bus import eventually
from tests.integration.test_event_applications import apply, with_call
from tests.integration.test_event_inquiries import ask, delivery, outbox_to, published
from tests.integration.test_event_registrations import REGISTRATIONS, register
from tests.integration.test_events_api import calendar
from tests.integration.test_matching_interests import INTERESTS, indexed
from tests.integration.test_matching_search import PCB_NEED, PCB_OFFER
from tests.integration.test_membership_api import assert_problem, create_org

NODE_SERVICES = ("membership", "events", "matching")  # what the `node` fixture starts

ERASING = ("membership", "events", "matching")


def erasures(service: str) -> str:
    return f"/api/{service}/erasures"


async def traces(node: NodeUnderTest, *texts: str) -> list[str]:
    """Every document of every database of the node that holds one of ``texts``
    (any case): database.collection/_id."""
    client = node.kit("membership").database.db.client
    wanted = [text.casefold() for text in texts]
    found = []
    for name in await client.list_database_names():
        database = client[name]
        for collection in await database.list_collection_names():
            async for doc in database[collection].find({}):
                dumped = json.dumps(doc, default=str, ensure_ascii=False).casefold()
                if any(text in dumped for text in wanted):
                    found.append(f"{name}.{collection}/{doc['_id']}")
    return found


async def public(node: NodeUnderTest, event_id: str) -> bool:
    """The event is on the public calendar (not only the staff's draft of it)."""
    return event_id in {item["id"] for item in (await calendar(node, limit=500))["items"]}


async def one(node: NodeUnderTest, service: str, collection: str, record_id: str) -> Document:
    record = await node.kit(service).database.collection(collection).find_one({"_id": record_id})
    assert record is not None, f"{collection}/{record_id} is gone"
    return record


async def test_one_erasure_per_service_leaves_the_person_in_no_collection(
    node: NodeUnderTest,
) -> None:
    tag = uuid.uuid4().hex[:8]
    name, email = f"Ioana Sterge {tag}", f"ioana.{tag}@acme.example.ro"
    typed = email.upper()  # as the person may write it to the staff
    person = {"name": name, "email": email}

    seeker = await create_org(
        node, needs=PCB_NEED, visibility="public", contacts=[{**person, "consent": True}]
    )
    partner = await create_org(node, offers=PCB_OFFER, visibility="public")
    network = await indexed(node, seeker, partner)
    interest = await node.client.post(
        INTERESTS,
        json={
            **person,
            "partner": f"{network}/{partner['id']}",
            "organisation_id": seeker["id"],
            "message": "We would like to meet you.",
        },
    )
    assert interest.status_code == 201, interest.text

    event = await with_call(node)
    await eventually(lambda: public(node, event["id"]))  # as the person sees it
    inquiry = await ask(node, event, **person)
    assert inquiry.status_code == 201, inquiry.text
    application = await apply(node, event, **person)
    assert application.status_code == 201, application.text
    registration = await register(
        node,
        {
            "origin": node.identity.node,
            "event_id": event["id"],
            "contact_name": name,
            "contact_email": email,
        },
    )

    session = await session_for(node)
    joined = await node.client.post(
        f"{BROKERAGE}/sessions/{session['id']}/participants",
        json={**person, "organisation": seeker["legal_name"], "country": "RO"},
    )
    assert joined.status_code == 201, joined.text
    participant = joined.json()
    assert len(await traces(node, email, name)) >= 8  # each service holds the person

    # who may erase: staff only
    assert_problem(await node.client.post(erasures("events"), json={"email": email}), 401)
    bad = await node.client.post(
        erasures("matching"), json={"email": "not an address"}, headers=node.editor
    )
    assert_problem(bad, 422, "email")

    answers = {}
    for service in ERASING:
        answer = await node.client.post(
            erasures(service), json={"email": typed}, headers=node.editor
        )
        assert answer.status_code == 200, answer.text
        answers[service] = answer.json()
    assert answers["membership"]["organizations"] == [seeker["id"]]
    assert answers["events"]["inquiries_sent"] == answers["events"]["inquiries_received"]
    assert answers["events"]["inquiries_sent"] == [inquiry.json()["id"]]
    assert answers["events"]["applications_received"] == [application.json()["id"]]
    assert answers["events"]["my_registrations"] == [registration["id"]]
    assert len(answers["events"]["attendees"]) == 1
    assert answers["matching"]["interests_sent"] == [interest.json()["id"]]
    assert answers["matching"]["brokerage_participants"] == [participant["id"]]

    leaked = await traces(node, email, name)
    assert not leaked, f"still holding the person: {leaked}"

    # the records stay for the staff, without the person; the person's keys stop working
    kept = await one(node, "matching", "interests_sent", interest.json()["id"])
    assert kept["person"] == {"name": ERASED, "email": ERASED}
    assert kept["message"] == "We would like to meet you."
    asked = await one(node, "events", "inquiries_received", inquiry.json()["id"])
    assert asked["asker"]["name"] == ERASED and asked["question"]
    member = await one(node, "matching", "brokerage_participants", participant["id"])
    assert member["organisation"] == seeker["legal_name"]
    read = await node.client.get(
        f"{INTERESTS}/{interest.json()['id']}", params={"key": interest.json()["key"]}
    )
    assert_problem(read, 404)
    assert_problem(await call(node, participant, "GET", ""), 404, "key")
    staff = await node.client.get(f"{REGISTRATIONS}/{registration['id']}", headers=node.editor)
    assert staff.status_code == 200 and staff.json()["contact_email"] == ERASED

    # asked again, nothing more to erase; an admin may erase too
    again = await node.client.post(erasures("events"), json={"email": email}, headers=node.admin)
    assert again.status_code == 200, again.text
    assert all(ids == [] for kind, ids in again.json().items() if kind != "email")


async def test_the_owner_of_the_event_is_told_and_erases_its_copy(node: NodeUnderTest) -> None:
    kit: ServiceKit[EventsUnitOfWork] = node.kit("events")
    tag = uuid.uuid4().hex[:8]
    jean = Person(name=f"Jean Efface {tag}", email=f"jean.{tag}@example.fr")

    # sender side: a question this node handed to fr's event (as ``inquiries.ask`` keeps it)
    handed = f"ro-{tag}-Q"
    await kit.database.collection(inquiries.SENT).insert_one(
        {"_id": handed, "event_origin": "fr", "asker": jean.model_dump(), "key": "digest"}
    )
    answer = await node.client.post(
        erasures("events"), json={"email": jean.email}, headers=node.editor
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["owners_told"] == ["fr"]
    [letter] = await outbox_to(kit, "fr")
    assert b"person-erased" in letter["subject"].encode() + letter["body"]
    assert handed.encode() in letter["body"] and jean.email.encode() not in letter["body"]

    # owner side: fr's question about this node's event; only fr may have it erased
    event = await published(node)
    asked = InquiryAsked(
        id=f"fr-{tag}-Q", event_id=event["id"], asker=jean, question="Lunch?", asked_at="x"
    )
    await kit.transaction(lambda uow: inquiries.on_inquiry_asked(kit, asked, delivery("fr"), uow))

    async def told_by(sender: str) -> None:
        told = PersonErased(id=f"{sender}-{tag}-E", requests=[asked.id], erased_at="x")
        await kit.transaction(
            lambda uow: erasure.on_person_erased(kit, told, delivery(sender), uow)
        )

    await told_by("es")  # not the sender of that question: nothing changes
    assert (await one(node, "events", inquiries.RECEIVED, asked.id))["asker"] == jean.model_dump()
    await told_by("fr")
    copy = await one(node, "events", inquiries.RECEIVED, asked.id)
    assert copy["asker"]["name"] == copy["asker"]["email"] == ERASED and copy["question"]
    assert not await traces(node, jean.email, jean.name)
