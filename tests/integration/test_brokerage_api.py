"""Brokerage sessions on a whole in-process node (real NATS and nx-27017, the real model).

The node learns its brokerage event from the events service's local channel; people
join with a key, publish profiles (embedded), get recommendations, ask for meetings,
accept or decline; the organiser schedules all, locks and moves, and re-runs after late
changes with few meetings moved; agendas export as iCalendar, tables print their sheet.
Bad input is a 4xx naming the field.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import icalendar

from services.events.sample_data import events
from services.matching.brokerage_ops import gauges, recount
from services.matching.brokerage_sample import PEOPLE as PEOPLE_OF_DEMO
from services.matching.brokerage_sample import session_body, with_partners
from services.matching.brokerage_store import EVENTS
from services.matching.scheduling import (
    Meeting,
    MeetingRequest,
    Participant,
    Schedule,
    ScheduleProblem,
)
from tests.conftest import NodeUnderTest
from tests.integration.test_events_api import create
from tests.integration.test_membership_api import assert_problem
from tests.integration.test_service_kit import eventually
from tests.schedule_validator import violations

NODE_SERVICES = ("events", "matching")  # what the `node` fixture starts (tests/conftest.py)

BROKERAGE = "/api/matching/brokerage"
SESSION = {
    "days": ["2027-03-18"],
    "start": "09:30",
    "slot_minutes": 30,
    "slots_per_day": 4,
    "tables": 2,
    "request_deadline": "2027-03-17T18:00",
}
PEOPLE = [
    (
        "Ana Pop",
        "RO",
        "Electronica Sud",
        "We offer printed circuit board assembly.",
        "We need a partner for CE marking.",
    ),
    (
        "Luc Martin",
        "FR",
        "Certif Lyon",
        "CE marking and conformity testing.",
        "We look for electronics makers.",
    ),
    (
        "Marta Ruiz",
        "ES",
        "Moldes Valencia",
        "Injection moulds for plastic parts.",
        "We need PCB assembly and soldering.",
    ),
    (
        "Jan Novak",
        "CZ",
        "Robotika Brno",
        "Industrial robot integration.",
        "We need injection moulded housings.",
    ),
    (
        "Eva Horvat",
        "HU",
        "Pannon Sensors",
        "Temperature sensors for industry.",
        "We look for robot integrators.",
    ),
]


async def assert_valid_schedule(node: NodeUnderTest, session: dict[str, Any]) -> dict[str, Any]:
    """The kept schedule breaks no rule, checked by the independent validator on the
    session as the organiser's board shows it; returns the schedule."""
    board = (
        await node.client.get(f"{BROKERAGE}/sessions/{session['id']}/board", headers=node.editor)
    ).json()
    problem = ScheduleProblem(
        slots=len(session["slots"]),
        tables_per_slot=session["tables"],
        participants=[
            Participant(id=p["id"], unavailable_slots=frozenset(p["unavailable"]))
            for p in board["participants"]
        ],
        requests=[
            MeetingRequest(a=r["from"], b=r["to"])
            for r in board["requests"]
            if r["status"] == "accepted"
        ],
    )
    kept = board["schedule"]
    meetings = [Meeting(**{**m, "table": m["table"] - 1}) for m in kept["meetings"]]
    unplaced = [MeetingRequest(a=u["a"], b=u["b"]) for u in kept["unplaced"]]
    result = Schedule(
        meetings=meetings,
        unplaced=unplaced,
        moved=0,  # this check's problem has no previous schedule
        idle_gaps=kept["idle_gaps"],
        upper_bound=kept["upper_bound"],
    )
    assert violations(problem, result) == []
    return kept  # type: ignore[no-any-return]


async def heard(node: NodeUnderTest, event_id: str) -> None:
    """Wait until the matching service holds the node's event as published (it learns
    it from the events service's local channel)."""
    known = node.kit("matching").database.collection(EVENTS)

    async def published() -> bool:
        found = await known.find_one({"aggregateid": event_id})
        return bool(found and found["data"]["status"] == "published")

    await eventually(published)


async def session_for(node: NodeUnderTest, **changes: Any) -> dict[str, Any]:
    """A published brokerage event of this node and its session."""
    event = await create(node)
    await heard(node, event["id"])
    body = {**SESSION, "event_id": event["id"], **changes}
    created = await node.client.post(f"{BROKERAGE}/sessions", json=body, headers=node.editor)
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


