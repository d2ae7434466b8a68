"""Inquiries across a real hub and three real nodes (``alliance`` processes).

A person on fr asks about ro's event; the question reaches ro's staff (API and console),
their answer comes back to fr, where the asker reads it with the key and fr's staff see
it. The asker's name and e-mail are only on ro and fr: no stream of the hub or of es
holds them. A question to an owner that is away waits, and is answered when it is back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.test_direct_messages import hub_accounts_with_streams, traces
from tests.federation import Federation, federation_of, metric_value, poll

pytestmark = pytest.mark.e2e
EVENTS = "/api/events/events"
INQUIRIES = "/api/events/inquiries"


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("inquiries"), nodes=("ro", "fr", "es")) as started:
        yield started


def published_on_ro(federation: Federation) -> dict[str, Any]:
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

    # the question (with the asker's e-mail) only in ro's inbox, the answer only in fr's;
    # neither in any stream of es or of the hub
    assert [t.split("#")[0] for t in traces(ro.nats_url, email)] == ["INBOX_RO"]
    assert [t.split("#")[0] for t in traces(fr.nats_url, inquiry["id"])] == ["INBOX_FR"]
    assert federation.hub is not None
    for elsewhere in (federation.members["es"].nats_url, federation.hub.nats_url):
        assert traces(elsewhere, email) == [] and traces(elsewhere, inquiry["id"]) == []
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
