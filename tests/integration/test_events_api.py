"""The calendar API and feeds over HTTP, against a whole in-process node on real servers.

Covers an event's lifecycle (draft, publish, revise, postpone, cancel, withdraw) with
tokens and roles, what anonymous callers see, bad input (a 4xx naming the field), the
calendar's filters and paging, a partner node's event arriving over the bus, the
iCalendar feeds (parsed with icalendar), and the status gauge.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import icalendar
import nats
import pytest
from httpx import Response
from nats.js import JetStreamContext

from shared.contracts import events as contract
from shared.identity import NodeIdentity, create_identity
from shared.runtime import NatsServer
from shared.subjects import Channel
from tests.conftest import NodeUnderTest
from tests.integration.test_bus import eventually, federate_fr, publish
from tests.integration.test_membership_api import assert_problem

NODE_SERVICES = ("membership", "events")  # what the `node` fixture starts (tests/conftest.py)

EVENTS = "/api/events/events"


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    """A plain client of the node's NATS server: what a partner's stream sends through."""
    client = await nats.connect(nats_server.url)
    yield client.jetstream()
    await client.close()


@pytest.fixture
def fr(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "fr", "fr", "France Clusters", "FR")


def event_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": "brokerage",
        "language": "ro",
        "title": {"ro": "Întâlniri B2B", "en": "B2B meetings"},
        "description": {"en": "Meet the Romanian automotive suppliers."},
        "timezone": "Europe/Bucharest",
        "start": "2027-03-18T09:30:00",
        "end": "2027-03-18T17:00:00",
        "venue": {"address": "Bd. Expoziției 1", "city": "București", "country": "RO"},
        "capacity": 120,
        "visibility": "public",
        "nace_sections": ["C"],
        "tags": ["automotive"],
    }
    payload.update(overrides)
    return payload


async def create(node: NodeUnderTest, publish: bool = True, **overrides: Any) -> dict[str, Any]:
    response = await node.client.post(EVENTS, json=event_payload(**overrides), headers=node.editor)
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    if publish:
        event = await change(node, event["id"], "publish")
    return event


async def change(node: NodeUnderTest, event_id: str, verb: str) -> dict[str, Any]:
    response = await node.client.post(f"{EVENTS}/{event_id}/{verb}", headers=node.editor)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def calendar(node: NodeUnderTest, headers: dict[str, str] | None = None, **query: Any) -> Any:
    response = await node.client.get(EVENTS, params=query, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


async def shown(
    node: NodeUnderTest, check: Callable[[list[dict[str, Any]]], bool], **query: Any
) -> None:
    """Wait until the calendar (filled from the bus) satisfies ``check``."""

    async def ok() -> bool:
        return check((await calendar(node, node.editor, limit=500, **query))["items"])

    await eventually(ok)


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


async def test_an_event_goes_from_draft_to_the_public_calendar_and_off_it(
    node: NodeUnderTest,
) -> None:
    draft = await create(node, publish=False)
    assert draft["status"] == "draft" and draft["sequence"] == 0
    origin = node.identity.node
    one = f"{EVENTS}/{origin}/{draft['id']}"
    assert (await node.client.get(one)).status_code == 404  # drafts are the staff's
    assert (await node.client.get(one, headers=node.editor)).json()["status"] == "draft"
    await shown(node, lambda items: draft["id"] in ids(items))
    assert draft["id"] not in ids((await calendar(node))["items"])

    published = await change(node, draft["id"], "publish")
    assert published["status"] == "published"
    await eventually(lambda: _public(node, draft["id"]))
    seen = (await node.client.get(one)).json()
    assert seen["origin"] == origin and seen["dates"][0]["start"] == "2027-03-18T09:30:00+02:00"

    response = await node.client.put(
        f"{EVENTS}/{draft['id']}", json=event_payload(capacity=150), headers=node.editor
    )
    assert response.status_code == 200 and response.json()["sequence"] == 1
    assert (await change(node, draft["id"], "postpone"))["sequence"] == 2
    assert (await change(node, draft["id"], "cancel"))["status"] == "cancelled"
    assert_problem(
        await node.client.post(f"{EVENTS}/{draft['id']}/publish", headers=node.editor),
        422,
        "status",
    )
    # withdrawing takes an admin; then the event is gone from every calendar
    assert (
        await node.client.delete(f"{EVENTS}/{draft['id']}", headers=node.editor)
    ).status_code == 403
    assert (
        await node.client.delete(f"{EVENTS}/{draft['id']}", headers=node.admin)
    ).status_code == 200
    await shown(node, lambda items: draft["id"] not in ids(items))
    assert_problem(
        await node.client.put(f"{EVENTS}/{draft['id']}", json=event_payload(), headers=node.editor),
        410,
    )


async def _public(node: NodeUnderTest, event_id: str) -> bool:
    return event_id in ids((await calendar(node))["items"])


async def test_writes_need_an_editor_token(node: NodeUnderTest) -> None:
    assert (await node.client.post(EVENTS, json=event_payload())).status_code == 401
    event = await create(node, publish=False)
    response = await node.client.post(f"{EVENTS}/{event['id']}/publish")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end": "2027-03-18T08:00:00"}, "end"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"recurrence": "FREQ=MONTHLY;BYDAY=XX;COUNT=3"}, "recurrence"),
        ({"recurrence": "FREQ=DAILY"}, "recurrence"),
        ({"recurrence": "FREQ=DAILY;COUNT=500"}, "recurrence"),
        ({"recurrence": "FREQ=MONTHLY;BYDAY=+60MO;COUNT=2"}, "recurrence"),  # was a 500
        ({"start": "0001-01-01T00:00:00", "end": "0001-01-01T05:00:00"}, "start"),
        ({"capacity": 0}, "capacity"),
        ({"registration_closes": "2027-03-19T00:00:00"}, "registration_closes"),
        ({"title": {"fr": "Rencontres"}}, "title"),
        ({"venue": None}, "venue"),
        ({"fees": {"tickets": [{"code": "std", "name": "Standard", "fee": -5}]}}, "fees"),
        ({"start": "next tuesday"}, "start"),
    ],
)
async def test_bad_input_is_a_4xx_naming_the_field(
    node: NodeUnderTest, overrides: dict[str, Any], field: str
) -> None:
    response = await node.client.post(EVENTS, json=event_payload(**overrides), headers=node.editor)
    assert_problem(response, 422, field)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ["Întâlniri"]}, "title"),
        ({"title": {"r0": "x"}}, "title"),
        ({"title": {f"{a}{b}": "x" for a in "ab" for b in "abcdefghijklmnopq"}}, "title"),
        ({"start": 1_800_000_000}, "start"),
        ({"start": "2027-03-18T09:30:00+02:00"}, "start"),
        ({"venue": "Bucharest"}, "venue"),
        ({"venue": {"city": "București", "country": "RO", "floor": 2}}, "venue.floor"),
        ({"fees": []}, "fees"),
        ({"speakers": [{"name": "A", "email": "a@example.ro"}]}, "speakers.0.email"),
        ({"tags": "automotive"}, "tags"),
        ({"recurrence": 3}, "recurrence"),
        ({"capacity": "12"}, "capacity"),
        ({"capacity": 1.5}, "capacity"),
        ({"visibility": "secret"}, "visibility"),
        ({"timezone": "Europe/Bucharest\u0000"}, "timezone"),
    ],
)
async def test_odd_bodies_are_refused_naming_the_field_never_a_500(
    node: NodeUnderTest, overrides: dict[str, Any], field: str
) -> None:
    response = await node.client.post(EVENTS, json=event_payload(**overrides), headers=node.editor)
    assert_problem(response, 422, field)


async def test_unknown_events_and_bad_queries_are_clear_answers(node: NodeUnderTest) -> None:
    assert_problem(await node.client.get(f"{EVENTS}/{node.identity.node}/nope"), 404, "id")
    assert_problem(await node.client.get(f"{EVENTS}/fr/nope"), 404, "id")
    assert_problem(await node.client.post(f"{EVENTS}/nope/cancel", headers=node.editor), 404)
    assert_problem(await node.client.get(EVENTS, params={"from": "soon"}), 422, "from")
    assert_problem(
        await node.client.get(EVENTS, params={"from": "2027-03-02", "to": "2027-03-01"}), 422, "to"
    )
    assert_problem(await node.client.get(EVENTS, params={"kind": "party"}), 422, "kind")
    assert_problem(await node.client.get("/events/fr/nope.ics"), 404)


async def test_the_calendar_filters_and_pages(node: NodeUnderTest) -> None:
    brokerage = await create(node)
    webinar = await create(
        node,
        kind="webinar",
        language="fr",
        title={"fr": "Webinaire IA"},
        description={},
        venue=None,
        online_url="https://meet.example.fr/ia",
        timezone="Europe/Paris",
        start="2027-05-04T10:00:00",
        end="2027-05-04T11:30:00",
        nace_sections=["J"],
        tags=["ai"],
        registration_opens="2026-01-01T00:00:00",
    )
    series = await create(
        node,
        kind="training",
        language="es",
        title={"es": "Formación mensual"},
        description={},
        timezone="Europe/Madrid",
        venue={"city": "Madrid", "country": "ES"},
        start="2027-01-12T09:00:00",
        end="2027-01-12T13:00:00",
        recurrence="FREQ=MONTHLY;COUNT=12",
        capacity=20,
        tags=["lean"],
        nace_sections=[],
    )
    hidden = await create(node, visibility="alliance")
    await shown(node, lambda items: len(items) >= 4)

    async def found(**query: Any) -> set[str]:
        return ids((await calendar(node, **query))["items"])

    every = {brokerage["id"], webinar["id"], series["id"]}
    assert await found() == every  # the alliance-only event is not public
    assert hidden["id"] in ids((await calendar(node, node.editor))["items"])
    assert await found(kind="webinar") == {webinar["id"]}
    assert await found(country="es") == {series["id"]}
    assert await found(network=node.identity.node) == every
    assert await found(network="fr") == set()
    assert await found(topic="j") == {webinar["id"]}
    assert await found(topic="Automotive") == {brokerage["id"]}
    assert await found(language="fr") == {webinar["id"]}
    assert await found(language="en") == {brokerage["id"]}
    # a date range finds what overlaps it, a series through its last date
    assert await found(**{"from": "2027-03-18", "to": "2027-03-18"}) == {
        brokerage["id"],
        series["id"],
    }
    assert await found(**{"from": "2027-06-01"}) == {series["id"]}
    assert await found(**{"to": "2027-01-11"}) == set()
    assert await found(open="true") == {brokerage["id"], webinar["id"], series["id"]}
    await change(node, webinar["id"], "postpone")
    await shown(node, lambda items: "postponed" in {i["status"] for i in items})
    assert await found(open="true") == {brokerage["id"], series["id"]}

    first = await calendar(node, limit=2)
    assert [i["id"] for i in first["items"]] == [series["id"], brokerage["id"]]  # by start
    rest = await calendar(node, limit=2, after=first["next"])
    assert [i["id"] for i in rest["items"]] == [webinar["id"]] and rest["next"] is None

    one = (await node.client.get(f"{EVENTS}/{node.identity.node}/{series['id']}")).json()
    assert len(one["dates"]) == 12 and {d["capacity"] for d in one["dates"]} == {20}


def partner_event(fr: NodeIdentity, version: int, **fields: Any) -> Any:
    state: dict[str, Any] = {
        "id": "fr-webinar-1",
        "kind": "webinar",
        "language": "fr",
        "title": {"fr": "Webinaire cybersécurité"},
        "start": "2027-02-10T14:00:00",
        "end": "2027-02-10T15:00:00",
        "timezone": "Europe/Paris",
        "online_url": "https://meet.example.fr/cyber",
        "visibility": "public",
        "status": "published",
        "sequence": version - 1,
        "updated_at": "2026-12-01T00:00:00Z",
    }
    state.update(fields)
    return contract.CATALOGUE.seal(
        fr, Channel.ALLIANCE, contract.EventPublished.model_validate(state), version
    )


async def test_a_partner_networks_event_joins_the_calendar_and_its_feeds(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(node, js, fr)
    own = await create(node)
    await publish(js, partner_event(fr, 1))
    await eventually(lambda: _public(node, "fr-webinar-1"))
    entry = (await node.client.get(f"{EVENTS}/fr/fr-webinar-1")).json()
    assert entry["origin"] == "fr" and entry["title"] == {"fr": "Webinaire cybersécurité"}
    assert ids((await calendar(node, network="fr"))["items"]) == {"fr-webinar-1"}

    alliance = parse(await node.client.get("/alliance.ics"))
    uids = {str(e["UID"]) for e in alliance.walk("VEVENT")}
    assert uids == {
        f"{own['id']}@{node.identity.node}.clustersalliance.eu",
        "fr-webinar-1@fr.clustersalliance.eu",
    }
    mine = parse(await node.client.get("/calendar.ics"))
    assert [str(e["UID"]) for e in mine.walk("VEVENT")] == [
        f"{own['id']}@{node.identity.node}.clustersalliance.eu"
    ]

    # the owner cancels: the feed keeps the event, cancelled, with a higher sequence
    await publish(js, partner_event(fr, 2, status="cancelled", sequence=1))

    async def cancelled() -> bool:
        feed = parse(await node.client.get("/events/fr/fr-webinar-1.ics"))
        (event,) = feed.walk("VEVENT")
        return str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1

    await eventually(cancelled)


async def test_a_partner_event_the_node_cannot_read_is_dead_lettered(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    """A replica whose keys cannot be computed is refused with the reason, not a crash."""
    await federate_fr(node, js, fr)
    await publish(js, partner_event(fr, 1, id="fr-bad", timezone="Europe/Nowhere"))
    await publish(js, partner_event(fr, 1))
    await eventually(lambda: _public(node, "fr-webinar-1"))
    assert "fr-bad" not in ids((await calendar(node, node.editor))["items"])
    metrics = (await node.client.get("/metrics")).text
    assert 'alliance_dead_letters_total{reason="malformed",service="events"} 1.0' in metrics


def parse(response: Response) -> icalendar.Calendar:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


async def test_an_events_feed_is_stable_and_a_revision_raises_its_sequence(
    node: NodeUnderTest,
) -> None:
    event = await create(node, recurrence="FREQ=WEEKLY;COUNT=4")
    url = f"/events/{node.identity.node}/{event['id']}.ics"
    await eventually(lambda: _public(node, event["id"]))
    first = parse(await node.client.get(url))
    (vevent,) = first.walk("VEVENT")
    assert int(vevent["SEQUENCE"]) == 0
    assert vevent["DTSTART"].params["TZID"] == "Europe/Bucharest"
    assert [str(tz["TZID"]) for tz in first.walk("VTIMEZONE")] == ["Europe/Bucharest"]
    assert vevent["RRULE"]["COUNT"] == [4]
    assert {str(c) for c in vevent["CATEGORIES"].cats} == {"brokerage", "C", "automotive"}

    await node.client.put(
        f"{EVENTS}/{event['id']}",
        json=event_payload(start="2027-03-18T10:00:00", recurrence="FREQ=WEEKLY;COUNT=4"),
        headers=node.editor,
    )

    async def revised() -> bool:
        (again,) = parse(await node.client.get(url)).walk("VEVENT")
        return int(again["SEQUENCE"]) == 1 and again["DTSTART"].dt.hour == 10

    await eventually(revised)
    (again,) = parse(await node.client.get(url)).walk("VEVENT")
    assert again["UID"] == vevent["UID"]
    # only public events in public feeds
    hidden = await create(node, visibility="alliance")
    await shown(node, lambda items: hidden["id"] in ids(items))
    assert (
        await node.client.get(f"/events/{node.identity.node}/{hidden['id']}.ics")
    ).status_code == 404
    alliance = parse(await node.client.get("/alliance.ics"))
    assert {str(e["UID"]).split("@")[0] for e in alliance.walk("VEVENT")} == {event["id"]}


async def test_the_status_gauge_counts_own_events(node: NodeUnderTest) -> None:
    await create(node, publish=False)
    published = await create(node)
    await change(node, published["id"], "cancel")
    await asyncio.sleep(0)
    metrics = (await node.client.get("/metrics")).text
    assert 'alliance_events{status="draft"} 1.0' in metrics
    assert 'alliance_events{status="cancelled"} 1.0' in metrics
    assert 'alliance_events{status="published"} 0.0' in metrics


async def test_a_partners_url_that_is_not_http_is_never_a_link(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    """Another node's data is not trusted to be what this node would accept itself."""
    await federate_fr(node, js, fr)
    await publish(js, partner_event(fr, 1, online_url="javascript:alert(1)"))
    await eventually(lambda: _public(node, "fr-webinar-1"))
    page = await node.client.get("/events/fr/fr-webinar-1", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "javascript:alert(1)" in page.text and 'href="javascript:' not in page.text
