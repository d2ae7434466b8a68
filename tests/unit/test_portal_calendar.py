"""The hub portal's alliance calendar, pure parts: replica keys, the filter, the feed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import icalendar
import pytest

from services.events.domain import EventKind
from services.events.store import CalendarFilter, calendar_keys
from services.hub.natsconf import HUB_SERVICE_CONSUMERS
from services.portal.calendar import KINDS, CalendarQuery, event_keys
from services.portal.calendar_pages import ALLIANCE_CALENDAR, HUB_PRODUCT, KIND_LABELS
from services.portal.subscribers import REPLICAS
from shared.calendar import FeedItem, feed
from shared.contracts.events import EventPublished
from shared.envelope import EnvelopeRejected
from shared.errors import DomainError

STAMP = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)


def state(**overrides: Any) -> EventPublished:
    fields: dict[str, Any] = {
        "id": "ev-1",
        "kind": "training",
        "language": "es",
        "title": {"es": "Formación mensual", "en": "Monthly training"},
        "start": "2027-02-09T09:00:00",
        "end": "2027-02-09T13:00:00",
        "timezone": "Europe/Madrid",
        "venue": {"city": "Madrid", "country": "es"},
        "visibility": "public",
        "nace_sections": ["C"],
        "tags": ["robotics"],
        "recurrence": "FREQ=MONTHLY;COUNT=3",
        "status": "published",
        "sequence": 2,
        "updated_at": "2027-01-05T12:00:00Z",
    }
    fields.update(overrides)
    return EventPublished.model_validate(fields)


def test_a_series_runs_until_its_last_date_in_utc() -> None:
    keys = event_keys(state())
    assert keys["starts"] == "20270209T080000Z"  # 09:00 in Madrid, winter
    assert keys["ends"] == "20270409T110000Z"  # 13:00 in Madrid, summer time
    assert keys["page"] == "20270209T080000Z|ev-1"
    assert keys["country"] == "ES"
    assert keys["topics"] == ["C", "robotics"]
    assert keys["languages"] == ["en", "es"]
    assert keys["public"] is True


@pytest.mark.parametrize(
    ("visibility", "status", "shown"),
    [("alliance", "published", False), ("public", "draft", False), ("public", "cancelled", True)],
)
def test_only_public_events_that_are_not_drafts_are_shown(
    visibility: str, status: str, shown: bool
) -> None:
    assert event_keys(state(visibility=visibility, status=status))["public"] is shown


@pytest.mark.parametrize(
    "overrides",
    [{"timezone": "Mars/Olympus"}, {"recurrence": "FREQ=SOMETIMES"}, {"end": "2027-02-09T08:00"}],
)
def test_an_event_the_hub_cannot_read_is_refused_with_why(overrides: dict[str, Any]) -> None:
    with pytest.raises(EnvelopeRejected) as refused:
        event_keys(state(**overrides))
    assert "ev-1" in str(refused.value)


def test_the_filter_keeps_upcoming_events_and_narrows_by_each_key() -> None:
    query = CalendarQuery(
        after="20270101T000000Z",
        kind="webinar",
        country="ro",
        network="ro",
        start=date(2027, 3, 1),
        end=date(2027, 3, 31),
        topic="c",
        language="FR",
    ).filter()
    assert query["keys.public"] is True
    assert query["keys.ends"] == {"$gt": "20270301T000000Z"}
    assert query["keys.starts"] == {"$lt": "20270401T000000Z"}
    assert query["keys.country"] == "RO"
    assert query["origin"] == "ro"
    assert query["keys.topics"] == {"$in": ["C"]}
    assert query["keys.languages"] == {"$in": ["fr"]}


def test_a_range_starting_in_the_past_still_finds_only_upcoming_events() -> None:
    query = CalendarQuery(after="20270101T000000Z", start=date(2020, 1, 1)).filter()
    assert query["keys.ends"] == {"$gt": "20270101T000000Z"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"start": date(2027, 3, 2), "end": date(2027, 3, 1)}, "to"),
    ],
)
def test_a_filter_that_cannot_match_names_its_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as refused:
        CalendarQuery(after="20270101T000000Z", **fields)
    assert refused.value.field == field


def test_the_feed_carries_the_owners_uid_sequence_status_rule_and_zone() -> None:
    cancelled = state(id="ev-2", status="cancelled", recurrence=None, sequence=5)
    items = [
        FeedItem("es", state(), "http://127.0.0.1:8001/events/es/ev-1"),
        FeedItem("es", cancelled, None),
    ]
    parsed = icalendar.Calendar.from_ical(feed(ALLIANCE_CALENDAR, items, STAMP, HUB_PRODUCT))
    first, second = parsed.walk("VEVENT")
    assert str(first["UID"]) == "ev-1@es.clustersalliance.eu"
    assert int(first["SEQUENCE"]) == 2
    assert str(first["STATUS"]) == "CONFIRMED"
    assert first["RRULE"]["COUNT"] == [3]
    assert first["DTSTART"].dt == datetime(2027, 2, 9, 9, 0, tzinfo=first["DTSTART"].dt.tzinfo)
    assert first["DTSTART"].params["TZID"] == "Europe/Madrid"
    assert str(first["URL"]) == "http://127.0.0.1:8001/events/es/ev-1"
    assert str(first["SUMMARY"]) == "Formación mensual"
    assert str(second["STATUS"]) == "CANCELLED"
    assert int(second["SEQUENCE"]) == 5
    assert "URL" not in second
    assert [str(z["TZID"]) for z in parsed.walk("VTIMEZONE")] == ["Europe/Madrid"]


def test_the_portal_stays_within_the_consumers_the_hub_leaves_its_read_models() -> None:
    consumers = sum(int(r.own) + int(r.alliance) for r in REPLICAS)  # one per channel
    assert consumers <= HUB_SERVICE_CONSUMERS
    assert any(r.collection == "events" and r.aggregate == "event" for r in REPLICAS)


def test_the_portal_knows_every_kind_the_events_service_publishes() -> None:
    """The portal cannot import the events service; this keeps the two lists together."""
    assert set(KINDS) == set(KIND_LABELS) == {kind.value for kind in EventKind}


def test_a_node_and_the_hub_key_and_filter_an_event_alike() -> None:
    """One rule on both sides: a partner's event (here with a lower-case country, which
    the contract lets through) is found by the same filters on a node and on the hub."""
    event = state(venue={"city": "Cluj-Napoca", "country": "ro"})
    node, hub = calendar_keys(event), event_keys(event)
    for key in ("public", "kind", "country", "languages", "topics"):
        assert node[key] == hub[key], key
    assert node["country"] == "RO"
    narrowing: dict[str, Any] = {"kind": "training", "country": "ro", "topic": "c"}
    node_query = CalendarFilter(**narrowing, language="EN", network="ro").query()
    hub_query = CalendarQuery(after="20270101T000000Z", **narrowing, language="EN", network="ro")
    for key in ("keys.kind", "keys.country", "origin", "keys.topics", "keys.languages"):
        assert node_query[key] == hub_query.filter()[key], key
