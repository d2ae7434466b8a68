"""The hub portal's alliance calendar against real processes: a hub and two nodes.

Events published on the nodes reach the hub's read model over ALLIANCE; ``/calendar``
shows the public ones with their filters and links to the owner's site, and
``/alliance.ics`` (parsed back with icalendar) follows revisions (a higher
``SEQUENCE``), cancellations (``STATUS:CANCELLED``) and withdrawals (gone).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest
from babel.dates import format_datetime

from shared.auth import Role, TokenStore
from tests.federation import Federation, poll

pytestmark = pytest.mark.e2e
DAY = date.today() + timedelta(days=20)
ONLINE = "https://meet.example.org/webinar"


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    running = Federation(Path(tmp_path_factory.mktemp("calendar")), nodes=("ro", "fr")).start()
    yield running
    running.close()


def body(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": "brokerage",
        "language": "ro",
        "title": {"ro": "Intalniri B2B auto", "en": "Automotive B2B meetings"},
        "timezone": "Europe/Bucharest",
        "start": f"{DAY}T09:30:00",
        "end": f"{DAY}T17:00:00",
        "venue": {"address": "Bd. Expozitiei 1", "city": "Bucuresti", "country": "RO"},
        "visibility": "public",
        "nace_sections": ["C"],
        "tags": ["automotive"],
    }
    fields.update(overrides)
    return fields


def publish(federation: Federation, node: str, fields: dict[str, Any]) -> str:
    member = federation.members[node]
    created = httpx.post(f"{member.url}/api/events/events", json=fields, headers=member.headers)
    assert created.status_code == 201, created.text
    event_id = str(created.json()["id"])
    done = httpx.post(f"{member.url}/api/events/events/{event_id}/publish", headers=member.headers)
    assert done.status_code == 200, done.text
    return event_id


def hub_get(federation: Federation, path: str) -> httpx.Response:
    assert federation.hub is not None
    return httpx.get(federation.hub.url + path, timeout=10)


def titles(federation: Federation, query: str = "") -> list[str]:
    answer = hub_get(federation, f"/calendar{query}")
    assert answer.status_code == 200, answer.text
    return re.findall(r"<h2>(?:<a [^>]*>)?([^<]+)<", answer.text)


def feed(federation: Federation) -> dict[str, icalendar.Event]:
    answer = hub_get(federation, "/alliance.ics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    parsed = icalendar.Calendar.from_ical(answer.content)
    return {str(event["UID"]): event for event in parsed.walk("VEVENT")}


@pytest.fixture(scope="module")
def published(federation: Federation) -> dict[str, str]:
    """A public brokerage event of ro, an alliance-only one, a public training of fr."""
    ids = {
        "ro": publish(federation, "ro", body()),
        "secret": publish(
            federation, "ro", body(title={"ro": "Consiliu intern"}, visibility="alliance")
        ),
        "fr": publish(
            federation,
            "fr",
            body(
                kind="training",
                language="fr",
                title={"fr": "Formation photonique"},
                timezone="Europe/Paris",
                start=f"{DAY + timedelta(days=2)}T14:00:00",
                end=f"{DAY + timedelta(days=2)}T17:00:00",
                venue={"city": "Lyon", "country": "FR"},
                nace_sections=["M"],
                tags=["photonics"],
            ),
        ),
    }
    poll(lambda: len(titles(federation)) == 2, 60, "both public events on the hub's calendar")
    return ids


def test_the_calendar_shows_public_events_of_every_network_in_date_order(
    federation: Federation, published: dict[str, str]
) -> None:
    assert titles(federation) == ["Intalniri B2B auto", "Formation photonique"]
    page = hub_get(federation, "/calendar").text
    ro_page = f"{federation.members['ro'].url}/events/ro/{published['ro']}"
    assert f'href="{ro_page}"' in page
    assert f'href="{ro_page}.ics"' in page
    assert "Net ro" in page and "(Europe/Bucharest)" in page
    assert 'href="/calendar"' in page  # the navigation entry


def test_dates_show_in_the_events_zone_and_the_visitors_language(
    federation: Federation, published: dict[str, str]
) -> None:
    page = hub_get(federation, "/calendar?lang=fr&network=ro").text
    start = datetime.fromisoformat(f"{DAY}T09:30:00")  # as the owner wrote it, not UTC
    assert format_datetime(start, "medium", locale="fr") in page
    assert "Rencontres d&#39;affaires" in page  # the kind, in French


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("?kind=training", ["Formation photonique"]),
        ("?country=RO", ["Intalniri B2B auto"]),
        ("?network=fr", ["Formation photonique"]),
        ("?topic=automotive", ["Intalniri B2B auto"]),
        ("?topic=m", ["Formation photonique"]),
        ("?language=en", ["Intalniri B2B auto"]),
        (f"?from={DAY + timedelta(days=1)}", ["Formation photonique"]),
        (f"?to={DAY}", ["Intalniri B2B auto"]),
        (f"?from={DAY + timedelta(days=3)}", []),
    ],
)
def test_each_filter_narrows_the_calendar(
    federation: Federation, published: dict[str, str], query: str, found: list[str]
) -> None:
    assert titles(federation, query) == found


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("?from=tomorrow", "YYYY-MM-DD"),
        ("?kind=party", "unknown kind"),
        ("?to=2027-01-01&from=2027-02-01", "before its start"),
    ],
)
def test_a_mistyped_filter_is_named_beside_its_field(
    federation: Federation, query: str, reason: str
) -> None:
    answer = hub_get(federation, f"/calendar{query}")
    assert answer.status_code == 422
    assert reason in answer.text
    assert 'aria-invalid="true"' in answer.text


def test_a_filter_too_long_for_its_field_gets_the_projects_error_body(
    federation: Federation,
) -> None:
    answer = hub_get(federation, "/calendar?country=ROU")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "country"


def test_the_alliance_feed_follows_revisions_cancellations_and_withdrawals(
    federation: Federation, published: dict[str, str]
) -> None:
    ro, fr = federation.members["ro"], federation.members["fr"]
    ro_uid = f"{published['ro']}@ro.clustersalliance.eu"
    fr_uid = f"{published['fr']}@fr.clustersalliance.eu"
    events = feed(federation)
    assert set(events) == {ro_uid, fr_uid}  # the alliance-only event stays off the hub
    assert int(events[ro_uid]["SEQUENCE"]) == 0
    assert events[ro_uid]["DTSTART"].params["TZID"] == "Europe/Bucharest"
    assert str(events[ro_uid]["URL"]).startswith(ro.url)

    revised = httpx.put(
        f"{ro.url}/api/events/events/{published['ro']}",
        json=body(end=f"{DAY}T18:00:00"),
        headers=ro.headers,
    )
    assert revised.status_code == 200, revised.text
    poll(lambda: int(feed(federation)[ro_uid]["SEQUENCE"]) == 1, 60, "the revision on the hub")

    cancelled = httpx.post(
        f"{fr.url}/api/events/events/{published['fr']}/cancel", headers=fr.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    poll(lambda: str(feed(federation)[fr_uid]["STATUS"]) == "CANCELLED", 60, "the cancellation")
    assert "<strong>Cancelled</strong>" in hub_get(federation, "/calendar").text

    admin = {"Authorization": f"Bearer {TokenStore(ro.data_dir).create(Role.ADMIN, 'e2e')}"}
    withdrawn = httpx.delete(f"{ro.url}/api/events/events/{published['ro']}", headers=admin)
    assert withdrawn.status_code == 200, withdrawn.text
    poll(lambda: ro_uid not in feed(federation), 60, "the withdrawal on the hub")
    assert titles(federation) == ["Formation photonique"]


def full_page(federation: Federation) -> str | None:
    """The webinars' first page once it is full and links a next one (all 26 arrived)."""
    text = hub_get(federation, "/calendar?kind=webinar").text
    return text if 'rel="next"' in text else None


def test_the_calendar_pages_in_date_order(federation: Federation) -> None:
    """26 webinars: 25 on the first page, the last on the next (a cursor on the keys)."""
    for n in range(26):
        day = DAY + timedelta(days=40 + n)
        title = {"fr": f"Webinaire {n:02d}"}
        fields = body(kind="webinar", language="fr", title=title, venue=None, online_url=ONLINE)
        publish(federation, "fr", {**fields, "start": f"{day}T10:00:00", "end": f"{day}T11:00:00"})
    page = poll(lambda: full_page(federation), 60, "a full first page, and a next one")
    assert titles(federation, "?kind=webinar") == [f"Webinaire {n:02d}" for n in range(25)]
    (following,) = re.findall(r'<a href="([^"]+)" rel="next">', page)
    assert titles(federation, following.replace("&amp;", "&").removeprefix("/calendar")) == [
        "Webinaire 25"
    ]
