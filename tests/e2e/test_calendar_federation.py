"""The alliance calendar across a hub and two real nodes (``alliance`` processes).

Published shared events reach the partner's calendar (public ones for anyone, alliance
ones for its staff); drafts and node-only events never leave the owner: not on the hub's
ALLIANCE stream, not in the partner's feed. A withdrawal takes the event off the
partner's calendar and out of every stream; a revision reaches the partner's .ics with
a higher SEQUENCE.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import icalendar
import pytest

from shared import subjects
from shared.auth import Role, TokenStore
from tests.federation import Federation, federation_of, poll, read_stream

pytestmark = pytest.mark.e2e
EVENTS = "/api/events/events"


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("calendar"), nodes=("ro", "fr")) as started:
        yield started


def create(federation: Federation, publish: bool = True, **overrides: Any) -> dict[str, Any]:
    """An event on ro with a title no other test uses, published unless told."""
    ro = federation.members["ro"]
    body: dict[str, Any] = {
        "kind": "conference",
        "language": "en",
        "title": {"en": f"Forum {uuid.uuid4().hex[:10]}"},
        "timezone": "Europe/Bucharest",
        "start": "2027-05-11T10:00:00",
        "end": "2027-05-11T16:00:00",
        "venue": {"city": "Cluj-Napoca", "country": "RO"},
        "visibility": "public",
        **overrides,
    }
    created = httpx.post(ro.url + EVENTS, json=body, headers=ro.headers, timeout=30)
    assert created.status_code == 201, created.text
    event: dict[str, Any] = created.json()
    if publish:
        answer = httpx.post(
            f"{ro.url}{EVENTS}/{event['id']}/publish", headers=ro.headers, timeout=30
        )
        assert answer.status_code == 200, answer.text
        event = answer.json()
    return event


def on_fr(federation: Federation, event_id: str, staff: bool) -> int:
    fr = federation.members["fr"]
    headers = fr.headers if staff else {}
    return httpx.get(f"{fr.url}{EVENTS}/ro/{event_id}", headers=headers, timeout=30).status_code


def anywhere_beyond_ro(federation: Federation, needle: str) -> list[str]:
    """Where ``needle`` can be read outside node ro: the hub's ALLIANCE and fr's feed."""
    assert federation.hub is not None
    fr = federation.members["fr"]
    streams = {
        "ALLIANCE": read_stream(federation.hub.nats_url, subjects.ALLIANCE_STREAM),
        "FEED_FR": read_stream(fr.nats_url, subjects.feed_stream("fr")),
    }
    return [
        f"{name}: {event.subject}"
        for name, events in streams.items()
        for event in events
        if needle in json.dumps(event.body, ensure_ascii=False)
    ]


def test_shared_events_reach_the_partner_and_private_ones_never_leave(
    federation: Federation,
) -> None:
    public = create(federation)
    alliance = create(federation, visibility="alliance")
    draft = create(federation, publish=False)
    hidden = create(federation, visibility="node")
    poll(lambda: on_fr(federation, public["id"], staff=False) == 200, 60, "public event on fr")
    poll(lambda: on_fr(federation, alliance["id"], staff=True) == 200, 60, "alliance event on fr")
    assert on_fr(federation, alliance["id"], staff=False) == 404  # not for anonymous readers
    assert anywhere_beyond_ro(federation, public["title"]["en"])  # the look-up finds events
    for kept in (draft, hidden):
        assert on_fr(federation, kept["id"], staff=True) == 404
        assert anywhere_beyond_ro(federation, kept["title"]["en"]) == []


def test_a_withdrawal_leaves_no_trace_and_a_revision_raises_the_partners_sequence(
    federation: Federation,
) -> None:
    event = create(federation)
    fr = federation.members["fr"]
    feed = f"{fr.url}/events/ro/{event['id']}.ics"

    def sequence() -> int | None:
        answer = httpx.get(feed, timeout=30)
        if answer.status_code != 200:
            return None
        (vevent,) = icalendar.Calendar.from_ical(answer.content).walk("VEVENT")
        return int(vevent["SEQUENCE"])

    poll(lambda: sequence() == 0, 60, "the event's feed on fr")
    ro = federation.members["ro"]
    body = {k: event[k] for k in ("kind", "language", "title", "timezone", "venue", "visibility")}
    revised = httpx.put(
        f"{ro.url}{EVENTS}/{event['id']}",
        json={**body, "start": "2027-05-11T11:00:00", "end": "2027-05-11T17:00:00"},
        headers=ro.headers,
        timeout=30,
    )
    assert revised.status_code == 200, revised.text
    poll(lambda: sequence() == 1, 60, "the revision on fr's feed")

    admin = {"Authorization": f"Bearer {TokenStore(ro.data_dir).create(Role.ADMIN)}"}
    withdrawn = httpx.delete(f"{ro.url}{EVENTS}/{event['id']}", headers=admin, timeout=30)
    assert withdrawn.status_code == 200, withdrawn.text
    poll(lambda: on_fr(federation, event["id"], staff=True) == 404, 60, "withdrawal on fr")
    poll(
        lambda: anywhere_beyond_ro(federation, event["title"]["en"]) == [],
        60,
        "no trace of the withdrawn event beyond ro",
    )
