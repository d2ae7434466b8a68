"""The calendar's rules as pure functions: drafts, statuses, sequence, series, what leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.events.domain import (
    MAX_OCCURRENCES,
    AggregateDeleted,
    DomainError,
    Event,
    EventDraft,
    EventStatus,
    registration_open,
)
from shared.contracts import events as contract

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def draft(**overrides: Any) -> EventDraft:
    fields: dict[str, Any] = {
        "kind": "brokerage",
        "language": "ro",
        "title": {"ro": "Întâlniri B2B", "en": "B2B meetings"},
        "timezone": "Europe/Bucharest",
        "start": "2027-03-18T09:30:00",
        "end": "2027-03-18T17:00:00",
        "venue": {"address": "Bd. Expoziției 1", "city": "București", "country": "ro"},
        "capacity": 120,
        "nace_sections": ["c", "J", "C"],
        "tags": ["Robotics", "robotics"],
    }
    fields.update(overrides)
    return EventDraft.model_validate(fields)


def refused_field(**overrides: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        draft(**overrides)
    return ".".join(str(part) for part in caught.value.errors()[0]["loc"])


def test_a_draft_is_normalised() -> None:
    event = Event.draft("ro-1", draft(), NOW)
    assert event.venue is not None and event.venue.country == "RO"
    assert event.nace_sections == ["C", "J"]
    assert event.tags == ["robotics"]
    assert event.status is EventStatus.DRAFT


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end": "2027-03-18T09:00:00"}, "end"),
        ({"end": "2027-03-18T09:30:00"}, "end"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"recurrence": "FREQ=SOMETIMES;COUNT=3"}, "recurrence"),
        ({"recurrence": "FREQ=MONTHLY"}, "recurrence"),
        ({"recurrence": f"FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}"}, "recurrence"),
        ({"recurrence": "FREQ=WEEKLY;UNTIL=20990101T000000Z"}, "recurrence"),
        ({"recurrence": "FREQ=DAILY;COUNT=2\nEXDATE:20270319T093000"}, "recurrence"),
        ({"recurrence": "FREQ=MONTHLY;BYDAY=+60MO;COUNT=2"}, "recurrence"),
        ({"recurrence": "FREQ=DAILY;INTERVAL=0;COUNT=3"}, "recurrence"),
        ({"recurrence": "FREQ=DAILY;COUNT=2;UNTIL=20280101T000000Z"}, "recurrence"),
        ({"recurrence": "FREQ=DAILY;COUNT=2;COUNT=3"}, "recurrence"),
        ({"recurrence": "FREQ=YEARLY;INTERVAL=50;COUNT=10"}, "recurrence"),
        ({"start": "0001-01-01T00:00:00", "end": "0001-01-01T05:00:00"}, "start"),
        ({"end": "9999-12-31T23:00:00"}, "end"),
        ({"title": {"en": "B2B meetings"}}, "title"),
        ({"title": {}}, "title"),
        ({"venue": None}, "venue"),
        ({"capacity": 0}, "capacity"),
        ({"registration_closes": "2027-03-18T18:00:00"}, "registration_closes"),
        (
            {
                "registration_opens": "2027-03-01T00:00:00",
                "registration_closes": "2027-02-01T00:00",
            },
            "registration_closes",
        ),
        ({"nace_sections": ["Z"]}, "nace_sections.0"),
        ({"kind": "party"}, "kind"),
        ({"online_url": "ftp://files.example.ro"}, "online_url"),
        ({"venue": {"city": "București", "country": "XX"}}, "venue.country"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_names_the_field(overrides: dict[str, Any], field: str) -> None:
    assert refused_field(**overrides) == field


def test_an_online_event_needs_no_venue() -> None:
    event = draft(venue=None, online_url="https://meet.example.fr/webinar")
    assert event.venue is None


def test_a_series_expands_to_dated_occurrences_with_their_capacity() -> None:
    event = Event.draft(
        "es-1",
        draft(
            timezone="Europe/Madrid",
            start="2027-01-12T09:00:00",
            end="2027-01-12T13:00:00",
            recurrence="RRULE:FREQ=MONTHLY;COUNT=6",
            capacity=20,
        ),
        NOW,
    )
    dates = event.occurrences()
    assert event.recurrence == "FREQ=MONTHLY;COUNT=6"
    assert [d.start.month for d in dates] == [1, 2, 3, 4, 5, 6]
    assert all(d.start.hour == 9 and d.end.hour == 13 for d in dates)  # across the DST change
    assert {d.capacity for d in dates} == {20}
    assert dates[3].start.utcoffset() == timedelta(hours=2)


def test_a_series_until_a_date_ends_there() -> None:
    rule = "FREQ=WEEKLY;UNTIL=20270401T000000Z"
    event = Event.draft("ro-2", draft(recurrence=rule), NOW)
    assert len(event.occurrences()) == 2  # 18 and 25 March; 1 April 09:30 is past UNTIL


def test_statuses_follow_the_allowed_transitions() -> None:
    event = Event.draft("ro-1", draft(), NOW)
    with pytest.raises(DomainError) as caught:
        event.cancel(NOW)
    assert caught.value.field == "status"
    event.publish(NOW)
    event.postpone(NOW)
    event.publish(NOW)
    event.cancel(NOW)
    for change in (event.publish, event.postpone, event.cancel):
        with pytest.raises(DomainError):
            change(NOW)
    with pytest.raises(DomainError):
        event.revise(draft(), NOW)


def test_sequence_rises_with_every_published_change_only() -> None:
    event = Event.draft("ro-1", draft(), NOW)
    event.revise(draft(capacity=100), NOW)
    assert event.sequence == 0  # drafts are nobody's calendar yet
    event.publish(NOW)
    assert event.sequence == 0
    event.revise(draft(end="2027-03-18T18:00:00"), NOW)
    assert event.sequence == 1
    event.cancel(NOW)
    assert event.sequence == 2
    assert event.version == 5


def test_drafts_and_node_events_never_leave_the_node() -> None:
    event = Event.draft("ro-1", draft(), NOW)
    event.revise(draft(title={"ro": "Altceva"}), NOW)
    assert [r.shared for r in event.collect_events()] == [None, None]
    hidden = Event.draft("ro-2", draft(visibility="node"), NOW)
    hidden.publish(NOW)
    recorded = hidden.collect_events()
    assert [r.shared for r in recorded] == [None, None]
    assert isinstance(recorded[-1].event, contract.EventPublished)  # the node's own services


def test_published_events_are_shared_whole_and_withdrawals_follow() -> None:
    event = Event.draft("ro-1", draft(), NOW)
    event.publish(NOW)
    event.revise(draft(visibility="node"), NOW)
    event.revise(draft(visibility="public"), NOW)
    event.cancel(NOW)
    event.withdraw(NOW)
    shared = [r.shared for r in event.collect_events()][1:]
    assert isinstance(shared[0], contract.EventPublished)
    assert shared[0].status == "published" and shared[0].venue is not None
    assert isinstance(shared[1], contract.EventWithdrawn) and shared[1].reason == "restricted"
    assert isinstance(shared[2], contract.EventRevised) and shared[2].visibility == "public"
    assert isinstance(shared[3], contract.EventCancelled) and shared[3].sequence == 3
    assert isinstance(shared[4], contract.EventWithdrawn) and shared[4].reason == "withdrawn"
    with pytest.raises(AggregateDeleted):
        event.withdraw(NOW)


def test_registration_is_open_within_the_window_of_a_published_event() -> None:
    event = Event.draft(
        "ro-1",
        draft(registration_opens="2027-02-01T00:00:00", registration_closes="2027-03-15T00:00"),
        NOW,
    )
    inside = datetime(2027, 3, 1, tzinfo=UTC)
    assert not registration_open(event, inside)  # a draft
    event.publish(NOW)
    assert registration_open(event, inside)
    assert not registration_open(event, datetime(2027, 1, 31, 21, tzinfo=UTC))
    assert not registration_open(event, datetime(2027, 3, 14, 22, 0, tzinfo=UTC))  # Bucharest
    event.postpone(NOW)
    assert not registration_open(event, inside)
