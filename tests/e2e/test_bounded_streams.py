"""Withdrawn and erased data is gone from every stream, not only from the replicas.

Before, ``NODE_<ID>``, ``ALLIANCE`` and every ``FEED_<ID>`` kept every version of every
record forever: an organisation later made node-only, and a contact person erased or
whose consent was withdrawn, could still be read there by anyone able to read a stream.
Now each stream keeps the latest event of each aggregate, so the withdrawal or the
revision without the person replaces what was there, at every hop. And one
``alliance erase-contact`` reaches every service of the node that keeps the person
(contacts, inquiries, expressions of interest, brokerage participants): none of their
databases' collections holds them afterwards.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from shared import subjects
from shared.store import database_name
from tests.federation import Federation, StreamEvent, federation_of, poll, read_stream
from tests.integration.test_brokerage_api import BROKERAGE, SESSION
from tests.integration.test_events_api import EVENTS, event_payload
from tests.integration.test_matching_interests import INTERESTS
from tests.integration.test_matching_search import PCB_NEED, PCB_OFFER
from tests.support import run_cli

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("bounded"), nodes=("ro", "fr")) as started:
        yield started


def every_stream(federation: Federation) -> dict[str, list[StreamEvent]]:
    """Each stream an event of ro crosses, read raw on the server that holds it."""
    assert federation.hub is not None
    ro, fr = federation.members["ro"], federation.members["fr"]
    return {
        "NODE_RO": read_stream(ro.nats_url, subjects.node_stream("ro")),
        "LOCAL_RO": read_stream(ro.nats_url, subjects.local_stream("ro")),
        "ALLIANCE": read_stream(federation.hub.nats_url, subjects.ALLIANCE_STREAM),
        "FEED_FR": read_stream(fr.nats_url, subjects.feed_stream("fr")),
    }


def traces(federation: Federation, *needles: str) -> list[str]:
    """Where any of ``needles`` can still be read, as "STREAM: subject"."""
    found = []
    for stream, events in every_stream(federation).items():
        for event in events:
            raw = json.dumps(event.body, ensure_ascii=False)
            found += [f"{stream}: {event.subject}" for needle in needles if needle in raw]
    return found


def replica(federation: Federation, reader: str, org_id: str) -> dict[str, Any] | None:
    member = federation.members[reader]
    client: MongoClient[dict[str, Any]] = MongoClient(member.mongodb_url)
    with client:
        found = client[member.database]["organization_replicas"].find_one({"aggregateid": org_id})
    return found


def replicated(federation: Federation, org_id: str) -> None:
    poll(
        lambda: org_id in federation.replica_ids("fr").get("ro", set()),
        60,
        f"{org_id} replicated on fr",
    )


def all_hops_hold(federation: Federation, org_id: str, version: int) -> bool:
    """Every stream of the path holds the aggregate's event of ``version``."""
    streams = every_stream(federation)
    return all(
        any(e.body.get("aggregateid") == org_id and e.version == version for e in events)
        for name, events in streams.items()
        if name != "LOCAL_RO"
    )


