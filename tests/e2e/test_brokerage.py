"""A brokerage session scheduled and its agendas exported, on a real node process.

The organiser's node (ro, with its hub) publishes the demo's brokerage event; the demo's
step makes its session with participants of the three founding networks, their
requests and a schedule, through the node's HTTP API as ``alliance demo`` does. Each
participant's agenda, exported as iCalendar, holds exactly their meetings at the
session's times, and the tables' sheets hold every meeting once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import icalendar
import pytest

from alliance.demo import Api
from services.events.sample_data import events
from services.matching.brokerage_sample import PEOPLE, with_partners
from shared.auth import Role, TokenStore
from shared.runtime import RuntimeFailure
from tests.federation import Federation, federation_of, poll

pytestmark = pytest.mark.e2e
BROKERAGE = "/api/matching/brokerage"


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("brokerage"), nodes=("ro",)) as started:
        yield started


def demo_session(federation: Federation) -> tuple[Api, dict[str, Any]]:
    """The demo's brokerage event on ro, and the demo's session for it."""
    ro = federation.members["ro"]
    api = Api(ro.url, TokenStore(ro.data_dir).create(Role.ADMIN, "e2e"))
    event = api.call("POST", "/api/events/events", events("ro-clustero", date.today())[0].body)
    api.call("POST", f"/api/events/events/{event['id']}/publish")

    def done() -> str | None:
        try:  # until the matching service sees the event published: 404, then 422
            said = with_partners(api, "ro")
        except RuntimeFailure as exc:
            assert "answered 404" in str(exc) or "takes no participants now" in str(exc), exc
            return None
        return said if said.startswith("brokerage session") else None

    said = poll(done, 60, "the matching service hears of the event")
    assert said.startswith(f"brokerage session: {len(PEOPLE)} participants"), said
    return api, api.call("GET", f"{BROKERAGE}/sessions/{event['id']}/board")


def test_a_session_is_scheduled_and_every_agenda_exports_its_meetings(
    federation: Federation,
) -> None:
    api, board = demo_session(federation)
    schedule, slots = board["schedule"], board["session"]["slots"]
    assert schedule["placed"] == schedule["accepted"] == 8, schedule
    assert {p["network"] for p in board["participants"]} == {
        "ro-clustero",
        "fr-franceclusters",
        "es-fenaeic",
    }
    per_person = Counter(who for m in schedule["meetings"] for who in (m["a"], m["b"]))
    for person in board["participants"]:
        exported = api.client.get(f"{BROKERAGE}/participants/{person['id']}/agenda.ics")
        assert exported.status_code == 200 and exported.headers["content-type"].startswith(
            "text/calendar"
        )
        found = icalendar.Calendar.from_ical(exported.content).walk("VEVENT")
        assert len(found) == per_person[person["id"]]
        mine = sorted(
            (m for m in schedule["meetings"] if person["id"] in (m["a"], m["b"])),
            key=lambda m: m["slot"],
        )
        starts = sorted(event.decoded("dtstart").isoformat() for event in found)
        assert starts == [slots[m["slot"]]["start"] for m in mine]
        assert all(m["slot"] not in person["unavailable"] for m in mine)
    sheets = [
        api.call("GET", f"{BROKERAGE}/sessions/{board['session']['id']}/tables/{table}")
        for table in range(1, board["session"]["tables"] + 1)
    ]
    assert sum(len(sheet["meetings"]) for sheet in sheets) == len(schedule["meetings"])
    public = httpx.get(f"{federation.members['ro'].url}/brokerage/{board['session']['id']}")
    assert public.status_code == 200 and "@example.org" not in public.text
