"""Withdrawn and erased data is gone from every stream, not only from the replicas.

Before, ``NODE_<ID>``, ``ALLIANCE`` and every ``FEED_<ID>`` kept every version of every
record forever: an organisation later made node-only, and a contact person erased or
whose consent was withdrawn, could still be read there by anyone able to read a stream.
Now each stream keeps the latest event of each aggregate, so the withdrawal or the
revision without the person replaces what was there, at every hop.
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
from tests.federation import Federation, StreamEvent, federation_of, poll, read_stream
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