async def join(
    node: NodeUnderTest, session: dict[str, Any], person: tuple[str, ...]
) -> dict[str, Any]:
    name, country, organisation, offers, needs = person
    email = f"{name.split()[0].lower()}@example.org"
    body = {"name": name, "email": email, "organisation": organisation, "country": country}
    joined = await node.client.post(f"{BROKERAGE}/sessions/{session['id']}/participants", json=body)
    assert joined.status_code == 201, joined.text
    participant: dict[str, Any] = joined.json()
    profile = await call(node, participant, "PUT", "profile", {"offers": offers, "needs": needs})
    assert profile.status_code == 200, profile.text
    return participant


async def call(
    node: NodeUnderTest, who: dict[str, Any], method: str, path: str, body: Any = None
) -> Any:
    """A participant's call, with their key."""
    url = f"{BROKERAGE}/participants/{who['id']}/{path}".rstrip("/")
    return await node.client.request(method, url, params={"key": who["key"]}, json=body)


async def ask(node: NodeUnderTest, sender: dict[str, Any], to: dict[str, Any]) -> dict[str, Any]:
    sent = await call(node, sender, "POST", "requests", {"to": to["id"], "message": "Let us meet"})
    assert sent.status_code == 201, sent.text
    return sent.json()  # type: ignore[no-any-return]


async def answer(
    node: NodeUnderTest, who: dict[str, Any], request: dict[str, Any], verb: str
) -> Any:
    return await call(node, who, "POST", f"requests/{request['id']}/{verb}")


async def run(node: NodeUnderTest, session: dict[str, Any]) -> dict[str, Any]:
    done = await node.client.post(
        f"{BROKERAGE}/sessions/{session['id']}/schedule", headers=node.editor
    )
    assert done.status_code == 200, done.text
    return done.json()  # type: ignore[no-any-return]


