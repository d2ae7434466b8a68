"""Inquiries, applications to speak and invitations across a real hub and three nodes.

A person on fr asks about ro's event; the question reaches ro's staff, their answer comes
back to fr, where the asker reads it with the key and fr's staff see it. A person on fr
applies to speak at ro's event with an open call; ro's staff accept, the decision reaches
fr. The person's name and e-mail are only on ro and fr: no stream of the hub or of es
holds them. A question to an owner that is away waits, and is answered when it is back.
ro invites fr to co-organise and es to promote its event: once they accept, es's calendar
shows fr as co-organiser and es's public site lists the event as promoted.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shared import subjects
from shared.contracts.base import Event
from shared.envelope import seal
from shared.identity import load_identity
from tests.e2e.test_direct_messages import hub_accounts_with_streams, js_publish, traces
from tests.federation import Federation, federation_of, metric_value, poll

pytestmark = pytest.mark.e2e
EVENTS = "/api/events/events"
INQUIRIES = "/api/events/inquiries"
APPLICATIONS = "/api/events/applications"


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("requests"), nodes=("ro", "fr", "es")) as started:
        yield started


def published_on_ro(federation: Federation, **extra: Any) -> dict[str, Any]:
    """A public event of ro, once fr's calendar shows it."""
    ro, fr = federation.members["ro"], federation.members["fr"]
    body = {
        "kind": "brokerage",
        "language": "en",
        "title": {"en": f"B2B {uuid.uuid4().hex[:8]}"},
        "timezone": "Europe/Bucharest",
        "start": "2027-03-18T09:30:00",
        "end": "2027-03-18T17:00:00",
        "venue": {"city": "Bucharest", "country": "RO"},
        "visibility": "public",
        **extra,
    }
    created = httpx.post(ro.url + EVENTS, json=body, headers=ro.headers, timeout=30)
    assert created.status_code == 201, created.text
    event: dict[str, Any] = created.json()
    published = httpx.post(f"{ro.url}{EVENTS}/{event['id']}/publish", headers=ro.headers)
    assert published.status_code == 200, published.text

    def on_fr() -> bool:
        return httpx.get(f"{fr.url}{EVENTS}/ro/{event['id']}", timeout=30).status_code == 200

    poll(on_fr, 60, "ro's event on fr's calendar")
    return event


def open_on(federation: Federation, node: str, inquiry_id: str) -> dict[str, Any] | None:
    """The inquiry in ``node``'s staff list of received inquiries, once it is there."""
    member = federation.members[node]
    items = httpx.get(member.url + INQUIRIES, headers=member.headers, timeout=30).json()["items"]
    return next((i for i in items if i["id"] == inquiry_id), None)


def asker_status(url: str, inquiry: dict[str, Any]) -> str:
    """What the asker reads on their own node, with the key their question returned."""
    read = httpx.get(f"{url}{INQUIRIES}/{inquiry['id']}", params={"key": inquiry["key"]})
    return str(read.json()["status"])


def test_a_question_from_fr_is_answered_by_ro_and_kept_on_those_two_only(
    federation: Federation,
) -> None:
    ro, fr = federation.members["ro"], federation.members["fr"]
    event = published_on_ro(federation)
    email = f"ana-{uuid.uuid4().hex[:8]}@example.fr"
    asked = httpx.post(
        f"{fr.url}{EVENTS}/ro/{event['id']}/inquiries",
        json={"name": "Ana Martin", "email": email, "question": "Is there a B2B app?"},
        timeout=30,
    )
    assert asked.status_code == 201, asked.text
    inquiry = asked.json()

    received = poll(lambda: open_on(federation, "ro", inquiry["id"]), 60, "fr's question on ro")
    assert received["status"] == "open" and received["sender"] == "fr"
    assert received["asker"]["email"] == email

    answered = httpx.post(
        f"{ro.url}{INQUIRIES}/{inquiry['id']}/answer",
        json={"answer": "Yes: matchmaking by the hour."},
        headers=ro.headers,
        timeout=30,
    )
    assert answered.status_code == 200, answered.text

    poll(lambda: asker_status(fr.url, inquiry) == "answered", 60, "ro's answer on fr")
    mine = httpx.get(
        f"{fr.url}{INQUIRIES}/{inquiry['id']}", params={"key": inquiry["key"]}, timeout=30
    )
    assert mine.json()["answer"] == "Yes: matchmaking by the hour."
    sent = httpx.get(f"{fr.url}{INQUIRIES}", params={"side": "sent"}, headers=fr.headers)
    assert [i["status"] for i in sent.json()["items"] if i["id"] == inquiry["id"]] == ["answered"]
    metrics = httpx.get(f"{fr.url}/metrics", timeout=30).text
    assert metric_value(
        metrics, "alliance_event_inquiries_total", direction="out", outcome="answered"
    )

    only_on_ro_and_fr(federation, email, inquiry["id"])