def test_an_organisation_made_node_only_leaves_no_trace_beyond_the_node(
    federation: Federation,
) -> None:
    tag = uuid.uuid4().hex[:8]
    email = f"ana-{tag}@acme.example.ro"
    body = {
        "legal_name": f"Withdrawn {tag} SRL",
        "country": "RO",
        "visibility": "alliance",
        "contacts": [{"name": f"Ana {tag}", "email": email, "consent": True}],
    }
    created = federation.create_org("ro", **body)
    assert created.status_code == 201, created.text
    org_id = created.json()["id"]
    replicated(federation, org_id)
    assert traces(federation, email)  # the check can see it while it is shared

    ro = federation.members["ro"]
    legal_name = created.json()["legal_name"]
    answer = httpx.put(
        f"{ro.url}/api/membership/organizations/{org_id}",
        json={**body, "legal_name": legal_name, "visibility": "node"},
        headers=ro.headers,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    poll(lambda: all_hops_hold(federation, org_id, 2), 60, "the withdrawal at every hop")
    poll(
        lambda: (replica(federation, "fr", org_id) or {}).get("deleted"),
        60,
        "fr obeying the withdrawal",
    )
    leaked = [t for t in traces(federation, email, legal_name) if not t.startswith("LOCAL_RO")]
    assert not leaked, f"still readable: {leaked}"
    for name, events in every_stream(federation).items():
        mine = [e for e in events if e.body.get("aggregateid") == org_id]
        assert len(mine) == 1, f"{name} keeps {len(mine)} events of {org_id}"


def test_an_erased_contact_leaves_no_trace_in_any_stream_or_replica(
    federation: Federation,
) -> None:
    ro = federation.members["ro"]
    tag = uuid.uuid4().hex[:8]
    erased = {"name": f"Ion Erased {tag}", "email": f"ion-{tag}@acme.example.ro"}
    kept = {"name": f"Ana Kept {tag}", "email": f"ana-{tag}@acme.example.ro"}
    shared = federation.create_org(
        "ro",
        "Erasure",
        contacts=[{**erased, "consent": True}, {**kept, "consent": True}],
    )
    private = federation.create_org(
        "ro", "Private", visibility="node", contacts=[{**erased, "consent": False}]
    )
    assert shared.status_code == private.status_code == 201
    shared_id, private_id = shared.json()["id"], private.json()["id"]
    replicated(federation, shared_id)
    assert traces(federation, erased["email"])

    typed = erased["email"].upper()  # as the person may write it
    done = run_cli("erase-contact", typed, "--data-dir", str(ro.data_dir), "--token", ro.token)
    assert done.returncode == 0, done.stderr
    by_service = json.loads(done.stdout)["services"]
    assert sorted(by_service["membership"]["organizations"]) == sorted([shared_id, private_id])
    assert set(by_service) >= {"membership", "events", "matching"}  # every service keeping people

    poll(lambda: all_hops_hold(federation, shared_id, 2), 60, "the revision at every hop")
    leaked = traces(federation, erased["email"], erased["name"])
    assert not leaked, f"still readable: {leaked}"
    assert traces(federation, kept["email"])  # the other person is still there

    def contacts_on_fr() -> list[str]:
        doc = replica(federation, "fr", shared_id) or {}
        return [c["email"] for c in (doc.get("data") or {}).get("contacts", [])]

    poll(lambda: contacts_on_fr() == [kept["email"]], 60, "fr's replica without the person")
    listed = httpx.get(
        f"{ro.url}/api/membership/organizations/{private_id}", headers=ro.headers, timeout=10
    ).json()
    assert listed["contacts"] == []


def test_erasure_needs_a_token_and_an_address(federation: Federation) -> None:
    ro = federation.members["ro"]
    data_dir = str(ro.data_dir)
    anonymous = httpx.post(
        f"{ro.url}/api/membership/erasures", json={"email": "a@b.example"}, timeout=10
    )
    assert anonymous.status_code == 401
    for args, expected in (
        (["a@b.example"], "needs an editor or admin token"),
        (["not an address", "--token", ro.token], "service refused the erasure (422): email"),
    ):
        answer = run_cli("erase-contact", *args, "--data-dir", data_dir)
        assert answer.returncode == 2, answer
        lines = [line for line in answer.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and expected in lines[0], answer.stderr
    nothing = run_cli(
        "erase-contact", "nobody@example.org", "--data-dir", data_dir, "--token", ro.token
    )
    assert nothing.returncode == 0, nothing.stderr
    assert json.loads(nothing.stdout)["services"]["membership"]["organizations"] == []


def ro_databases(federation: Federation) -> Iterator[tuple[str, Any]]:
    """Every collection of the services of ro that keep people, as (name, collection)."""
    ro = federation.members["ro"]
    client: MongoClient[dict[str, Any]] = MongoClient(ro.mongodb_url)
    with client:
        for service in ("membership", "events", "matching"):
            database = client[database_name("ro", service)]
            for name in database.list_collection_names():
                yield f"{database.name}.{name}", database[name]


def stored(federation: Federation, *needles: str) -> list[str]:
    """Every document of those databases holding one of ``needles`` (any case)."""
    wanted = [needle.casefold() for needle in needles]
    found = []
    for name, collection in ro_databases(federation):
        for doc in collection.find({}):
            raw = json.dumps(doc, default=str, ensure_ascii=False).casefold()
            found += [f"{name}/{doc['_id']}" for needle in wanted if needle in raw]
    return found


def created(answer: httpx.Response) -> dict[str, Any] | None:
    """The record a 201 answered with (None: not yet, e.g. not indexed or heard)."""
    return answer.json() if answer.status_code == 201 else None  # type: ignore[no-any-return]


def test_one_command_erases_the_person_from_every_service_of_the_node(
    federation: Federation,
) -> None:
    ro = federation.members["ro"]
    tag = uuid.uuid4().hex[:8]
    person = {"name": f"Ioana Sterge {tag}", "email": f"ioana-{tag}@acme.example.ro"}
    seeker = federation.create_org(
        "ro", "Seeker", needs=PCB_NEED, visibility="public", contacts=[{**person, "consent": True}]
    ).json()
    partner = federation.create_org("ro", "Partner", offers=PCB_OFFER, visibility="public").json()

    def post(path: str, body: Any = None, staff: bool = True) -> httpx.Response:
        headers = ro.headers if staff else {}
        return httpx.post(f"{ro.url}{path}", json=body, headers=headers, timeout=30)

    event = created(post(EVENTS, event_payload()))
    assert event is not None
    assert post(f"{EVENTS}/{event['id']}/publish").status_code == 200
    question = {**person, "question": "Is there parking?"}
    inquiry = poll(
        lambda: created(post(f"{EVENTS}/ro/{event['id']}/inquiries", question, staff=False)),
        60,
        "the inquiry about the published event",
    )
    session = poll(
        lambda: created(post(f"{BROKERAGE}/sessions", {**SESSION, "event_id": event["id"]})),
        60,
        "the brokerage session, once matching heard the event",
    )
    joining = {**person, "organisation": seeker["legal_name"], "country": "RO"}
    participant = created(
        post(f"{BROKERAGE}/sessions/{session['id']}/participants", joining, staff=False)
    )
    assert participant is not None
    interest_body = {
        **person,
        "partner": f"ro/{partner['id']}",
        "organisation_id": seeker["id"],
        "message": "We would like to meet you.",
    }
    interest = poll(
        lambda: created(post(INTERESTS, interest_body, staff=False)),
        90,
        "the expression of interest, once the partner is searchable",
    )
    assert len(stored(federation, person["email"])) >= 5

    done = run_cli(
        "erase-contact",
        person["email"].upper(),
        "--data-dir",
        str(ro.data_dir),
        "--token",
        ro.token,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\n") == 1 and "membership 1 organizations" in done.stderr
    erased = json.loads(done.stdout)["services"]
    assert erased["membership"]["organizations"] == [seeker["id"]]
    assert erased["events"]["inquiries_sent"] == [inquiry["id"]]
    assert erased["matching"]["interests_sent"] == [interest["id"]]
    assert erased["matching"]["brokerage_participants"] == [participant["id"]]

    poll(
        lambda: not stored(federation, person["email"], person["name"]),
        30,
        "no trace of the person in any collection of ro",
        explain=lambda: str(stored(federation, person["email"], person["name"])),
    )
    kept = [name for name, _ in ro_databases(federation)]
    assert {"ro_events.inquiries_received", "ro_matching.interests_sent"} <= set(kept)
    anonymous = post("/api/matching/erasures", {"email": person["email"]}, staff=False)
    assert anonymous.status_code == 401
