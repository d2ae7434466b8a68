"""iCalendar output, parsed back with icalendar: what a subscribed calendar relies on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from services.events.domain import Event, EventDraft
from shared import calendar as ics
from shared.contracts.events import EventState

STAMP = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def draft(**overrides: Any) -> EventDraft:
    fields: dict[str, Any] = {
        "kind": "brokerage",
        "language": "ro",
        "title": {"en": "B2B meetings", "ro": "Întâlniri B2B"},
        "description": {"ro": "Furnizori auto; întâlniri, 30 de minute"},
        "timezone": "Europe/Bucharest",
        "start": "2027-03-18T09:30:00",
        "end": "2027-03-18T17:00:00",
        "venue": {"address": "Bd. Expoziției 1", "city": "București", "country": "RO"},
        "visibility": "public",
        "nace_sections": ["C"],
        "tags": ["automotive"],
    }
    fields.update(overrides)
    return EventDraft.model_validate(fields)


def state(event: Event) -> EventState:
    """What the calendar holds of an event: its latest full event."""
    recorded = event.collect_events()[-1].event
    assert isinstance(recorded, EventState)
    return recorded


def published(event_id: str = "ro-1", **overrides: Any) -> Event:
    event = Event.draft(event_id, draft(**overrides), NOW)
    event.publish(NOW)
    return event


def feed(*items: tuple[str, EventState]) -> icalendar.Calendar:
    text = ics.feed(
        "CLUSTERO", [ics.FeedItem(o, e, f"http://node/events/{o}/{e.id}") for o, e in items], STAMP
    )
    return icalendar.Calendar.from_ical(text)


def only_event(parsed: icalendar.Calendar) -> icalendar.Event:
    (event,) = parsed.walk("VEVENT")
    return event


def test_an_event_carries_what_calendars_need() -> None:
    parsed = feed(("ro", state(published())))
    event = only_event(parsed)
    assert str(event["UID"]) == "ro-1@ro.clustersalliance.eu" == ics.uid("ro", "ro-1")
    assert int(event["SEQUENCE"]) == 0
    assert event["DTSTAMP"].dt == STAMP
    assert str(event["SUMMARY"]) == "Întâlniri B2B"  # the original language
    assert str(event["DESCRIPTION"]) == "Furnizori auto; întâlniri, 30 de minute"
    assert event["DTSTART"].dt == datetime(2027, 3, 18, 9, 30, tzinfo=ZoneInfo("Europe/Bucharest"))
    assert event["DTSTART"].params["TZID"] == "Europe/Bucharest"
    assert event["DTEND"].dt.hour == 17
    assert str(event["STATUS"]) == "CONFIRMED"
    assert {str(c) for c in event["CATEGORIES"].cats} == {"brokerage", "C", "automotive"}
    assert str(event["URL"]) == "http://node/events/ro/ro-1"
    assert str(event["LOCATION"]) == "Bd. Expoziției 1, București, RO"
    assert "RRULE" not in event
    (zone,) = parsed.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Bucharest"
    assert str(parsed["METHOD"]) == "PUBLISH" and str(parsed["VERSION"]) == "2.0"


def test_a_revision_keeps_the_uid_and_raises_the_sequence() -> None:
    event = published()
    before = only_event(feed(("ro", state(event))))
    event.revise(draft(start="2027-03-18T10:00:00"), NOW)
    after = only_event(feed(("ro", state(event))))
    assert after["UID"] == before["UID"]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after["DTSTART"].dt.hour == 10


def test_a_cancelled_event_says_so_with_a_higher_sequence() -> None:
    event = published()
    event.cancel(NOW)
    cancelled = only_event(feed(("ro", state(event))))
    assert str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) == 1


def test_a_postponed_event_is_tentative() -> None:
    event = published()
    event.postpone(NOW)
    assert str(only_event(feed(("ro", state(event))))["STATUS"]) == "TENTATIVE"


def test_a_series_has_its_rule_and_each_zone_one_vtimezone() -> None:
    training = published(
        "es-1",
        language="es",
        title={"es": "Formación"},
        description={},
        timezone="Europe/Madrid",
        start="2027-01-12T09:00:00",
        end="2027-01-12T13:00:00",
        recurrence="FREQ=MONTHLY;COUNT=12",
        venue=None,
        online_url="https://meet.example.es/formacion",
    )
    webinar = published("fr-1", language="fr", title={"fr": "Webinaire"}, timezone="Europe/Paris")
    other = published("es-2", language="es", title={"es": "Misión"}, timezone="Europe/Madrid")
    parsed = feed(("es", state(training)), ("fr", state(webinar)), ("es", state(other)))
    zones = sorted(str(zone["TZID"]) for zone in parsed.walk("VTIMEZONE"))
    assert zones == ["Europe/Madrid", "Europe/Paris"]
    series = next(e for e in parsed.walk("VEVENT") if str(e["UID"]).startswith("es-1@"))
    assert series["RRULE"]["FREQ"] == ["MONTHLY"] and series["RRULE"]["COUNT"] == [12]
    assert str(series["LOCATION"]) == "https://meet.example.es/formacion"
    # every date of the series resolves in the zone given (summer time included)
    madrid = next(z for z in parsed.walk("VTIMEZONE") if str(z["TZID"]) == "Europe/Madrid")
    assert {sub.name for sub in madrid.subcomponents} == {"STANDARD", "DAYLIGHT"}


def test_an_empty_feed_is_a_valid_calendar() -> None:
    parsed = icalendar.Calendar.from_ical(ics.feed("CLUSTERO", [], STAMP))
    assert parsed.walk("VEVENT") == [] and str(parsed["X-WR-CALNAME"]) == "CLUSTERO"