def only_on_ro_and_fr(federation: Federation, email: str, request_id: str) -> None:
    """The request (with the person's e-mail) only in ro's inbox, the answer only in
    fr's; neither in any stream of es or of the hub."""
    ro, fr = federation.members["ro"], federation.members["fr"]
    assert [t.split("#")[0] for t in traces(ro.nats_url, email)] == ["INBOX_RO"]
    assert [t.split("#")[0] for t in traces(fr.nats_url, request_id)] == ["INBOX_FR"]
    assert federation.hub is not None
    for elsewhere in (federation.members["es"].nats_url, federation.hub.nats_url):
        assert traces(elsewhere, email) == [] and traces(elsewhere, request_id) == []
    assert [a for a, n in hub_accounts_with_streams(federation).items() if n] == ["ALLIANCE"]


def test_a_question_waits_while_the_owner_is_away_and_is_answered_when_it_is_back(
    federation: Federation,
) -> None:
    ro, es = federation.members["ro"], federation.members["es"]
    event = published_on_ro(federation)
    poll(
        lambda: httpx.get(f"{es.url}{EVENTS}/ro/{event['id']}", timeout=30).status_code == 200,
        60,
        "ro's event on es",
    )
    federation.kill_node("ro")
    asked = httpx.post(
        f"{es.url}{EVENTS}/ro/{event['id']}/inquiries",
        json={"name": "Luis Gil", "email": "luis@example.es", "question": "Interpreters?"},
        timeout=30,
    )
    assert asked.status_code == 201, asked.text  # es takes it: ro decides when it is back
    inquiry = asked.json()
    federation.start_node("ro")
    poll(lambda: open_on(federation, "ro", inquiry["id"]), 120, "es's question on ro")
    answered = httpx.post(
        f"{ro.url}{INQUIRIES}/{inquiry['id']}/answer",
        json={"answer": "Yes, in Spanish."},
        headers=ro.headers,
        timeout=30,
    )
    assert answered.status_code == 200, answered.text
    poll(lambda: asker_status(es.url, inquiry) == "answered", 60, "ro's answer on es")


def test_an_application_from_fr_is_accepted_by_ro_and_kept_on_those_two_only(
    federation: Federation,
) -> None:
    ro, fr = federation.members["ro"], federation.members["fr"]
    call = {"deadline": "2027-02-01T12:00:00", "topics": ["b2b"], "questions": ["Sector?"]}
    event = published_on_ro(federation, call_for_speakers=call)
    on_fr = httpx.get(f"{fr.url}{EVENTS}/ro/{event['id']}", timeout=30).json()
    assert on_fr["call_for_speakers"]["questions"] == ["Sector?"]  # replicated with the event
    email = f"paul-{uuid.uuid4().hex[:8]}@example.fr"
    body = {
        "name": "Paul Durand",
        "email": email,
        "title": "Aerospace supply chains",
        "abstract": "How Occitanie's SMEs qualify.",
        "bio": "Cluster manager, Aerospace Valley.",
        "language": "fr",
        "answers": ["Aerospace"],
    }
    path = f"{fr.url}{EVENTS}/ro/{event['id']}/applications"
    applied = httpx.post(path, json=body, timeout=30)
    assert applied.status_code == 201, applied.text
    application = applied.json()
    twice = httpx.post(path, json=body, timeout=30)
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "email"

    def pending_on_ro() -> dict[str, Any] | None:
        items = httpx.get(f"{ro.url}{APPLICATIONS}", headers=ro.headers, timeout=30).json()
        return next((i for i in items["items"] if i["id"] == application["id"]), None)

    received = poll(pending_on_ro, 60, "fr's application on ro")
    assert received["status"] == "pending" and received["sender"] == "fr"
    decided = httpx.post(
        f"{ro.url}{APPLICATIONS}/{application['id']}/decide",
        json={"decision": "accepted", "message": "Panel 2, 11:00."},
        headers=ro.headers,
        timeout=30,
    )
    assert decided.status_code == 200, decided.text

    def decision_on_fr() -> dict[str, Any] | None:
        read = httpx.get(
            f"{fr.url}{APPLICATIONS}/{application['id']}",
            params={"key": application["key"]},
            timeout=30,
        ).json()
        return read if read["status"] != "pending" else None

    mine = poll(decision_on_fr, 60, "ro's decision on fr")
    assert mine["status"] == "accepted" and mine["message"] == "Panel 2, 11:00."
    only_on_ro_and_fr(federation, email, application["id"])