async def test_a_session_is_joined_matched_requested_scheduled_and_exported(
    node: NodeUnderTest,
) -> None:
    session = await session_for(node)
    assert len(session["slots"]) == 4 and session["slots"][1]["start"].startswith(
        "2027-03-18T10:00"
    )
    ana, luc, marta, jan, eva = [await join(node, session, person) for person in PEOPLE]

    others = (await call(node, ana, "GET", "others")).json()["items"]
    assert {o["organisation"] for o in others} == {
        "Certif Lyon",
        "Moldes Valencia",
        "Robotika Brno",
        "Pannon Sensors",
    }
    assert all("email" not in o and "name" not in o for o in others)  # personal data stays hidden

    recommended = (await call(node, ana, "GET", "recommendations")).json()["items"]
    assert recommended[0]["participant"]["organisation"] in {"Certif Lyon", "Moldes Valencia"}
    assert recommended[0]["reasons"], recommended[0]

    itself = await call(node, ana, "POST", "requests", {"to": ana["id"], "message": "me"})
    assert_problem(itself, 422, "to")
    a_l, a_m, l_m = (
        await ask(node, ana, luc),
        await ask(node, ana, marta),
        await ask(node, luc, marta),
    )
    assert_problem(await call(node, luc, "POST", "requests", {"to": ana["id"]}), 409, "to")
    j_m, e_j = await ask(node, jan, marta), await ask(node, eva, jan)
    for who, request in ((luc, a_l), (marta, a_m), (marta, j_m), (jan, e_j)):
        assert (await answer(node, who, request, "accept")).json()["status"] == "accepted"
    assert (await answer(node, marta, l_m, "decline")).json()["status"] == "declined"
    assert_problem(await answer(node, marta, l_m, "accept"), 409, "status")
    assert_problem(await answer(node, ana, a_l, "accept"), 422, "id")  # not the addressee
    mine = (await call(node, marta, "GET", "requests")).json()
    assert {r["id"] for r in mine["in"]} == {a_m["id"], l_m["id"], j_m["id"]} and mine["out"] == []
    # once declined, the two may ask again; both asking at once opens one request only
    twice = await asyncio.gather(
        call(node, marta, "POST", "requests", {"to": luc["id"]}),
        call(node, luc, "POST", "requests", {"to": marta["id"]}),
    )
    assert sorted(r.status_code for r in twice) == [201, 409]
    again_ml = next(r.json() for r in twice if r.status_code == 201)
    assert "open_pair" not in again_ml
    sender = marta if again_ml["from"] == marta["id"] else luc
    assert (await answer(node, sender, again_ml, "withdraw")).json()["status"] == "withdrawn"

    # Marta is away in slots 0 and 1: her two meetings take slots 2 and 3
    assert (await call(node, marta, "PUT", "unavailable", {"slots": [1, 0]})).json()[
        "unavailable"
    ] == [0, 1]
    assert_problem(await call(node, marta, "PUT", "unavailable", {"slots": [9]}), 422, "slots")

    first = await run(node, session)
    assert first["accepted"] == 4 and first["placed"] == 4 and first["quality"] == 1.0
    assert await assert_valid_schedule(node, session) == first
    by_request = {m["request"]: m for m in first["meetings"]}
    assert {by_request[a_m["id"]]["slot"], by_request[j_m["id"]]["slot"]} == {2, 3}

    # the organiser locks Ana and Luc, and cannot move Ana and Marta into Marta's absence
    meetings = f"{BROKERAGE}/sessions/{session['id']}/meetings"
    locked = await node.client.post(
        f"{meetings}/{a_l['id']}/lock", json={"locked": True}, headers=node.editor
    )
    assert locked.status_code == 200, locked.text
    refused = await node.client.post(
        f"{meetings}/{a_m['id']}/move", json={"slot": 0, "table": 1}, headers=node.editor
    )
    assert_problem(refused, 422, "slot")
    assert "cannot attend" in refused.json()["errors"][0]["reason"]
    assert_problem(
        await node.client.post(
            f"{meetings}/{a_m['id']}/move", json={"slot": 2, "table": 7}, headers=node.editor
        ),
        422,
        "table",
    )

    # late changes: Eva withdraws, Luc and Jan agree to meet; the re-run keeps the rest
    assert (await answer(node, eva, e_j, "withdraw")).json()["status"] == "withdrawn"
    l_j = await ask(node, luc, jan)
    await answer(node, jan, l_j, "accept")
    second = await run(node, session)
    assert second["accepted"] == 4 and second["placed"] == 4 and second["runs"] == 2
    assert await assert_valid_schedule(node, session) == second
    again = {m["request"]: m for m in second["meetings"]}
    assert again[a_l["id"]]["locked"] and again[a_l["id"]]["slot"] == by_request[a_l["id"]]["slot"]
    assert second["moved"] == 0 and all(
        (again[r]["slot"], again[r]["table"]) == (m["slot"], m["table"])
        for r, m in by_request.items()
        if r in again
    )

    # agendas: JSON and iCalendar, with the session's times
    agenda = (await call(node, marta, "GET", "agenda")).json()["items"]
    assert [item["slot"] for item in agenda] == [2, 3]
    exported = await call(node, marta, "GET", "agenda.ics")
    assert exported.headers["content-type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(exported.content).walk("VEVENT")
    assert len(events) == 2
    starts = sorted(event.decoded("dtstart").isoformat() for event in events)
    assert starts == ["2027-03-18T10:30:00+02:00", "2027-03-18T11:00:00+02:00"]
    assert {str(event["summary"]) for event in events} == {
        "Electronica Sud (RO)",
        "Robotika Brno (CZ)",
    }

    # a table's sheet, and the organiser's board with e-mails and requests by state
    table = again[a_m["id"]]["table"]
    sheet = (
        await node.client.get(
            f"{BROKERAGE}/sessions/{session['id']}/tables/{table}", headers=node.editor
        )
    ).json()
    assert any(
        {m["a"]["organisation"], m["b"]["organisation"]} == {"Electronica Sud", "Moldes Valencia"}
        for m in sheet["meetings"]
    )
    board = (
        await node.client.get(f"{BROKERAGE}/sessions/{session['id']}/board", headers=node.editor)
    ).json()
    assert {p["email"] for p in board["participants"]} >= {"ana@example.org"}
    assert board["requests_by_state"] == {
        "pending": 0,
        "accepted": 4,
        "declined": 1,
        "withdrawn": 2,
    }
    shown = (
        f'alliance_brokerage_schedule_quality{{session="{session["id"]}"}} 1.0',
        f'alliance_brokerage_requests{{session="{session["id"]}",state="withdrawn"}} 2.0',
    )
    metrics = (await node.client.get("/metrics")).text
    assert all(line in metrics for line in shown)
    # a restarted node shows them again from the store (its task recounts every minute)
    kit = node.kit("matching")
    for gauge in gauges(kit.metrics.registry):
        gauge.clear()
    metrics = (await node.client.get("/metrics")).text
    assert not any(line in metrics for line in shown)
    await recount(kit)
    metrics = (await node.client.get("/metrics")).text
    assert all(line in metrics for line in shown)


async def test_bad_input_is_a_4xx_naming_the_field(node: NodeUnderTest) -> None:
    sessions = f"{BROKERAGE}/sessions"
    conference = await create(node, kind="conference")
    session = await session_for(node)
    assert_problem(
        await node.client.post(
            sessions, json={**SESSION, "event_id": session["id"]}, headers=node.editor
        ),
        409,
        "event_id",
    )
    assert_problem(
        await node.client.post(
            sessions, json={**SESSION, "event_id": conference["id"]}, headers=node.editor
        ),
        422,
        "event_id",
    )
    assert_problem(
        await node.client.post(
            sessions, json={**SESSION, "event_id": "ro-nope"}, headers=node.editor
        ),
        404,
        "event_id",
    )
    for field, value in (("tables", 500), ("slot_minutes", 0), ("slots_per_day", 0), ("days", [])):
        body = {**SESSION, "event_id": conference["id"], field: value}
        assert_problem(await node.client.post(sessions, json=body, headers=node.editor), 422, field)
    late = {
        **SESSION,
        "event_id": conference["id"],
        "start": "22:00",
        "slots_per_day": 6,
        "slot_minutes": 30,
    }
    assert_problem(
        await node.client.post(sessions, json=late, headers=node.editor), 422, "slots_per_day"
    )
    assert (
        await node.client.post(sessions, json={**SESSION, "event_id": conference["id"]})
    ).status_code == 401

    joined = f"{sessions}/{session['id']}/participants"
    person = {"name": "A", "email": "a@example.org", "organisation": "O", "country": "RO"}
    assert_problem(await node.client.post(joined, json={**person, "email": "nope"}), 422, "email")
    assert_problem(
        await node.client.post(joined, json={**person, "country": "Romania"}), 422, "country"
    )
    assert_problem(
        await node.client.post(f"{sessions}/nope/participants", json=person), 404, "session"
    )
    who = (await node.client.post(joined, json=person)).json()
    assert_problem(
        await call(node, who, "PUT", "profile", {"offers": "", "needs": ""}), 422, "needs"
    )
    assert_problem(await call(node, {**who, "key": "guess"}, "GET", ""), 404, "key")
    assert_problem(await node.client.get(f"{BROKERAGE}/participants/{who['id']}"), 404, "key")
    assert_problem(await node.client.post(f"{sessions}/{session['id']}/schedule"), 401)

    closed = await session_for(node, request_deadline="2020-01-01T00:00")
    late = (await node.client.post(f"{sessions}/{closed['id']}/participants", json=person)).json()
    too_late = await call(node, late, "POST", "requests", {"to": who["id"]})
    assert_problem(too_late, 422, "to")
    assert "deadline" in too_late.json()["message"]


class InProcessSeedClient:
    """The demo's ``SeedClient`` (synchronous) over the node's in-process HTTP client,
    for a sample step run in a worker thread."""

    def __init__(self, node: NodeUnderTest, loop: asyncio.AbstractEventLoop) -> None:
        self.node, self.loop = node, loop

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = self.node.client.request(method, path, json=body, headers=self.node.admin)
        answer = asyncio.run_coroutine_threadsafe(request, self.loop).result(60)
        assert answer.status_code < 400, answer.text
        return answer.json()

    def every(self, path: str) -> list[dict[str, Any]]:
        return list(self.call("GET", f"{path}?limit=500")["items"])


async def test_the_demo_schedules_a_session_for_the_nodes_brokerage_event(
    node: NodeUnderTest,
) -> None:
    body = events("ro-clustero", date.today())[0].body
    assert body["kind"] == "brokerage"
    created = await node.client.post("/api/events/events", json=body, headers=node.editor)
    event_id = created.json()["id"]
    await node.client.post(f"/api/events/events/{event_id}/publish", headers=node.editor)
    await heard(node, event_id)
    # a run that made the session but no more (the event was not published here yet)
    made = await node.client.post(
        f"{BROKERAGE}/sessions", json=session_body({**body, "id": event_id}), headers=node.editor
    )
    assert made.status_code == 201, made.text
    client = InProcessSeedClient(node, asyncio.get_running_loop())
    said = await asyncio.to_thread(with_partners, client, node.identity.node)
    assert said.startswith(f"brokerage session: {len(PEOPLE_OF_DEMO)} participants")
    board = await node.client.get(f"{BROKERAGE}/sessions/{event_id}/board", headers=node.editor)
    schedule = board.json()["schedule"]
    assert schedule["accepted"] == 8 and schedule["placed"] == 8, board.text
    assert {p["network"] for p in board.json()["participants"]} == {
        "ro-clustero",
        "fr-franceclusters",
        "es-fenaeic",
    }
    assert await asyncio.to_thread(with_partners, client, node.identity.node) == (
        "brokerage session kept"
    )
