"""Rules of brokerage sessions, without I/O: bounds, slot times, requests, scheduling input."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.matching.brokerage import (
    SessionDraft,
    check_decision,
    check_request,
    check_slots,
    requests_open,
    slot_count,
    slot_start,
)
from shared.errors import DomainError, Duplicate

SESSION: dict[str, Any] = {
    "_id": "ro-e1",
    "timezone": "Europe/Bucharest",
    "days": ["2027-03-27", "2027-03-28"],  # summer time starts on the 28th
    "start": "09:30",
    "slot_minutes": 20,
    "slots_per_day": 3,
    "tables": 2,
    "request_deadline": "2027-03-26T18:00",
}
DRAFT = {
    "event_id": "ro-e1",
    "days": ["2027-03-28", "2027-03-27"],
    "start": "09:30",
    "slot_minutes": 20,
    "slots_per_day": 3,
    "tables": 2,
    "request_deadline": "2027-03-26T18:00",
}


def refused_field(**changes: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        SessionDraft.model_validate({**DRAFT, **changes})
    return ".".join(str(part) for part in caught.value.errors()[0]["loc"])


def test_a_session_draft_keeps_its_days_in_order_and_refuses_what_no_venue_runs() -> None:
    assert [d.isoformat() for d in SessionDraft.model_validate(DRAFT).days] == [
        "2027-03-27",
        "2027-03-28",
    ]
    assert refused_field(tables=201) == "tables"
    assert refused_field(slot_minutes=0) == "slot_minutes"
    assert refused_field(slots_per_day=33) == "slots_per_day"
    assert refused_field(days=["2027-03-27", "2027-03-27"]) == "days"
    assert refused_field(start="23:00", slots_per_day=4, slot_minutes=30) == "slots_per_day"
    assert refused_field(request_deadline="2027-03-26T18:00+02:00") == "request_deadline"
    assert SessionDraft.model_validate(
        {**DRAFT, "start": "23:00", "slots_per_day": 2, "slot_minutes": 30}
    )


def test_slots_run_day_after_day_at_local_time_whatever_the_clock_change() -> None:
    assert slot_count(SESSION) == 6
    starts = [slot_start(SESSION, slot).isoformat() for slot in range(6)]
    assert starts == [
        "2027-03-27T09:30:00+02:00",
        "2027-03-27T09:50:00+02:00",
        "2027-03-27T10:10:00+02:00",
        "2027-03-28T09:30:00+03:00",
        "2027-03-28T09:50:00+03:00",
        "2027-03-28T10:10:00+03:00",
    ]
    assert check_slots(SESSION, [5, 0, 5], "slots") == [0, 5]
    with pytest.raises(DomainError, match="slots are 0 to 5") as caught:
        check_slots(SESSION, [6], "slots")
    assert caught.value.field == "slots"


def test_requests_close_at_the_deadline_in_the_sessions_zone() -> None:
    zone = ZoneInfo("Europe/Bucharest")
    assert requests_open(SESSION, datetime(2027, 3, 26, 17, 59, tzinfo=zone))
    assert not requests_open(SESSION, datetime(2027, 3, 26, 18, 0, tzinfo=zone))


def test_a_request_goes_to_another_participant_and_is_decided_once_by_the_right_side() -> None:
    ana = {"_id": "a", "session_id": "s"}
    with pytest.raises(DomainError) as caught:
        check_request(ana, ana)
    assert caught.value.field == "to"
    with pytest.raises(DomainError):
        check_request(ana, {"_id": "b", "session_id": "other"})
    request = {"from": "a", "to": "b", "status": "pending"}
    check_decision(request, "b", "accept")
    check_decision(request, "a", "withdraw")
    with pytest.raises(DomainError, match="only the addressee"):
        check_decision(request, "a", "accept")
    with pytest.raises(Duplicate):
        check_decision({**request, "status": "declined"}, "b", "accept")
    check_decision({**request, "status": "accepted"}, "a", "withdraw")