def test_fr_co_organises_and_es_promotes_ros_event(federation: Federation) -> None:
    ro, fr, es = (federation.members[n] for n in ("ro", "fr", "es"))
    event = published_on_ro(federation)
    for partner, kind in (("fr", "co-organise"), ("es", "promote")):
        sent = httpx.post(
            f"{ro.url}{EVENTS}/{event['id']}/invitations",
            json={"partners": [partner], "kind": kind},
            headers=ro.headers,
            timeout=30,
        )
        assert sent.status_code == 201, sent.text

    def invitation_on(member: Any) -> dict[str, Any] | None:
        items = httpx.get(f"{member.url}/api/events/invitations", headers=member.headers)
        return next((i for i in items.json()["items"] if i["event_id"] == event["id"]), None)

    for member in (fr, es):
        invitation = poll(lambda m=member: invitation_on(m), 60, f"the invitation on {member.node}")
        answered = httpx.post(
            f"{member.url}/api/events/invitations/{invitation['id']}/answer",
            json={"accept": True},
            headers=member.headers,
            timeout=30,
        )
        assert answered.status_code == 200, answered.text

    def co_organised_on_es() -> bool:
        shown = httpx.get(f"{es.url}{EVENTS}/ro/{event['id']}", timeout=30).json()
        return bool(shown.get("co_organisers") == ["fr"])

    poll(co_organised_on_es, 60, "fr as co-organiser of ro's event, on es's calendar")
    promoted = httpx.get(f"{es.url}/api/events/promoted", timeout=30).json()["items"]
    assert [(p["origin"], p["id"]) for p in promoted] == [("ro", event["id"])]
    assert httpx.get(f"{fr.url}/api/events/promoted", timeout=30).json()["items"] == []


class UnreadableInquiry(Event):
    """An inquiry as a faulty node might send it: no asker, no question."""

    event_id: str


def test_an_inquiry_the_owner_cannot_read_shows_refused_to_the_asker(
    federation: Federation,
) -> None:
    """fr's question reaches ro unreadable (a faulty fr): ro dead-letters it and answers
    with the reason, so the asker reads "refused" instead of waiting forever."""
    fr = federation.members["fr"]
    event = published_on_ro(federation)
    asked = httpx.post(
        f"{fr.url}{EVENTS}/ro/{event['id']}/inquiries",
        json={"name": "Ana Martin", "email": "ana@example.fr", "question": "Parking?"},
        timeout=30,
    )
    assert asked.status_code == 201, asked.text
    inquiry = asked.json()
    poll(lambda: open_on(federation, "ro", inquiry["id"]), 60, "ro knows fr's key")
    envelope = seal(
        load_identity(fr.data_dir),
        subject=subjects.direct_subject("ro", "fr", "events", "inquiry-asked", inquiry["id"]),
        type="eu.clustersalliance.events.direct.inquiry-asked",
        payload=UnreadableInquiry(id=inquiry["id"], event_id=event["id"]),
        aggregate_id=inquiry["id"],
        aggregate_version=0,
    )
    asyncio.run(js_publish(fr.nats_url, envelope.subject, envelope.to_bytes(), envelope.id))
    poll(lambda: asker_status(fr.url, inquiry) == "refused", 60, "ro's refusal on fr")
    read = httpx.get(f"{fr.url}{INQUIRIES}/{inquiry['id']}", params={"key": inquiry["key"]})
    assert read.json()["reason"].startswith("refused: invalid_payload (")
